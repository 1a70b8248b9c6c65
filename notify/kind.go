package notify

import (
	"log/slog"

	"github.com/export-notifier/export-notifier/event"
	"github.com/export-notifier/export-notifier/setting"
)

// Kind is one kind of sink (Slack, webhooks, DingTalk, ...): its
// environment variables and how to read them. Each sink's package offers
// its Kind; the list of every kind is package notify/sinks.
type Kind struct {
	// Name is the kind as people name it: "slack", "webhook".
	Name string
	// Variables are the environment variables the kind reads.
	Variables []setting.Var
	// FromEnv reads and checks the kind's variables through getenv. An
	// error names the variable, fits on one line and holds no secret.
	FromEnv func(getenv func(string) string) (Config, error)
}

// Config is one kind's settings, read and checked once.
type Config interface {
	// LogValue shows what is configured, without any secret.
	slog.LogValuer
	// Notifiers are the sinks the settings configure, none when the kind
	// is not configured; includeLink puts download links in messages.
	Notifiers(includeLink bool) []Notifier
	// Preview is what the kind would send about events, configured or
	// not: one Rendering per message.
	Preview(events []event.Event, includeLink bool) ([]Rendering, error)
}

// Rendering is one message as a sink would send it, for people to look at
// before anything is sent.
type Rendering struct {
	// Title says what the message is and who receives it, and the body's
	// media type when it is not plain JSON.
	Title string
	// Body is the message as sent.
	Body []byte
	// Notes are further lines for people, such as a link that shows the
	// message rendered.
	Notes []string
}
