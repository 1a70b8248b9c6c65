package webhook

import (
	"fmt"
	"strings"
	"time"

	"github.com/export-notifier/export-notifier/event"
	"github.com/export-notifier/export-notifier/notify"
	"github.com/export-notifier/export-notifier/notify/incident"
)

// The webhook body formats (WEBHOOK_FORMAT).
const (
	FormatCloudEvents  = "cloudevents"
	FormatAlertmanager = "alertmanager"
)

// receiverName is the receiver an Alertmanager body names.
const receiverName = "export-notifier"

// AlertmanagerMessage is the body Alertmanager's webhook receiver posts,
// version 4: one group of alerts, here the incidents of one export.
type AlertmanagerMessage struct {
	Version           string            `json:"version"`
	GroupKey          string            `json:"groupKey"`
	TruncatedAlerts   int               `json:"truncatedAlerts"`
	Status            string            `json:"status"`
	Receiver          string            `json:"receiver"`
	GroupLabels       map[string]string `json:"groupLabels"`
	CommonLabels      map[string]string `json:"commonLabels"`
	CommonAnnotations map[string]string `json:"commonAnnotations"`
	ExternalURL       string            `json:"externalURL"`
	Alerts            []Alert           `json:"alerts"`
}

// Alert is one alert of an AlertmanagerMessage.
type Alert struct {
	Status       string            `json:"status"`
	Labels       map[string]string `json:"labels"`
	Annotations  map[string]string `json:"annotations"`
	StartsAt     time.Time         `json:"startsAt"`
	EndsAt       time.Time         `json:"endsAt"`
	GeneratorURL string            `json:"generatorURL"`
	Fingerprint  string            `json:"fingerprint"`
}

// NewAlertmanagerMessage is the Alertmanager body about ev: a failed or
// stalled export fires its alert; a completion resolves the alerts its
// earlier events fired (ev.Resolves). ok is false for an event that is no
// incident (see incident.Takes).
func NewAlertmanagerMessage(ev event.Event, includeLink bool) (m AlertmanagerMessage, ok bool) {
	if !incident.Takes(ev) {
		return AlertmanagerMessage{}, false
	}
	ref := ev.Status.Ref
	m = AlertmanagerMessage{
		Version:     "4",
		GroupKey:    fmt.Sprintf("{}:{export=%q}", incident.Key(ref)),
		Status:      "firing",
		Receiver:    receiverName,
		GroupLabels: map[string]string{"export": incident.Key(ref)},
		ExternalURL: incident.ConsoleURL,
	}
	if incident.Opens(ev) {
		code := ""
		if ev.Type == event.Failed {
			code = notify.FailureOf(ev).Code
		}
		m.Alerts = []Alert{newAlert(ev, ev.Type, code, ev.Time.UTC(), time.Time{}, includeLink)}
	} else {
		m.Status = "resolved"
		for _, in := range ev.Resolves {
			m.Alerts = append(m.Alerts, newAlert(ev, in.Type, in.Code, in.Since.UTC(), ev.Time.UTC(), includeLink))
		}
	}
	m.CommonLabels, m.CommonAnnotations = common(m.Alerts)
	return m, true
}

// newAlert is the alert of type typ about ev's export, resolved when ends
// is set.
func newAlert(ev event.Event, typ event.Type, code string, starts, ends time.Time, includeLink bool) Alert {
	ref := ev.Status.Ref
	name := incident.AlertName(typ)
	labels := map[string]string{
		"alertname": name,
		"export":    incident.Key(ref),
		"kind":      string(ref.Kind),
		"account":   incident.Account(ref),
		"region":    notify.RegionText(ev),
	}
	if code != "" {
		labels["code"] = code
	}
	a := Alert{
		Status:       "firing",
		Labels:       labels,
		Annotations:  map[string]string{"summary": incident.Summary(ev), "description": description(ev, includeLink)},
		StartsAt:     starts,
		EndsAt:       ends,
		GeneratorURL: incident.ConsoleURL,
		Fingerprint:  incident.Fingerprint(ref, name),
	}
	if !ends.IsZero() {
		a.Status = "resolved"
	}
	if hint := incident.Hint(ev); hint != "" {
		a.Annotations["hint"] = hint
	}
	return a
}

// description is the longer text of an alert: the export's state, and
// for a failure Security Center's message.
func description(ev event.Event, includeLink bool) string {
	parts := []string{notify.Summary(ev, includeLink)}
	if ev.Type == event.Failed && ev.Error != nil && ev.Error.Message != "" {
		parts = append(parts, notify.OneLine(ev.Error.Message))
	}
	parts = append(parts, "Status: "+notify.ProgressText(ev.Status))
	if id := ev.Status.RequestID; id != "" {
		parts = append(parts, "Request ID: "+notify.OneLine(id))
	}
	return strings.Join(parts, "\n")
}

// common are the labels and annotations every alert shares.
func common(alerts []Alert) (labels, annotations map[string]string) {
	labels, annotations = map[string]string{}, map[string]string{}
	if len(alerts) == 0 {
		return labels, annotations
	}
	for k, v := range alerts[0].Labels {
		labels[k] = v
	}
	for k, v := range alerts[0].Annotations {
		annotations[k] = v
	}
	for _, a := range alerts[1:] {
		for k, v := range labels {
			if a.Labels[k] != v {
				delete(labels, k)
			}
		}
		for k, v := range annotations {
			if a.Annotations[k] != v {
				delete(annotations, k)
			}
		}
	}
	return labels, annotations
}

// AlertmanagerBody is the Alertmanager body about ev, nil for an event
// that is no incident.
func AlertmanagerBody(ev event.Event, includeLink bool) ([]byte, error) {
	m, ok := NewAlertmanagerMessage(ev, includeLink)
	if !ok {
		return nil, nil
	}
	return notify.MarshalJSON(m, "")
}
