package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/export-notifier/export-notifier/event"
	"github.com/export-notifier/export-notifier/notify"
)

// runPreview prints what a sample event looks like in Slack (Block Kit
// JSON and a Block Kit Builder link) and as a webhook body, honouring
// INCLUDE_LINK and WEBHOOK_TEMPLATE, without sending anything.
func runPreview(_ context.Context, args []string, env Env) int {
	fs := newFlags("preview", "preview [--event completed|failed|stalled] [--count N] [--sinks slack,webhook,dingtalk,lark]",
		"Prints the Slack message and the webhook body a sample event produces, and a\n"+
			"Block Kit Builder link that shows the Slack message rendered. Sends nothing.\n"+
			"Reads INCLUDE_LINK and WEBHOOK_TEMPLATE, so a custom template can be tried.",
		"preview",
		"preview --event failed --count 3 --sinks slack",
		"WEBHOOK_TEMPLATE=\"$(cat body.tmpl)\" preview --sinks webhook")
	typeName := fs.String("event", string(event.Completed), "event type: completed, failed or stalled")
	sinkList := fs.String("sinks", "slack,webhook", "messages to show, comma separated: slack, webhook, dingtalk, lark")
	count := fs.Int("count", 1, "number of failures sharing one error code, to preview Slack's grouped message (with --event failed)")
	if code, done := parseFlags(fs, args, env); done {
		return code
	}
	fail := func(code int, format string, a ...any) int {
		fmt.Fprintf(env.Stderr, "export-notifier preview: "+format+"\n", a...)
		return code
	}
	typ, err := event.ParseType(*typeName)
	if err != nil {
		return fs.usageError(env, "--event: "+err.Error())
	}
	if *count < 1 || *count > 1000 || (*count > 1 && typ != event.Failed) {
		return fs.usageError(env, fmt.Sprintf("--count %d: want 1, or up to 1000 with --event failed", *count))
	}
	show := map[string]bool{}
	for _, name := range strings.Split(*sinkList, ",") {
		switch name = strings.TrimSpace(name); name {
		case "slack", "webhook", "dingtalk", "lark":
			show[name] = true
		default:
			return fs.usageError(env, fmt.Sprintf("--sinks: unknown sink %q (want slack, webhook, dingtalk or lark)", name))
		}
	}
	settings, err := notify.SettingsFromEnv(env.Getenv)
	if err != nil {
		return fail(ExitUsage, "%v", err)
	}

	events := previewEvents(typ, *count)
	var out bytes.Buffer
	if show["slack"] {
		msg := notify.RenderSlack(events, settings.IncludeLink)
		slackJSON, err := notify.MarshalJSON(msg, "  ")
		if err != nil {
			return fail(ExitFailed, "rendering the Slack message: %v", err)
		}
		link, err := notify.BlockKitBuilderURL(msg)
		if err != nil {
			return fail(ExitFailed, "building the Block Kit Builder link: %v", err)
		}
		fmt.Fprintf(&out, "Slack message (Block Kit; chat.postMessage and incoming webhooks receive this):\n%s\n\n", slackJSON)
		fmt.Fprintf(&out, "See the Slack message rendered in Block Kit Builder:\n%s\n\n", link)
	}
	if show["webhook"] {
		for i, ev := range events {
			body, contentType, err := notify.WebhookBody(settings, ev)
			if err != nil {
				return fail(ExitUsage, "%v", err)
			}
			title := "Webhook body"
			if len(events) > 1 {
				title = fmt.Sprintf("Webhook body %d of %d (one request per event)", i+1, len(events))
			}
			fmt.Fprintf(&out, "%s (Content-Type: %s):\n%s\n\n", title, contentType, indentJSON(body))
		}
	}
	for _, bot := range []struct {
		name, title string
		render      func() any
	}{
		{"dingtalk", "DingTalk message (markdown; signed in the URL when DINGTALK_SECRET is set)", func() any { return notify.RenderDingTalk(events, settings.IncludeLink) }},
		{"lark", "Lark/Feishu message (interactive card; timestamp and sign added when LARK_SECRET is set)", func() any { return notify.RenderLark(events, settings.IncludeLink) }},
	} {
		if !show[bot.name] {
			continue
		}
		body, err := notify.MarshalJSON(bot.render(), "  ")
		if err != nil {
			return fail(ExitFailed, "rendering the %s message: %v", bot.name, err)
		}
		fmt.Fprintf(&out, "%s:\n%s\n\n", bot.title, body)
	}
	if _, err := io.Copy(env.Stdout, &out); err != nil {
		return fail(ExitFailed, "%v", err)
	}
	return ExitOK
}

// previewEvents are count sample events of type typ; several failures
// share the sample's error code, as one cycle's would.
func previewEvents(typ event.Type, count int) []event.Event {
	events := make([]event.Event, count)
	for i := range events {
		ev := notify.SampleEvent(typ)
		ev.Status.Ref.ID += int64(i)
		ev.ID = event.NewID(ev.Status.Ref, ev.Key())
		events[i] = ev
	}
	return events
}

// indentJSON indents body when it is JSON, and leaves any other template
// output as it is.
func indentJSON(body []byte) []byte {
	var b bytes.Buffer
	if err := json.Indent(&b, body, "", "  "); err != nil {
		return body
	}
	return b.Bytes()
}
