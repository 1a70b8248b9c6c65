// Package teams is the Microsoft Teams sink: an Adaptive Card (version
// 1.5) in a message envelope, posted to a Workflows webhook ("post to a
// channel when a webhook request is received"), whose URL's sig query
// parameter is its credential.
package teams

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"

	"github.com/export-notifier/export-notifier/event"
	"github.com/export-notifier/export-notifier/notify"
	"github.com/export-notifier/export-notifier/setting"
)

// Kind is the Teams sink for the list of sinks.
func Kind() notify.Kind {
	return notify.Kind{Name: "teams", Variables: []setting.Var{
		{Name: "TEAMS_WEBHOOK_URL", Meaning: "a Microsoft Teams Workflows webhook URL (post to a channel when a webhook request is received); its sig is the secret", Secret: true},
	}, FromEnv: func(getenv func(string) string) (notify.Config, error) { return FromEnv(getenv) }}
}

// Settings configure the Teams sink.
type Settings struct {
	URL string // TEAMS_WEBHOOK_URL; "" when not configured
}

// FromEnv reads and checks TEAMS_WEBHOOK_URL through getenv.
func FromEnv(getenv func(string) string) (Settings, error) {
	v := strings.TrimSpace(getenv("TEAMS_WEBHOOK_URL"))
	if v == "" {
		return Settings{}, nil
	}
	target, err := notify.CheckURL("TEAMS_WEBHOOK_URL", v)
	if err != nil {
		return Settings{}, err
	}
	if sig(target) == "" {
		return Settings{}, fmt.Errorf("TEAMS_WEBHOOK_URL: %s has no sig query parameter; copy the whole HTTP POST URL from the workflow's trigger", notify.RedactURL(target))
	}
	return Settings{URL: target}, nil
}

// sig is the Workflows URL's signature, its credential, "" when it has none.
func sig(target string) string {
	u, err := url.Parse(target)
	if err != nil {
		return ""
	}
	return u.Query().Get("sig")
}

// LogValue says whether Teams is configured, without the URL.
func (s Settings) LogValue() slog.Value {
	return slog.GroupValue(slog.Bool("configured", s.URL != ""))
}

// Notifiers is the Teams sink, none without a URL.
func (s Settings) Notifiers(includeLink bool) []notify.Notifier {
	if s.URL == "" {
		return nil
	}
	return []notify.Notifier{&sink{url: s.URL, includeLink: includeLink, client: notify.NewHTTPClient(),
		secrets: append(notify.URLSecrets(s.URL), sig(s.URL))}}
}

// Preview is the message about events, as the workflow receives it.
func (s Settings) Preview(events []event.Event, includeLink bool) ([]notify.Rendering, error) {
	body, err := notify.MarshalJSON(Render(events, includeLink), "")
	if err != nil {
		return nil, err
	}
	return []notify.Rendering{{Title: "Teams message (an Adaptive Card 1.5 in a message envelope)", Body: body,
		Notes: []string{"Paste the card (attachments[0].content) into https://adaptivecards.io/designer to see it rendered."}}}, nil
}

// sink posts cards to a Workflows webhook.
type sink struct {
	url         string
	includeLink bool
	client      *http.Client
	secrets     []string
}

func (t *sink) Name() string { return "teams" }

// Group puts failures that share an error code in one card.
func (t *sink) Group(events []event.Event) [][]event.Event { return notify.GroupFailures(events) }

// Notify posts one card about events. The workflow answers 202 once it
// has taken the request; anything else is a failure with its text.
func (t *sink) Notify(ctx context.Context, events []event.Event) error {
	body, err := notify.MarshalJSON(Render(events, t.includeLink), "")
	if err != nil {
		return &notify.Error{Sink: t.Name(), Err: err}
	}
	header := http.Header{"Content-Type": {"application/json"}, "User-Agent": {"export-notifier"}}
	if e := notify.Post(ctx, t.client, t.Name(), t.url, header, body, t.secrets); e != nil {
		return e
	}
	return nil
}
