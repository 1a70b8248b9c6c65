package notify

import (
	"context"

	"github.com/export-notifier/export-notifier/event"
)

// Deduper is a sink that can tell whether it already holds the message
// about an event: the Slack bot, which reads its channel's recent history.
// A cycle asks it only about events it takes over from a cycle whose claim
// expired, which may have sent them before it died, so that a takeover
// repeats nothing there. Other sinks with a read API may offer it too.
type Deduper interface {
	Notifier
	// Delivered returns the IDs, among those of events, of the events the
	// sink already has a message about. An error means it could not tell:
	// the caller sends the events rather than risk losing them.
	Delivered(ctx context.Context, events []event.Event) (map[string]bool, error)
}
