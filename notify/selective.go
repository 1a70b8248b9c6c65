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
