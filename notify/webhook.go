package notify

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"text/template"
	"time"

	"github.com/export-notifier/export-notifier/event"
)

// Media types of webhook bodies.
const (
	cloudEventsJSON = "application/cloudevents+json"
	plainJSON       = "application/json"
)

// CloudEvent is the default webhook body: a CloudEvents 1.0 event in
// structured JSON mode.
type CloudEvent struct {
	SpecVersion     string    `json:"specversion"`
	ID              string    `json:"id"`
	Source          string    `json:"source"`
	Type            string    `json:"type"`
	Subject         string    `json:"subject"`
	Time            time.Time `json:"time"`
	DataContentType string    `json:"datacontenttype"`
	Data            EventData `json:"data"`
}

// EventData is the "data" of a CloudEvent: the export as Security Center
// last described it, and for failures what went wrong.
type EventData struct {
	ExportID                   int64          `json:"exportId"`
	Kind                       event.Kind     `json:"kind"`
	Status                     event.State    `json:"status"`
	FileName                   string         `json:"fileName,omitempty"`
	TotalCount                 int64          `json:"totalCount"`
	CurrentCount               int64          `json:"currentCount"`
	Progress                   int            `json:"progress"`
	Link                       string         `json:"link,omitempty"`
	Message                    string         `json:"message,omitempty"`
	RequestID                  string         `json:"requestId,omitempty"`
	ResourceDirectoryAccountID int64          `json:"resourceDirectoryAccountId,omitempty"`
	Region                     string         `json:"region,omitempty"`
	Error                      *event.Failure `json:"error,omitempty"`
	// Start, for started events, is what the payload asked to start, as
	// its "start" item gave it.
	Start *event.StartSpec `json:"start,omitempty"`
}

// NewCloudEvent describes ev as a CloudEvent; the link is left out unless
// includeLink.
func NewCloudEvent(ev event.Event, includeLink bool) CloudEvent {
	st := ev.Status
	source := "/export-notifier/sas"
	if ev.Region != "" {
		source += "/" + url.PathEscape(ev.Region)
	}
	d := EventData{
		ExportID:                   st.ID,
		Kind:                       st.Kind,
		Status:                     st.State,
		FileName:                   st.FileName,
		TotalCount:                 st.TotalCount,
		CurrentCount:               st.CurrentCount,
		Progress:                   st.Progress,
		Message:                    st.Message,
		RequestID:                  st.RequestID,
		ResourceDirectoryAccountID: st.Account,
		Region:                     ev.Region,
		Error:                      ev.Error,
		Start:                      ev.Start,
	}
	if includeLink {
		d.Link = st.Link
	}
	return CloudEvent{
		SpecVersion:     "1.0",
		ID:              ev.ID,
		Source:          source,
		Type:            ev.Type.CloudEventType(),
		Subject:         strconv.FormatInt(st.ID, 10),
		Time:            ev.Time.UTC(),
		DataContentType: plainJSON,
		Data:            d,
	}
}

// CloudEventBody is the default webhook body for ev.
func CloudEventBody(ev event.Event, includeLink bool) ([]byte, error) {
	return MarshalJSON(NewCloudEvent(ev, includeLink), "")
}

// MarshalJSON is json.Marshal without HTML escaping, so that a link's "&"
// and a message's "<" stay readable; indent, when not empty, indents.
func MarshalJSON(v any, indent string) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if indent != "" {
		enc.SetIndent("", indent)
	}
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

// WebhookBody is the body a webhook sink configured by s sends for ev (the
// CloudEvent, or WEBHOOK_TEMPLATE's rendering) and its media type.
func WebhookBody(s Settings, ev event.Event) ([]byte, string, error) {
	w := &webhook{tmpl: s.WebhookTemplate, includeLink: s.IncludeLink}
	return w.render(ev)
}

