package slack

import (
	"errors"
	"log/slog"
	"strings"

	slackgo "github.com/slack-go/slack"

	"github.com/export-notifier/export-notifier/event"
	"github.com/export-notifier/export-notifier/notify"
	"github.com/export-notifier/export-notifier/setting"
)

// Variables are the environment variables the Slack sinks read.
func Variables() []setting.Var {
	return []setting.Var{
		{Name: "SLACK_WEBHOOK_URL", Meaning: "a Slack incoming webhook", Secret: true},
		{Name: "SLACK_BOT_TOKEN", Meaning: "a Slack bot token (xoxb-...) for chat.postMessage; needs SLACK_CHANNEL", Secret: true},
		{Name: "SLACK_CHANNEL", Meaning: "where the bot posts: a channel ID such as C0123456789, or #name"},
		{Name: "SLACK_API_URL", Meaning: "Slack's Web API base URL", Default: "https://slack.com/api/"},
		{Name: "SLACK_UPDATE_MESSAGES", Meaning: "the bot keeps one message per export and edits it as the export progresses", Default: "false"},
		{Name: "SLACK_ATTACH_FILE", Meaning: "the bot posts each completed export's file (up to 1 GiB) in its message's thread; scope files:write", Default: "false"},
	}
}

// Kind is the Slack sinks for the list of sinks.
func Kind() notify.Kind {
	return notify.Kind{Name: "slack", Variables: Variables(), FromEnv: func(getenv func(string) string) (notify.Config, error) {
		return FromEnv(getenv)
	}}
}

// Settings configure the Slack sinks: an incoming webhook, a bot, or both.
type Settings struct {
	WebhookURL string // SLACK_WEBHOOK_URL
	BotToken   string // SLACK_BOT_TOKEN
	Channel    string // SLACK_CHANNEL
	APIURL     string // SLACK_API_URL, ending in "/"
	// UpdateMessages (SLACK_UPDATE_MESSAGES): the bot keeps one message
	// per export and edits it (see notify.Updater).
	UpdateMessages bool
	// AttachFile (SLACK_ATTACH_FILE): the bot posts each completion's
	// file in its message's thread.
	AttachFile bool
}

// updateNeedsBot refuses SLACK_UPDATE_MESSAGES without a bot token.
const updateNeedsBot = "SLACK_UPDATE_MESSAGES: needs SLACK_BOT_TOKEN and SLACK_CHANNEL (an incoming webhook cannot edit its messages)"

// FromEnv reads and checks the Slack variables through getenv.
func FromEnv(getenv func(string) string) (Settings, error) {
	get := func(name string) string { return strings.TrimSpace(getenv(name)) }
	s := Settings{APIURL: slackgo.APIURL}
	var err error
	if v := get("SLACK_WEBHOOK_URL"); v != "" {
		if s.WebhookURL, err = notify.CheckURL("SLACK_WEBHOOK_URL", v); err != nil {
			return Settings{}, err
		}
	}
	s.BotToken, s.Channel = get("SLACK_BOT_TOKEN"), get("SLACK_CHANNEL")
	switch {
	case s.BotToken != "" && s.Channel == "":
		return Settings{}, errors.New("SLACK_CHANNEL: required with SLACK_BOT_TOKEN (a channel ID such as C0123456789, or #name)")
	case s.Channel != "" && s.BotToken == "":
		return Settings{}, errors.New("SLACK_BOT_TOKEN: required with SLACK_CHANNEL")
	case strings.ContainsAny(s.BotToken, " \t\r\n"):
		return Settings{}, errors.New("SLACK_BOT_TOKEN: holds white space")
	}
	if v := get("SLACK_API_URL"); v != "" {
		if s.APIURL, err = notify.CheckURL("SLACK_API_URL", v); err != nil {
			return Settings{}, err
		}
		if !strings.HasSuffix(s.APIURL, "/") {
			s.APIURL += "/"
		}
	}
	if v := get("SLACK_UPDATE_MESSAGES"); v != "" {
		if s.UpdateMessages, err = notify.ParseBool("SLACK_UPDATE_MESSAGES", v); err != nil {
			return Settings{}, err
		}
		if s.UpdateMessages && s.BotToken == "" {
			return Settings{}, errors.New(updateNeedsBot)
		}
	}
	if v := get("SLACK_ATTACH_FILE"); v != "" {
		if s.AttachFile, err = notify.ParseBool("SLACK_ATTACH_FILE", v); err != nil {
			return Settings{}, err
		}
		if s.AttachFile && s.BotToken == "" {
			return Settings{}, errors.New("SLACK_ATTACH_FILE: needs SLACK_BOT_TOKEN and SLACK_CHANNEL (an incoming webhook cannot upload files)")
		}
	}
	return s, nil
}

// LogValue shows which Slack sinks are configured, without the webhook URL
// or the token.
func (s Settings) LogValue() slog.Value {
	return slog.GroupValue(
		slog.Bool("webhook", s.WebhookURL != ""),
		slog.Bool("bot", s.BotToken != ""),
		slog.String("channel", s.Channel),
		slog.Bool("updateMessages", s.UpdateMessages),
		slog.Bool("attachFile", s.AttachFile),
	)
}

// Notifiers are the configured Slack sinks: the incoming webhook, then the
// bot (an notify.Updater with UpdateMessages).
func (s Settings) Notifiers(includeLink bool) []notify.Notifier {
	var sinks []notify.Notifier
	if s.WebhookURL != "" {
		sinks = append(sinks, newSlackWebhook(s.WebhookURL, includeLink))
	}
	if s.BotToken != "" {
		bot := newSlackBot(s.APIURL, s.BotToken, s.Channel, includeLink)
		bot.attachFile = s.AttachFile
		if s.UpdateMessages {
			sinks = append(sinks, slackUpdater{bot})
		} else {
			sinks = append(sinks, bot)
		}
	}
	return sinks
}

// Preview is the Slack message about events, with a link that shows it
// rendered in Block Kit Builder.
func (s Settings) Preview(events []event.Event, includeLink bool) ([]notify.Rendering, error) {
	msg := Render(events, includeLink)
	body, err := notify.MarshalJSON(msg, "")
	if err != nil {
		return nil, err
	}
	link, err := BlockKitBuilderURL(msg)
	if err != nil {
		return nil, err
	}
	return []notify.Rendering{{
		Title: "Slack message (Block Kit; chat.postMessage and incoming webhooks receive this)",
		Body:  body,
		Notes: []string{"See the Slack message rendered in Block Kit Builder:\n" + link},
	}}, nil
}
