package pagerduty

import (
	"time"

	"github.com/export-notifier/export-notifier/event"
	"github.com/export-notifier/export-notifier/notify"
	"github.com/export-notifier/export-notifier/notify/incident"
)

// Event is an Events API v2 event.
type Event struct {
	RoutingKey  string   `json:"routing_key"`
	EventAction string   `json:"event_action"` // trigger or resolve
	DedupKey    string   `json:"dedup_key"`
	Payload     *Payload `json:"payload,omitempty"` // triggers only
	Client      string   `json:"client,omitempty"`
	ClientURL   string   `json:"client_url,omitempty"`
	Links       []Link   `json:"links,omitempty"`
}

// Payload describes what triggered an incident.
type Payload struct {
	Summary       string        `json:"summary"`
	Source        string        `json:"source"`
	Severity      string        `json:"severity"` // error (failed) or warning (stalled)
	Timestamp     time.Time     `json:"timestamp"`
	Component     string        `json:"component,omitempty"`
	Group         string        `json:"group,omitempty"`
	Class         string        `json:"class,omitempty"`
	CustomDetails CustomDetails `json:"custom_details"`
}

// CustomDetails are the export's details shown in the incident.
type CustomDetails struct {
	Export    string         `json:"export"`
	Kind      event.Kind     `json:"kind"`
	Account   string         `json:"account"`
	Region    string         `json:"region"`
	Status    string         `json:"status"`
	FileName  string         `json:"fileName,omitempty"`
	Error     *event.Failure `json:"error,omitempty"`
	Hint      string         `json:"hint,omitempty"`
	RequestID string         `json:"requestId,omitempty"`
	EventID   string         `json:"eventId"`
}

// Link is a link shown in the incident.
type Link struct {
	Href string `json:"href"`
	Text string `json:"text"`
}

// action is the event action ev asks for: trigger or resolve.
func action(ev event.Event) string {
	if incident.Opens(ev) {
		return "trigger"
	}
	return "resolve"
}

// NewEvent is the PagerDuty event about ev, which incident.Takes: a
// trigger for a failure or a stall, a resolve for a completion.
func NewEvent(ev event.Event, routingKey string, includeLink bool) Event {
	ref := ev.Status.Ref
	e := Event{RoutingKey: routingKey, EventAction: action(ev), DedupKey: incident.Key(ref)}
	if e.EventAction == "resolve" {
		return e
	}
	severity := "error"
	if ev.Type == event.Stalled {
		severity = "warning"
	}
	e.Client, e.ClientURL = "export-notifier", incident.ConsoleURL
	e.Payload = &Payload{
		Summary:   notify.Cut(notify.OneLine(incident.Summary(ev)), maxSummary, notify.Chars),
		Source:    "export-notifier/" + notify.RegionText(ev),
		Severity:  severity,
		Timestamp: ev.Time.UTC(),
		Component: string(ref.Kind) + " export",
		Group:     "Security Center",
		Class:     incident.AlertName(ev.Type),
		CustomDetails: CustomDetails{
			Export: incident.Key(ref), Kind: ref.Kind, Account: incident.Account(ref), Region: notify.RegionText(ev),
			Status: notify.ProgressText(ev.Status), FileName: ev.Status.FileName, Error: ev.Error,
			Hint: incident.Hint(ev), RequestID: ev.Status.RequestID, EventID: ev.ID,
		},
	}
	if includeLink && ev.Status.Link != "" {
		e.Links = []Link{{Href: ev.Status.Link, Text: "Download"}}
	}
	return e
}
