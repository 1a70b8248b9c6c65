// Package webhook is the generic webhook sink: one request per event, a
// CloudEvents body or WEBHOOK_TEMPLATE's, signed as Standard Webhooks when
// WEBHOOK_SECRET is set.
package webhook

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"text/template"
	"time"

	"github.com/export-notifier/export-notifier/event"
	"github.com/export-notifier/export-notifier/notify"
	"github.com/export-notifier/export-notifier/notify/incident"
)

// Media types of webhook bodies.
const (
	cloudEventsJSON = "application/cloudevents+json"
	plainJSON       = "application/json"
)

// webhook posts one request per event to a generic endpoint.
type webhook struct {
	name        string
	url         string
	client      *http.Client
	header      http.Header
	key         []byte // Standard Webhooks signing key; nil: unsigned
	tmpl        *template.Template
	format      string // FormatCloudEvents or FormatAlertmanager
	includeLink bool
	now         func() time.Time
	secrets     []string // what must never appear in an error
}

// sinkName is the sink's name for target: its host and a short hash of
// the whole URL, so two endpoints on one host stay apart without showing
// the URL's secret path.
func sinkName(target string) string {
	host := "invalid"
	if u, err := url.Parse(target); err == nil && u.Host != "" {
		host = u.Host
	}
	sum := sha256.Sum256([]byte(target))
	return "webhook:" + host + "#" + hex.EncodeToString(sum[:4])
}

func (w *webhook) Name() string { return w.name }

// Group sends every event on its own: receivers such as ticketing systems
// deal in one item per request, and deduplicate by the event ID.
func (w *webhook) Group(events []event.Event) [][]event.Event { return notify.Singly(events) }

// Takes reports whether the webhook sends anything about ev: in the
// alertmanager format, only what opens or resolves an incident.
func (w *webhook) Takes(ev event.Event) bool {
	return w.format != FormatAlertmanager || incident.Takes(ev)
}

// ResolvesIncidents reports whether the webhook posts the Alertmanager
// format, whose completions resolve what failures fired.
func (w *webhook) ResolvesIncidents() bool { return w.format == FormatAlertmanager }

// Notify sends one request per event, stopping at the first failure.
func (w *webhook) Notify(ctx context.Context, events []event.Event) error {
	for _, ev := range events {
		if err := w.send(ctx, ev); err != nil {
			return err
		}
	}
	return nil
}

func (w *webhook) send(ctx context.Context, ev event.Event) error {
	if !w.Takes(ev) {
		return nil // recorded before a change of WEBHOOK_FORMAT: nothing to send
	}
	body, contentType, err := w.render(ctx, ev)
	if err == nil && w.tmpl != nil {
		err = checkJSON(body, contentType)
	}
	if err != nil {
		// Permanent: the same template fails the same event again. Later
		// cycles try it once each, so a corrected template still
		// delivers it, until the export is no longer remembered.
		return &notify.Error{Sink: w.name, Err: err}
	}
	header := make(http.Header, len(w.header)+4)
	header.Set("Content-Type", contentType)
	header.Set("User-Agent", "export-notifier")
	for name, values := range w.header {
		header[name] = values
	}
	if w.key != nil {
		SignHeaders(header, w.key, ev.ID, w.now(), body)
	}
	if e := notify.Post(ctx, w.client, w.name, w.url, header, body, w.secrets); e != nil {
		return e
	}
	return nil
}

// render is the body for ev and its media type: WEBHOOK_HEADERS' Content-Type
// when it sets one. A template renders within ctx and MaxBodySize.
func (w *webhook) render(ctx context.Context, ev event.Event) ([]byte, string, error) {
	switch {
	case w.format == FormatAlertmanager:
		b, err := AlertmanagerBody(ev, w.includeLink)
		return b, plainJSON, err
	case w.tmpl == nil:
		b, err := CloudEventBody(ev, w.includeLink)
		return b, cloudEventsJSON, err
	}
	contentType := plainJSON
	if v := w.header.Get("Content-Type"); v != "" {
		contentType = v
	}
	body, err := execute(ctx, w.tmpl, NewTemplateData(ev, w.includeLink))
	if err != nil {
		return nil, "", fmt.Errorf("WEBHOOK_TEMPLATE: %s", notify.Cut(notify.OneLine(err.Error()), 240, notify.Bytes))
	}
	return body, contentType, nil
}

// SignHeaders sets the Standard Webhooks headers of a request with the
// given message id and body, signed with key at now.
func SignHeaders(header http.Header, key []byte, id string, now time.Time, body []byte) {
	ts := strconv.FormatInt(now.Unix(), 10)
	header.Set("webhook-id", id)
	header.Set("webhook-timestamp", ts)
	header.Set("webhook-signature", "v1,"+sign(key, id, ts, body))
}

// SigningKey is the HMAC key of a Standard Webhooks secret ("whsec_" and
// base64), as WEBHOOK_SECRET holds it.
func SigningKey(secret string) ([]byte, error) { return decodeSigningSecret(secret) }

// sign is the Standard Webhooks v1 signature: base64 HMAC-SHA256 over
// "id.timestamp.body".
func sign(key []byte, id, timestamp string, body []byte) string {
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(id))
	mac.Write([]byte{'.'})
	mac.Write([]byte(timestamp))
	mac.Write([]byte{'.'})
	mac.Write(body)
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// decodeSigningSecret turns a Standard Webhooks secret ("whsec_" and
// base64) into the HMAC key.
func decodeSigningSecret(secret string) ([]byte, error) {
	raw := strings.TrimPrefix(strings.TrimSpace(secret), "whsec_")
	key, err := base64.StdEncoding.DecodeString(raw)
	if err != nil {
		return nil, fmt.Errorf("not base64 after the whsec_ prefix")
	}
	if len(key) < 16 {
		return nil, fmt.Errorf("the key is %d bytes; Standard Webhooks secrets hold 24 to 64", len(key))
	}
	return key, nil
}
