package scrub

import (
	"context"
	"fmt"
	"log/slog"
)

// Handler returns a slog.Handler that scrubs each record's message and
// every attribute (keys, string values, groups, and the text of values
// that are errors, fmt.Stringers or anything else printed with %+v, after
// resolving LogValuers) before passing it to inner.
func (s *Secrets) Handler(inner slog.Handler) slog.Handler {
	return &handler{inner: inner, secrets: func() *Secrets { return s }}
}

type handler struct {
	inner   slog.Handler
	secrets func() *Secrets // the set to scrub with now
}

func (h *handler) Enabled(ctx context.Context, level slog.Level) bool {
	return h.inner.Enabled(ctx, level)
}

func (h *handler) Handle(ctx context.Context, r slog.Record) error {
	secrets := h.secrets()
	out := slog.NewRecord(r.Time, r.Level, secrets.String(r.Message), r.PC)
	r.Attrs(func(a slog.Attr) bool {
		out.AddAttrs(attr(secrets, a))
		return true
	})
	return h.inner.Handle(ctx, out)
}

func (h *handler) WithAttrs(attrs []slog.Attr) slog.Handler {
	secrets := h.secrets()
	scrubbed := make([]slog.Attr, len(attrs))
	for i, a := range attrs {
		scrubbed[i] = attr(secrets, a)
	}
	return &handler{inner: h.inner.WithAttrs(scrubbed), secrets: h.secrets}
}

func (h *handler) WithGroup(name string) slog.Handler {
	return &handler{inner: h.inner.WithGroup(h.secrets().String(name)), secrets: h.secrets}
}

// attr scrubs one attribute, descending into groups.
func attr(secrets *Secrets, a slog.Attr) slog.Attr {
	a.Key = secrets.String(a.Key)
	v := a.Value.Resolve()
	switch v.Kind() {
	case slog.KindString:
		a.Value = slog.StringValue(secrets.String(v.String()))
	case slog.KindGroup:
		group := v.Group()
		scrubbed := make([]slog.Attr, len(group))
		for i, g := range group {
			scrubbed[i] = attr(secrets, g)
		}
		a.Value = slog.GroupValue(scrubbed...)
	case slog.KindAny:
		a.Value = value(secrets, v.Any())
	default:
		a.Value = v
	}
	return a
}

// value scrubs an arbitrary value: byte slices, errors and Stringers
// become their scrubbed text; anything else is kept as it is unless its printed form
// holds a secret, in which case the scrubbed printed form replaces it.
func value(secrets *Secrets, x any) (v slog.Value) {
	defer func() {
		// A typed nil whose method dereferences it: show that, not a panic.
		if p := recover(); p != nil {
			v = slog.StringValue(secrets.String(fmt.Sprintf("!PANIC: %v", p)))
		}
	}()
	var text string
	switch x := x.(type) {
	case []byte:
		text = string(x)
	case error:
		text = x.Error()
	case fmt.Stringer:
		text = x.String()
	default:
		text = fmt.Sprintf("%+v", x)
		if scrubbed := secrets.String(text); scrubbed != text {
			return slog.StringValue(scrubbed)
		}
		return slog.AnyValue(x)
	}
	return slog.StringValue(secrets.String(text))
}
