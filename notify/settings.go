package notify

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/textproto"
	"net/url"
	"os"
	"strconv"
	"strings"
	"text/template"
	"time"

	"github.com/slack-go/slack"
)

// Settings configure the sinks. SettingsFromEnv reads them from the
// environment; tests and embedders may fill them in directly.
type Settings struct {
	SlackWebhookURL string // SLACK_WEBHOOK_URL: an incoming webhook
	SlackBotToken   string // SLACK_BOT_TOKEN: a bot token for chat.postMessage
	SlackChannel    string // SLACK_CHANNEL: where the bot posts
	SlackAPIURL     string // SLACK_API_URL: Slack's Web API base URL, ending in "/"; "" for Slack's own
	// SLACK_UPDATE_MESSAGES: the bot keeps one message per export and
	// edits it (see Updater); needs SlackBotToken.
	SlackUpdateMessages bool

	WebhookURLs     []string           // WEBHOOK_URL, comma separated
	WebhookSecret   string             // WEBHOOK_SECRET: Standard Webhooks secret, "whsec_..."
	WebhookHeaders  http.Header        // WEBHOOK_HEADERS: "Name=value;Name2=value2"
	WebhookTemplate *template.Template // WEBHOOK_TEMPLATE: a custom body (see ParseTemplate); nil for CloudEvents

	DingTalkWebhookURL string // DINGTALK_WEBHOOK_URL: a DingTalk custom bot, ".../robot/send?access_token=..."
	DingTalkSecret     string // DINGTALK_SECRET: its signing secret ("SEC..."); "" if the bot checks a keyword or IPs instead
	LarkWebhookURL     string // LARK_WEBHOOK_URL: a Lark/Feishu custom bot, ".../open-apis/bot/v2/hook/..."
	LarkSecret         string // LARK_SECRET: its signing secret; "" if the bot checks a keyword or IPs instead

	IncludeLink bool // INCLUDE_LINK: put the download link in messages
}

// LogValue shows which sinks are configured without showing any secret.
func (s Settings) LogValue() slog.Value {
	hosts := make([]string, len(s.WebhookURLs))
	for i, u := range s.WebhookURLs {
		hosts[i] = RedactURL(u)
	}
	attrs := []slog.Attr{
		slog.Bool("slackWebhook", s.SlackWebhookURL != ""),
		slog.Bool("slackBot", s.SlackBotToken != ""),
		slog.String("slackChannel", s.SlackChannel),
		slog.Bool("slackUpdateMessages", s.SlackUpdateMessages),
		slog.Any("webhooks", hosts),
		slog.Bool("signed", s.WebhookSecret != ""),
		slog.Int("extraHeaders", len(s.WebhookHeaders)),
		slog.Bool("template", s.WebhookTemplate != nil),
		slog.Bool("dingtalk", s.DingTalkWebhookURL != ""),
		slog.Bool("dingtalkSigned", s.DingTalkSecret != ""),
		slog.Bool("lark", s.LarkWebhookURL != ""),
		slog.Bool("larkSigned", s.LarkSecret != ""),
		slog.Bool("includeLink", s.IncludeLink),
	}
	return slog.GroupValue(attrs...)
}

