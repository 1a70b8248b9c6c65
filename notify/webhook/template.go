package webhook

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"text/template"

	"github.com/export-notifier/export-notifier/event"
	"github.com/export-notifier/export-notifier/notify"
)

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
	// The API's raw answer holds the link, and is the one list in an event
	// a template could loop over at length.
	ev.Status.Raw = nil
	d := TemplateData{CloudEvent: NewCloudEvent(ev, includeLink), Event: ev, Summary: notify.Summary(ev, includeLink)}
	if ev.Error != nil {
		d.Hint = notify.Hint(ev.Status.Kind, ev.Error.Code)
	}
	return d
}

// ParseTemplate parses a webhook body template. Besides text/template's
// built-ins it offers json (a value as JSON: {{json .Summary}} gives a quoted
// string) and jsonEscape (a string escaped for use inside a JSON string,
// without the quotes). A template is tried on a sample of every event type,
// so a reference to a field that does not exist fails here, not at the
// first delivery. Loops that no event's data bounds (a range over a
// number, a template that runs itself) are refused here too.
func ParseTemplate(name, text string) (*template.Template, error) {
	t, err := template.New(name).Option("missingkey=error").Funcs(template.FuncMap{
		"json":       templateJSON,
		"jsonEscape": jsonEscape,
	}).Parse(text)
	if err != nil {
		return nil, err
	}
	if err := refuseLoops(t); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), sampleTimeout)
	defer cancel()
	for _, typ := range event.Types() {
		if _, err := execute(ctx, t, NewTemplateData(notify.SampleEvent(typ), true)); err != nil {
			return nil, fmt.Errorf("on a sample %s event: %w", typ, err)
		}
	}
	return t, nil
}

func templateJSON(v any) (string, error) {
	b, err := notify.MarshalJSON(v, "")
	return string(b), err
}

func jsonEscape(s string) string {
	b, _ := json.Marshal(s) // a string always marshals
	return string(b[1 : len(b)-1])
}

// loadTemplate parses WEBHOOK_TEMPLATE: the text itself, or "@path" naming
// a file that holds it.
func loadTemplate(v string) (*template.Template, error) {
	name, text := "WEBHOOK_TEMPLATE", v
	if path, ok := strings.CutPrefix(strings.TrimSpace(v), "@"); ok {
		b, err := os.ReadFile(path)
		if err != nil {
			return nil, err
		}
		name, text = path, string(b)
	}
	return ParseTemplate(name, text)
}
