package chatbot

import (
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"time"

	"golang.org/x/time/rate"

	"github.com/export-notifier/export-notifier/event"
	"github.com/export-notifier/export-notifier/notify"
	"github.com/export-notifier/export-notifier/setting"
)

// Spec is one kind of chat bot: its variables, how to check its URL, its
// rate and credential, and how to build its sink and render its messages.
type Spec struct {
	Name      string // the sink's name, "dingtalk"
	URLVar    string // e.g. "DINGTALK_WEBHOOK_URL"
	SecretVar string // e.g. "DINGTALK_SECRET"; "" for a bot that signs nothing (WeCom)
	// URLMeaning and SecretMeaning describe the two variables.
	URLMeaning, SecretMeaning string
	// Credential is the part of a URL that is the bot's credential (a
	// token parameter, a hook ID), never to be shown; a URL without one is
	// refused.
	Credential func(target string) string
	// Missing says, after "has no ", what a URL without its credential
	// lacks and what to do.
	Missing string
	// Every and Burst are a token bucket that keeps one process under the
	// bot's documented rate.
	Every time.Duration
	Burst int
	// New builds the sink around the bot; it sets the bot's Answer.
	New func(b *Bot) notify.Notifier
	// Render is the message about events, as the bot receives it (before
	// any signature).
	Render func(events []event.Event, includeLink bool) any
	// PreviewTitle says what the message is, for preview.
	PreviewTitle string
}

// Kind is the bot as the list of sinks knows it.
func (sp Spec) Kind() notify.Kind {
	vars := []setting.Var{{Name: sp.URLVar, Meaning: sp.URLMeaning, Secret: true}}
	if sp.SecretVar != "" {
		vars = append(vars, setting.Var{Name: sp.SecretVar, Meaning: sp.SecretMeaning, Secret: true})
	}
	return notify.Kind{Name: sp.Name, Variables: vars, FromEnv: func(getenv func(string) string) (notify.Config, error) {
		s, err := sp.FromEnv(getenv)
		return config{s, sp}, err
	}}
}

// NewBot is the bot that s configures, before New gives it its sink.
func (sp Spec) NewBot(s Settings, includeLink bool) *Bot {
	return &Bot{
		Settings:    s,
		Sink:        sp.Name,
		IncludeLink: includeLink,
		Now:         time.Now,
		Client:      notify.NewHTTPClient(),
		Limiter:     rate.NewLimiter(rate.Every(sp.Every), sp.Burst),
		Secrets:     append(notify.URLSecrets(s.URL), s.Secret, sp.Credential(s.URL)),
	}
}

// Settings are a chat bot's URL and signing secret.
type Settings struct {
	URL    string // "" when the bot is not configured
	Secret string // "" when the bot checks a keyword or IPs instead
}

// FromEnv reads the bot's URL and signing secret; a secret needs the URL.
func (sp Spec) FromEnv(getenv func(string) string) (Settings, error) {
	target, secret := strings.TrimSpace(getenv(sp.URLVar)), ""
	if sp.SecretVar != "" {
		secret = strings.TrimSpace(getenv(sp.SecretVar))
	}
	if target == "" {
		if secret != "" {
			return Settings{}, fmt.Errorf("%s: set without %s", sp.SecretVar, sp.URLVar)
		}
		return Settings{}, nil
	}
	target, err := notify.CheckURL(sp.URLVar, target)
	if err != nil {
		return Settings{}, err
	}
	if sp.Credential(target) == "" {
		return Settings{}, fmt.Errorf("%s: %s has no %s", sp.URLVar, notify.RedactURL(target), sp.Missing)
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
	return []notify.Notifier{c.spec.New(c.spec.NewBot(c.Settings, includeLink))}
}

func (c config) Preview(events []event.Event, includeLink bool) ([]notify.Rendering, error) {
	body, err := notify.MarshalJSON(c.spec.Render(events, includeLink), "")
	if err != nil {
		return nil, err
	}
	return []notify.Rendering{{Title: c.spec.PreviewTitle, Body: body}}, nil
}

// QueryCredential is a Spec.Credential for a bot whose credential is the
// query parameter param of its URL (DingTalk's access_token, WeCom's key).
func QueryCredential(param string) func(target string) string {
	return func(target string) string {
		u, err := url.Parse(target)
		if err != nil {
			return ""
		}
		return u.Query().Get(param)
	}
}