// SettingsFromEnv reads the sinks' settings through getenv (os.Getenv, or a
// test's map). An error names the variable, fits on one line and never
// holds the secret part of a value.
func SettingsFromEnv(getenv func(string) string) (Settings, error) {
	s := Settings{IncludeLink: true}
	var err error
	get := func(name string) string { return strings.TrimSpace(getenv(name)) }

	if v := get("SLACK_WEBHOOK_URL"); v != "" {
		if s.SlackWebhookURL, err = CheckURL("SLACK_WEBHOOK_URL", v); err != nil {
			return Settings{}, err
		}
	}
	s.SlackBotToken, s.SlackChannel = get("SLACK_BOT_TOKEN"), get("SLACK_CHANNEL")
	if s.SlackBotToken != "" && s.SlackChannel == "" {
		return Settings{}, errors.New("SLACK_CHANNEL: required with SLACK_BOT_TOKEN (a channel ID such as C0123456789, or #name)")
	}
	if s.SlackChannel != "" && s.SlackBotToken == "" {
		return Settings{}, errors.New("SLACK_BOT_TOKEN: required with SLACK_CHANNEL")
	}
	if strings.ContainsAny(s.SlackBotToken, " \t\r\n") {
		return Settings{}, errors.New("SLACK_BOT_TOKEN: holds white space")
	}
	if v := get("SLACK_API_URL"); v != "" {
		if s.SlackAPIURL, err = CheckURL("SLACK_API_URL", v); err != nil {
			return Settings{}, err
		}
		if !strings.HasSuffix(s.SlackAPIURL, "/") {
			s.SlackAPIURL += "/"
		}
	}
	if v := get("SLACK_UPDATE_MESSAGES"); v != "" {
		if s.SlackUpdateMessages, err = strconv.ParseBool(v); err != nil {
			return Settings{}, fmt.Errorf("SLACK_UPDATE_MESSAGES: want true or false, got %q", Cut(v, 20, Chars))
		}
		if s.SlackUpdateMessages && s.SlackBotToken == "" {
			return Settings{}, errors.New(updateNeedsBot)
		}
	}

	if s.WebhookURLs, err = parseURLList("WEBHOOK_URL", get("WEBHOOK_URL")); err != nil {
		return Settings{}, err
	}
	if v := get("WEBHOOK_SECRET"); v != "" {
		if _, err := decodeSigningSecret(v); err != nil {
			return Settings{}, fmt.Errorf("WEBHOOK_SECRET: %w", err)
		}
		s.WebhookSecret = v
	}
	if s.WebhookHeaders, err = ParseHeaders(get("WEBHOOK_HEADERS")); err != nil {
		return Settings{}, fmt.Errorf("WEBHOOK_HEADERS: %w", err)
	}
	if v := getenv("WEBHOOK_TEMPLATE"); strings.TrimSpace(v) != "" {
		if s.WebhookTemplate, err = loadTemplate(v); err != nil {
			return Settings{}, fmt.Errorf("WEBHOOK_TEMPLATE: %s", OneLine(err.Error()))
		}
	}
	if s.DingTalkWebhookURL, s.DingTalkSecret, err = botFromEnv(get, "DINGTALK_WEBHOOK_URL", "DINGTALK_SECRET", checkDingTalkURL); err != nil {
		return Settings{}, err
	}
	if s.LarkWebhookURL, s.LarkSecret, err = botFromEnv(get, "LARK_WEBHOOK_URL", "LARK_SECRET", checkLarkURL); err != nil {
		return Settings{}, err
	}
	if v := get("INCLUDE_LINK"); v != "" {
		if s.IncludeLink, err = strconv.ParseBool(v); err != nil {
			return Settings{}, fmt.Errorf("INCLUDE_LINK: want true or false, got %q", Cut(v, 20, Chars))
		}
	}
	return s, nil
}

// updateNeedsBot refuses SLACK_UPDATE_MESSAGES without a bot token.
const updateNeedsBot = "SLACK_UPDATE_MESSAGES: needs SLACK_BOT_TOKEN and SLACK_CHANNEL (an incoming webhook cannot edit its messages)"

// botFromEnv reads a chat bot's URL and signing secret; a secret needs
// the URL.
func botFromEnv(get func(string) string, urlVar, secretVar string, check func(string) (string, error)) (string, string, error) {
	target, secret := get(urlVar), get(secretVar)
	if target == "" {
		if secret != "" {
			return "", "", fmt.Errorf("%s: set without %s", secretVar, urlVar)
		}
		return "", "", nil
	}
	target, err := check(target)
	if err != nil {
		return "", "", err
	}
	if err := checkBotSecret(secretVar, secret); err != nil {
		return "", "", err
	}
	return target, secret, nil
}

