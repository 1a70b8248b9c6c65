package scrub

import (
	"log/slog"
	"sync/atomic"
)

// Live is a set of secrets that grows while the process runs, for values
// learnt after start (the STS token of an invocation, credentials fetched
// on demand). Its zero value holds none; it is safe for concurrent use.
type Live struct {
	current atomic.Pointer[Secrets]
}

// Add adds values to the set. Adding values it holds already costs a
// lookup, so a credential provider may add what it returns on every call.
func (l *Live) Add(values ...string) {
	for {
		old := l.current.Load()
		if old.holds(values) {
			return
		}
		if l.current.CompareAndSwap(old, old.With(values...)) {
			return
		}
	}
}

// Secrets is the set as it is now; a nil *Live holds none.
func (l *Live) Secrets() *Secrets {
	if l == nil {
		return nil
	}
	return l.current.Load()
}

// Handler is Secrets.Handler with the set current when each record is
// handled. Attributes bound by WithAttrs are scrubbed with the set current
// at that call. On a nil *Live it scrubs nothing.
func (l *Live) Handler(inner slog.Handler) slog.Handler {
	return &handler{inner: inner, secrets: l.Secrets}
}