// TemplateData is what a WEBHOOK_TEMPLATE is executed with: the CloudEvent's
// fields (.ID, .Type, .Subject, .Time, .Data.ExportID, .Data.FileName, ...),
// the event itself (.Event), a one-line summary for people (.Summary) and,
// for failures with a known code, a hint (.Hint).
type TemplateData struct {
	CloudEvent
	Event   event.Event
	Summary string
	Hint    string
}

// NewTemplateData is the data a webhook template sees for ev.
func NewTemplateData(ev event.Event, includeLink bool) TemplateData {
	if !includeLink {
		ev.Status.Link = ""
	}
	d := TemplateData{CloudEvent: NewCloudEvent(ev, includeLink), Event: ev, Summary: Summary(ev, includeLink)}
	if ev.Error != nil {
		d.Hint = Hint(ev.Status.Kind, ev.Error.Code)
	}
	return d
}

// ParseTemplate parses a webhook body template. Besides text/template's
// built-ins it offers json (a value as JSON: {{json .Summary}} gives a quoted
// string) and jsonEscape (a string escaped for use inside a JSON string,
// without the quotes). A template is tried on a sample of every event type,
// so a reference to a field that does not exist fails here, not at the
// first delivery.
func ParseTemplate(name, text string) (*template.Template, error) {
	t, err := template.New(name).Option("missingkey=error").Funcs(template.FuncMap{
		"json":       templateJSON,
		"jsonEscape": jsonEscape,
	}).Parse(text)
	if err != nil {
		return nil, err
	}
	for _, typ := range event.Types() {
		if err := t.Execute(new(bytes.Buffer), NewTemplateData(SampleEvent(typ), true)); err != nil {
			return nil, fmt.Errorf("on a sample %s event: %w", typ, err)
		}
	}
	return t, nil
}

func templateJSON(v any) (string, error) {
	b, err := MarshalJSON(v, "")
	return string(b), err
}

func jsonEscape(s string) string {
	b, _ := json.Marshal(s) // a string always marshals
	return string(b[1 : len(b)-1])
}

// webhook posts one request per event to a generic endpoint.
type webhook struct {
	name        string
	url         string
	client      *http.Client
	header      http.Header
	key         []byte // Standard Webhooks signing key; nil: unsigned
	tmpl        *template.Template
	includeLink bool
	now         func() time.Time
	secrets     []string // what must never appear in an error
}

// webhookName is the sink's name for target: its host and a short hash of
// the whole URL, so two endpoints on one host stay apart without showing
// the URL's secret path.
func webhookName(target string) string {
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
func (w *webhook) Group(events []event.Event) [][]event.Event {
	groups := make([][]event.Event, len(events))
	for i := range events {
		groups[i] = events[i : i+1 : i+1]
	}
	return groups
}

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
	body, contentType, err := w.render(ev)
	if err != nil {
		return &Error{Sink: w.name, Err: err}
	}
	header := make(http.Header, len(w.header)+4)
	header.Set("Content-Type", contentType)
	header.Set("User-Agent", "export-notifier")
	for name, values := range w.header {
		header[name] = values
	}
	if w.key != nil {
		ts := strconv.FormatInt(w.now().Unix(), 10)
		header.Set("webhook-id", ev.ID)
		header.Set("webhook-timestamp", ts)
		header.Set("webhook-signature", "v1,"+sign(w.key, ev.ID, ts, body))
	}
	if e := Post(ctx, w.client, w.name, w.url, header, body, w.secrets); e != nil {
		return e
	}
	return nil
}

// render is the body for ev and its media type.
func (w *webhook) render(ev event.Event) ([]byte, string, error) {
	if w.tmpl == nil {
		b, err := CloudEventBody(ev, w.includeLink)
		return b, cloudEventsJSON, err
	}
	var buf bytes.Buffer
	if err := w.tmpl.Execute(&buf, NewTemplateData(ev, w.includeLink)); err != nil {
		return nil, "", fmt.Errorf("WEBHOOK_TEMPLATE: %w", err)
	}
	return buf.Bytes(), plainJSON, nil
}

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
