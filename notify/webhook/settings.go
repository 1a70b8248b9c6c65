package webhook

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/textproto"
	"strings"
	"text/template"
	"time"

	"github.com/export-notifier/export-notifier/event"
	"github.com/export-notifier/export-notifier/notify"
	"github.com/export-notifier/export-notifier/setting"
)

// Variables are the environment variables the webhook sink reads.
func Variables() []setting.Var {
	return []setting.Var{
		{Name: "WEBHOOK_URL", Meaning: "generic webhook endpoints, comma separated; one request per event", Secret: true},
		{Name: "WEBHOOK_SECRET", Meaning: "a Standard Webhooks signing secret, whsec_...; unset: requests are not signed", Secret: true},
		{Name: "WEBHOOK_HEADERS", Meaning: "extra request headers, Name=value;Name2=value2", Secret: true},
		{Name: "WEBHOOK_TEMPLATE", Meaning: "a text/template for the body, or @path to a file holding one; at most 256 KB rendered, valid JSON unless WEBHOOK_HEADERS sets another Content-Type", Default: "a CloudEvents 1.0 JSON body"},
		{Name: "WEBHOOK_FORMAT", Meaning: "the body: cloudevents, or alertmanager (the Alertmanager webhook body, version 4: failures and stalls fire, a later completion resolves)", Default: FormatCloudEvents},
	}
}

// Kind is the webhook sink for the list of sinks.
func Kind() notify.Kind {
	return notify.Kind{Name: "webhook", Variables: Variables(), FromEnv: func(getenv func(string) string) (notify.Config, error) {
		return FromEnv(getenv)
	}}
}

// Settings configure the webhook sinks, one per URL.
type Settings struct {
	URLs     []string           // WEBHOOK_URL, comma separated
	Secret   string             // WEBHOOK_SECRET: Standard Webhooks secret, "whsec_..."
	Headers  http.Header        // WEBHOOK_HEADERS: "Name=value;Name2=value2"
	Template *template.Template // WEBHOOK_TEMPLATE: a custom body (see ParseTemplate); nil for CloudEvents
	Format   string             // WEBHOOK_FORMAT: FormatCloudEvents or FormatAlertmanager
	key      []byte             // the signing key Secret holds; nil: unsigned
}

// FromEnv reads and checks the webhook variables through getenv.
func FromEnv(getenv func(string) string) (Settings, error) {
	get := func(name string) string { return strings.TrimSpace(getenv(name)) }
	s := Settings{Format: FormatCloudEvents}
	var err error
	if s.URLs, err = parseURLList("WEBHOOK_URL", get("WEBHOOK_URL")); err != nil {
		return Settings{}, err
	}
	if v := get("WEBHOOK_SECRET"); v != "" {
		if s.key, err = decodeSigningSecret(v); err != nil {
			return Settings{}, fmt.Errorf("WEBHOOK_SECRET: %w", err)
		}
		s.Secret = v
	}
	if s.Headers, err = ParseHeaders(get("WEBHOOK_HEADERS")); err != nil {
		return Settings{}, fmt.Errorf("WEBHOOK_HEADERS: %w", err)
	}
	if v := getenv("WEBHOOK_TEMPLATE"); strings.TrimSpace(v) != "" {
		if s.Template, err = loadTemplate(v); err != nil {
			return Settings{}, fmt.Errorf("WEBHOOK_TEMPLATE: %s", notify.Cut(notify.OneLine(err.Error()), 280, notify.Bytes))
		}
	}
	switch v := get("WEBHOOK_FORMAT"); v {
	case "", FormatCloudEvents:
	case FormatAlertmanager:
		if s.Template != nil {
			return Settings{}, fmt.Errorf("WEBHOOK_FORMAT: alertmanager is a body of its own; unset WEBHOOK_TEMPLATE or WEBHOOK_FORMAT")
		}
		s.Format = v
	default:
		return Settings{}, fmt.Errorf("WEBHOOK_FORMAT: %s is not a format (want cloudevents or alertmanager)", event.Quote(v))
	}
	return s, nil
}

// LogValue shows the webhooks' hosts and what is set, without the URLs'
// paths, the secret or the header values.
func (s Settings) LogValue() slog.Value {
	hosts := make([]string, len(s.URLs))
	for i, u := range s.URLs {
		hosts[i] = notify.RedactURL(u)
	}
	return slog.GroupValue(
		slog.Any("urls", hosts),
		slog.Bool("signed", s.Secret != ""),
		slog.Int("extraHeaders", len(s.Headers)),
		slog.Bool("template", s.Template != nil),
		slog.String("format", s.Format),
	)
}

