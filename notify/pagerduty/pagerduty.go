// Package pagerduty is the PagerDuty sink: Events API v2 events that open
// an incident when an export fails or stalls (trigger) and close it when
// the export later completes (resolve), one incident per export
// (dedup_key, the export's key). Requests are signed as Standard Webhooks
// when WEBHOOK_SECRET is set.
package pagerduty

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/export-notifier/export-notifier/event"
	"github.com/export-notifier/export-notifier/notify"
	"github.com/export-notifier/export-notifier/notify/incident"
	"github.com/export-notifier/export-notifier/notify/webhook"
	"github.com/export-notifier/export-notifier/setting"
)

// EventsURL is the Events API v2 enqueue endpoint.
const EventsURL = "https://events.pagerduty.com/v2/enqueue"

// maxSummary is PagerDuty's limit on payload.summary.
const maxSummary = 1024

// Kind is the PagerDuty sink for the list of sinks.
func Kind() notify.Kind {
	return notify.Kind{Name: "pagerduty", Variables: []setting.Var{
		{Name: "PAGERDUTY_ROUTING_KEY", Meaning: "a PagerDuty Events API v2 integration key: failed and stalled exports trigger an incident, a later completion resolves it", Secret: true},
		{Name: "PAGERDUTY_EVENTS_URL", Meaning: "the Events API v2 enqueue URL (EU accounts: https://events.eu.pagerduty.com/v2/enqueue)", Default: EventsURL},
	}, FromEnv: func(getenv func(string) string) (notify.Config, error) { return FromEnv(getenv) }}
}

// Settings configure the PagerDuty sink.
type Settings struct {
	RoutingKey string // PAGERDUTY_ROUTING_KEY; "" when not configured
	URL        string // PAGERDUTY_EVENTS_URL
	key        []byte // WEBHOOK_SECRET's signing key; nil: unsigned
	secret     string
}

// FromEnv reads and checks the PagerDuty variables through getenv.
func FromEnv(getenv func(string) string) (Settings, error) {
	s := Settings{RoutingKey: strings.TrimSpace(getenv("PAGERDUTY_ROUTING_KEY")), URL: EventsURL}
	if v := strings.TrimSpace(getenv("PAGERDUTY_EVENTS_URL")); v != "" {
		u, err := notify.CheckURL("PAGERDUTY_EVENTS_URL", v)
		if err != nil {
			return Settings{}, err
		}
		s.URL = u
	}
	switch {
	case s.RoutingKey == "":
		return s, nil
	case strings.ContainsFunc(s.RoutingKey, func(r rune) bool { return r <= ' ' || r == 0x7f }):
		return Settings{}, fmt.Errorf("PAGERDUTY_ROUTING_KEY: holds white space or control characters")
	case strings.Contains(s.RoutingKey, "://"):
		return Settings{}, fmt.Errorf("PAGERDUTY_ROUTING_KEY: holds a URL; want the integration key of an Events API v2 integration")
	}
	if v := strings.TrimSpace(getenv("WEBHOOK_SECRET")); v != "" {
		key, err := webhook.SigningKey(v)
		if err != nil {
			return Settings{}, fmt.Errorf("WEBHOOK_SECRET: %w", err)
		}
		s.key, s.secret = key, v
	}
	return s, nil
}

// LogValue says whether PagerDuty is configured, where it posts and
// whether it signs, without the routing key.
func (s Settings) LogValue() slog.Value {
	return slog.GroupValue(slog.Bool("configured", s.RoutingKey != ""), slog.String("url", notify.RedactURL(s.URL)), slog.Bool("signed", s.key != nil))
}

// Notifiers is the PagerDuty sink, none without a routing key.
func (s Settings) Notifiers(includeLink bool) []notify.Notifier {
	if s.RoutingKey == "" {
		return nil
	}
	return []notify.Notifier{&sink{Settings: s, includeLink: includeLink, client: notify.NewHTTPClient(), now: time.Now,
		secrets: append(notify.URLSecrets(s.URL), s.RoutingKey, s.secret)}}
}

// Preview is the event PagerDuty receives about each event, the routing
// key left out.
func (s Settings) Preview(events []event.Event, includeLink bool) ([]notify.Rendering, error) {
	out := make([]notify.Rendering, len(events))
	for i, ev := range events {
		if !incident.Takes(ev) {
			out[i] = notify.Rendering{Title: fmt.Sprintf("PagerDuty: nothing is sent about this %s event (only failures, stalls and the completions that resolve them)", ev.Type), Body: []byte("null")}
			continue
		}
		body, err := notify.MarshalJSON(NewEvent(ev, "<PAGERDUTY_ROUTING_KEY>", includeLink), "")
		if err != nil {
			return nil, err
		}
		title := "PagerDuty Events API v2 event (" + action(ev) + ", dedup_key " + incident.Key(ev.Status.Ref) + "; signed when WEBHOOK_SECRET is set)"
		out[i] = notify.Rendering{Title: title, Body: body}
	}
	return out, nil
}

// sink posts Events API v2 events.
type sink struct {
	Settings
	includeLink bool
	client      *http.Client
	now         func() time.Time
	secrets     []string
}

func (p *sink) Name() string { return "pagerduty" }

// Takes reports whether ev opens or resolves an incident.
func (p *sink) Takes(ev event.Event) bool { return incident.Takes(ev) }

// ResolvesIncidents: a completion resolves what failures triggered.
func (p *sink) ResolvesIncidents() bool { return true }

// Group sends every event on its own: each is one PagerDuty event.
func (p *sink) Group(events []event.Event) [][]event.Event { return notify.Singly(events) }

// Notify sends one PagerDuty event per event, stopping at the first
// failure.
func (p *sink) Notify(ctx context.Context, events []event.Event) error {
	for _, ev := range events {
		if !incident.Takes(ev) {
			continue // recorded before the sink's rules said otherwise
		}
		if err := p.send(ctx, ev); err != nil {
			return err
		}
	}
	return nil
}

func (p *sink) send(ctx context.Context, ev event.Event) error {
	body, err := notify.MarshalJSON(NewEvent(ev, p.RoutingKey, p.includeLink), "")
	if err != nil {
		return &notify.Error{Sink: p.Name(), Err: err}
	}
	header := http.Header{"Content-Type": {"application/json"}, "User-Agent": {"export-notifier"}}
	if p.key != nil {
		webhook.SignHeaders(header, p.key, ev.ID, p.now(), body)
	}
	status, answer, e := notify.PostForAnswer(ctx, p.client, p.Name(), p.URL, header, body, p.secrets)
	if e != nil && status == http.StatusBadRequest {
		if text := answerText(answer); text != "" {
			e.Text = notify.ErrorText([]byte(text), p.secrets)
		}
	}
	if e != nil {
		return e
	}
	return nil
}

// answerText is PagerDuty's own account of a refused event: its status,
// message and errors, "invalid event: Event object is invalid (...)".
func answerText(answer []byte) string {
	var a struct {
		Status  string   `json:"status"`
		Message string   `json:"message"`
		Errors  []string `json:"errors"`
	}
	if json.Unmarshal(answer, &a) != nil || a.Status == "" && a.Message == "" {
		return ""
	}
	text := strings.TrimSpace(a.Status + ": " + a.Message)
	if len(a.Errors) > 0 {
		text += " (" + strings.Join(a.Errors, "; ") + ")"
	}
	return text
}
