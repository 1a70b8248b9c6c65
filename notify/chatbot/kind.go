package chatbot

import (
	"fmt"
	"log/slog"
	"strings"

	"github.com/export-notifier/export-notifier/event"
	"github.com/export-notifier/export-notifier/notify"
	"github.com/export-notifier/export-notifier/setting"
)

// Spec is one kind of chat bot: its variables, how to check its URL, and
// how to build its sink and render its messages.
type Spec struct {
	Name      string // the sink's name, "dingtalk"
	URLVar    string // e.g. "DINGTALK_WEBHOOK_URL"
	SecretVar string // e.g. "DINGTALK_SECRET"
	// Variables are the two variables, described.
	Variables []setting.Var
	// CheckURL checks the webhook URL; its error names URLVar.
	CheckURL func(raw string) (string, error)
	// New builds the sink for checked settings.
	New func(s Settings, includeLink bool) notify.Notifier
	// Preview renders events as the bot receives them.
	Preview func(events []event.Event, includeLink bool) (notify.Rendering, error)
}

// Kind is the bot as the list of sinks knows it.
func (sp Spec) Kind() notify.Kind {
	return notify.Kind{Name: sp.Name, Variables: sp.Variables, FromEnv: func(getenv func(string) string) (notify.Config, error) {
		s, err := sp.FromEnv(getenv)
		return config{s, sp}, err
	}}
}

// Settings are a chat bot's URL and signing secret.
type Settings struct {
	URL    string // "" when the bot is not configured
	Secret string // "" when the bot checks a keyword or IPs instead
}

// FromEnv reads the bot's URL and signing secret; a secret needs the URL.
func (sp Spec) FromEnv(getenv func(string) string) (Settings, error) {
	target, secret := strings.TrimSpace(getenv(sp.URLVar)), strings.TrimSpace(getenv(sp.SecretVar))
	if target == "" {
		if secret != "" {
			return Settings{}, fmt.Errorf("%s: set without %s", sp.SecretVar, sp.URLVar)
		}
		return Settings{}, nil
	}
	target, err := sp.CheckURL(target)
	if err != nil {
		return Settings{}, err
	}
	if err := checkSecret(sp.SecretVar, secret); err != nil {
		return Settings{}, err
	}
	return Settings{URL: target, Secret: secret}, nil
}

// config is a bot's checked settings, a notify.Config.
type config struct {
	Settings
	spec Spec
}

// LogValue says whether the bot is configured and signed.
func (c config) LogValue() slog.Value {
	return slog.GroupValue(slog.Bool("configured", c.URL != ""), slog.Bool("signed", c.Secret != ""))
}

func (c config) Notifiers(includeLink bool) []notify.Notifier {
	if c.URL == "" {
		return nil
	}
	return []notify.Notifier{c.spec.New(c.Settings, includeLink)}
}

func (c config) Preview(events []event.Event, includeLink bool) ([]notify.Rendering, error) {
	r, err := c.spec.Preview(events, includeLink)
	if err != nil {
		return nil, err
	}
	return []notify.Rendering{r}, nil
}