// New returns the configured sinks: Slack (incoming webhook, bot, or
// both), DingTalk, Lark, then one per webhook URL. With none configured it
// returns the console sink alone, writing to console.
func New(s Settings, console io.Writer) ([]Notifier, error) {
	var sinks []Notifier
	if s.SlackWebhookURL != "" {
		u, err := CheckURL("SLACK_WEBHOOK_URL", s.SlackWebhookURL)
		if err != nil {
			return nil, err
		}
		sinks = append(sinks, newSlackWebhook(u, s.IncludeLink))
	}
	if s.SlackBotToken != "" || s.SlackChannel != "" {
		if s.SlackBotToken == "" || s.SlackChannel == "" {
			return nil, errors.New("SLACK_BOT_TOKEN and SLACK_CHANNEL: set both or neither")
		}
		api := s.SlackAPIURL
		if api == "" {
			api = slack.APIURL
		}
		api, err := CheckURL("SLACK_API_URL", api)
		if err != nil {
			return nil, err
		}
		bot := newSlackBot(api, s.SlackBotToken, s.SlackChannel, s.IncludeLink)
		if s.SlackUpdateMessages {
			sinks = append(sinks, slackUpdater{bot})
		} else {
			sinks = append(sinks, bot)
		}
	} else if s.SlackUpdateMessages {
		return nil, errors.New(updateNeedsBot)
	}
	if s.DingTalkWebhookURL != "" {
		d, err := newDingTalk(s.DingTalkWebhookURL, s.DingTalkSecret, s.IncludeLink)
		if err != nil {
			return nil, err
		}
		sinks = append(sinks, d)
	} else if s.DingTalkSecret != "" {
		return nil, errors.New("DINGTALK_SECRET: set without DINGTALK_WEBHOOK_URL")
	}
	if s.LarkWebhookURL != "" {
		l, err := newLark(s.LarkWebhookURL, s.LarkSecret, s.IncludeLink)
		if err != nil {
			return nil, err
		}
		sinks = append(sinks, l)
	} else if s.LarkSecret != "" {
		return nil, errors.New("LARK_SECRET: set without LARK_WEBHOOK_URL")
	}
	var key []byte
	if s.WebhookSecret != "" {
		k, err := decodeSigningSecret(s.WebhookSecret)
		if err != nil {
			return nil, fmt.Errorf("WEBHOOK_SECRET: %w", err)
		}
		key = k
	}
	secrets := []string{s.WebhookSecret}
	for _, values := range s.WebhookHeaders {
		secrets = append(secrets, values...)
	}
	client := NewHTTPClient()
	seen := map[string]bool{}
	for i, raw := range s.WebhookURLs {
		u, err := CheckURL(fmt.Sprintf("WEBHOOK_URL (item %d)", i+1), raw)
		if err != nil {
			return nil, err
		}
		if seen[u] {
			continue
		}
		seen[u] = true
		sinks = append(sinks, &webhook{
			name:        webhookName(u),
			url:         u,
			client:      client,
			header:      s.WebhookHeaders.Clone(),
			key:         key,
			tmpl:        s.WebhookTemplate,
			includeLink: s.IncludeLink,
			now:         time.Now,
			secrets:     append(URLSecrets(u), secrets...),
		})
	}
	if len(sinks) == 0 {
		if console == nil {
			console = io.Discard
		}
		sinks = append(sinks, NewConsole(console, s.IncludeLink))
	}
	return sinks, nil
}

// CheckURL accepts an absolute https URL, or plain http to a loopback
// host. The error names variable and shows the URL only as RedactURL does.
func CheckURL(variable, raw string) (string, error) {
	raw = strings.TrimSpace(raw)
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || u.Hostname() == "" {
		return "", fmt.Errorf("%s: %s is not an absolute URL (want https://host/...)", variable, RedactURL(raw))
	}
	switch strings.ToLower(u.Scheme) {
	case "https":
	case "http":
		if !isLoopbackHost(u.Hostname()) {
			return "", fmt.Errorf("%s: %s: plain http is allowed only to loopback hosts; use https", variable, RedactURL(raw))
		}
	default:
		return "", fmt.Errorf("%s: %s: want an https URL", variable, RedactURL(raw))
	}
	return raw, nil
}

// parseURLList splits a comma-separated list of URLs and checks each.
func parseURLList(variable, list string) ([]string, error) {
	var urls []string
	for i, item := range strings.Split(list, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		u, err := CheckURL(fmt.Sprintf("%s (item %d)", variable, i+1), item)
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