// Notifiers are one sink per distinct URL.
func (s Settings) Notifiers(includeLink bool) []notify.Notifier {
	secrets := []string{s.Secret}
	for _, values := range s.Headers {
		secrets = append(secrets, values...)
	}
	client := notify.NewHTTPClient()
	seen := map[string]bool{}
	var sinks []notify.Notifier
	for _, u := range s.URLs {
		if seen[u] {
			continue
		}
		seen[u] = true
		sinks = append(sinks, &webhook{
			name:        sinkName(u),
			url:         u,
			client:      client,
			header:      s.Headers.Clone(),
			key:         s.key,
			tmpl:        s.Template,
			format:      s.Format,
			includeLink: includeLink,
			now:         time.Now,
			secrets:     append(notify.URLSecrets(u), secrets...),
		})
	}
	return sinks
}

// Preview is the body a webhook receives for each event, one request per
// event.
func (s Settings) Preview(events []event.Event, includeLink bool) ([]notify.Rendering, error) {
	w := &webhook{tmpl: s.Template, format: s.Format, header: s.Headers, includeLink: includeLink}
	ctx, cancel := context.WithTimeout(context.Background(), sampleTimeout)
	defer cancel()
	out := make([]notify.Rendering, len(events))
	for i, ev := range events {
		body, contentType, err := w.render(ctx, ev)
		if err != nil {
			return nil, err
		}
		if !w.Takes(ev) {
			out[i] = notify.Rendering{Title: fmt.Sprintf("Webhook: nothing is sent about this %s event in the alertmanager format (only failures, stalls and the completions that resolve them)", ev.Type), Body: []byte("null")}
			continue
		}
		title := "Webhook body"
		if len(events) > 1 {
			title = fmt.Sprintf("Webhook body %d of %d (one request per event)", i+1, len(events))
		}
		title += " (Content-Type: " + contentType + ")"
		if s.Format == FormatAlertmanager {
			title = "Alertmanager webhook body, version 4" + strings.TrimPrefix(title, "Webhook body")
		}
		if s.Template != nil {
			if err := checkJSON(body, contentType); err != nil {
				title += ", not sent: " + err.Error()
			}
		}
		out[i] = notify.Rendering{Title: title, Body: body}
	}
	return out, nil
}

// parseURLList splits a comma-separated list of URLs and checks each.
func parseURLList(variable, list string) ([]string, error) {
	var urls []string
	for i, item := range strings.Split(list, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		u, err := notify.CheckURL(fmt.Sprintf("%s (item %d)", variable, i+1), item)
		if err != nil {
			return nil, err
		}
		urls = append(urls, u)
	}
	return urls, nil
}

// ParseHeaders parses WEBHOOK_HEADERS: "Name=value;Name2=value2". Errors
// name the header but never show a value, which may be a credential.
func ParseHeaders(s string) (http.Header, error) {
	h := http.Header{}
	for i, item := range strings.Split(s, ";") {
		if strings.TrimSpace(item) == "" {
			continue
		}
		name, value, ok := strings.Cut(item, "=")
		name = strings.TrimSpace(name)
		if !ok || name == "" {
			return nil, fmt.Errorf("item %d: want Name=value", i+1)
		}
		if !isToken(name) {
			// The name is not shown: a malformed item may be a credential.
			return nil, fmt.Errorf("item %d: not a valid header name (letters, digits and !#$%%&'*+-.^_`|~)", i+1)
		}
		if strings.ContainsAny(value, "\r\n\x00") {
			return nil, fmt.Errorf("header %s: the value holds a line break", name)
		}
		switch strings.ToLower(name) {
		case "host", "content-length", "transfer-encoding", "connection",
			"webhook-id", "webhook-timestamp", "webhook-signature":
			return nil, fmt.Errorf("header %s: set by export-notifier itself", name)
		}
		h.Add(textproto.CanonicalMIMEHeaderKey(name), strings.TrimSpace(value))
	}
	if len(h) == 0 {
		return nil, nil
	}
	return h, nil
}

// isToken reports whether s is an RFC 9110 token, the grammar of header
// names.
func isToken(s string) bool {
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9':
		case strings.ContainsRune("!#$%&'*+-.^_`|~", r):
		default:
			return false
		}
	}
	return s != ""
}
