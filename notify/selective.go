package notify

import "github.com/export-notifier/export-notifier/event"

// Selective is a sink that, by its nature, takes only some events: an
// incident tool takes failures and the completions that resolve them, and
// nothing else. People narrow any sink further with a route (package
// notify/route).
type Selective interface {
	// Takes reports whether the sink would send anything about ev.
	Takes(ev event.Event) bool
}

// Takes reports whether sink takes ev by its nature: true unless it is a
// Selective that does not.
func Takes(sink Notifier, ev event.Event) bool {
	s, ok := sink.(Selective)
	return !ok || s.Takes(ev)
}

// Resolver is a sink whose completions close what its failures and
// stalls opened (an incident tool). A route that takes an export's
// failures takes, for such a sink, the completion that resolves them:
// "failures only" must not leave incidents open for ever.
type Resolver interface {
	Selective
	// ResolvesIncidents reports whether the sink works that way.
	ResolvesIncidents() bool
}

// ResolvesIncidents reports whether sink is a Resolver that resolves
// incidents.
func ResolvesIncidents(sink Notifier) bool {
	r, ok := sink.(Resolver)
	return ok && r.ResolvesIncidents()
}
