// Package slack is the Slack sink: Block Kit messages through an incoming
// webhook or a bot token, and with SLACK_UPDATE_MESSAGES one message per
// export that the bot edits as the export progresses.
package slack

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"strings"

	slackgo "github.com/slack-go/slack"

	"github.com/export-notifier/export-notifier/event"
	"github.com/export-notifier/export-notifier/notify"
)

// Slack's Block Kit limits (https://docs.slack.dev/reference/block-kit/blocks).
const (
	slackMaxBlocks      = 50
	slackMaxHeader      = 150
	slackMaxSectionText = 3000
	slackMaxField       = 2000
	slackMaxFields      = 10
	slackMaxButtonURL   = 3000
	slackMaxFallback    = 3000 // the top-level text can be longer; notifications show far less
)

// Message is one Slack message: the plain-text fallback (shown in
// notifications and by clients without Block Kit) and the blocks.
type Message struct {
	Text   string         `json:"text"`
	Blocks slackgo.Blocks `json:"blocks"`
}

// BlockKitBuilderURL is a link that opens m's blocks in Slack's Block Kit
// Builder.
func BlockKitBuilderURL(m Message) (string, error) {
	b, err := json.Marshal(struct {
		Blocks slackgo.Blocks `json:"blocks"`
	}{m.Blocks})
	if err != nil {
		return "", err
	}
	// encodeURIComponent's spelling: spaces as %20, not "+".
	return "https://app.slack.com/block-kit-builder/#" + strings.ReplaceAll(url.QueryEscape(string(b)), "+", "%20"), nil
}

// Render is the Slack message about events: one event, or several
// failures sharing an error code (see GroupFailures).
func Render(events []event.Event, includeLink bool) Message {
	switch {
	case len(events) == 0:
		return Message{Text: "No export events."}
	case len(events) > 1:
		return slackGroup(events)
	}
	ev := events[0]
	switch ev.Type {
	case event.Completed:
		return slackCompleted(ev, includeLink)
	case event.Failed:
		return slackFailed(ev)
	case event.Started:
		return slackStarted(ev)
	case event.Running:
		return slackRunning(ev)
	case event.Digest:
		return slackDigest(ev, includeLink)
	default:
		return slackStalled(ev)
	}
}

func slackStarted(ev event.Event) Message {
	var extra []*slackgo.TextBlockObject
	if as := notify.StartedAs(ev.Start); as != "" {
		extra = append(extra, field("Started as", as))
	}
	blocks := []slackgo.Block{
		header(notify.StartedHeadline(ev)),
		slackgo.NewSectionBlock(nil, exportFields(ev, extra...), nil),
		footer(ev),
	}
	return Message{Text: fallback(notify.Summary(ev, false)), Blocks: slackgo.Blocks{BlockSet: blocks}}
}

// slackRunning is the first state of a message that updates itself: how
// far the export has got. The blocks depend only on the export's status,
// so an update is due only when the status changed.
func slackRunning(ev event.Event) Message {
	st := ev.Status
	extra := []*slackgo.TextBlockObject{field("Status", notify.StateText(st))}
	if st.FileName != "" {
		extra = append(extra, field("File", st.FileName))
	}
	note := "This message updates itself until the export is done."
	if id := st.RequestID; id != "" {
		note += " · Request ID `" + escape(notify.OneLine(id)) + "`"
	}
	blocks := []slackgo.Block{
		header(notify.RunningHeadline(st)),
		slackgo.NewSectionBlock(mrkdwn("`"+progressBar(st.Progress)+"`"), nil, nil),
		slackgo.NewSectionBlock(nil, exportFields(ev, extra...), nil),
		slackgo.NewContextBlock("", mrkdwn(notify.Cut(note, slackMaxSectionText, notify.Chars))),
	}
	return Message{Text: fallback(notify.Summary(ev, false)), Blocks: slackgo.Blocks{BlockSet: blocks}}
}

// progressBar draws percent (clamped to 0..100) as 20 cells.
func progressBar(percent int) string {
	const cells = 20
	filled := min(max(percent, 0), 100) * cells / 100
	return strings.Repeat("█", filled) + strings.Repeat("░", cells-filled)
}

func slackCompleted(ev event.Event, includeLink bool) Message {
	st := ev.Status
	blocks := []slackgo.Block{
		header("Export ready: " + notify.NameOf(st)),
		slackgo.NewSectionBlock(nil, exportFields(ev, completedFields(ev, includeLink)...), nil),
	}
	if includeLink && st.Link != "" && len(st.Link) <= slackMaxButtonURL {
		button := slackgo.NewButtonBlockElement("download", "", plain("Download")).WithURL(st.Link).WithStyle(slackgo.StylePrimary)
		blocks = append(blocks, slackgo.NewActionBlock("", button))
	}
	blocks = append(blocks, footer(ev))
	return Message{Text: fallback(notify.Summary(ev, false)), Blocks: slackgo.Blocks{BlockSet: blocks}}
}

func slackFailed(ev event.Event) Message {
	st := ev.Status
	f := notify.FailureOf(ev)
	blocks := []slackgo.Block{
		header(fmt.Sprintf("Export check failed: %s (%s)", st.Ref.String(), f.Code)),
		slackgo.NewSectionBlock(mrkdwn(failureMrkdwn(f)), nil, nil),
		slackgo.NewSectionBlock(nil, exportFields(ev, field("Status", notify.ProgressText(st))), nil),
	}
	if h := notify.Hint(st.Kind, f.Code); h != "" {
		blocks = append(blocks, slackgo.NewSectionBlock(mrkdwn(":bulb: "+escape(h)), nil, nil))
	}
	blocks = append(blocks, footer(ev))
	return Message{Text: fallback(notify.Summary(ev, false)), Blocks: slackgo.Blocks{BlockSet: blocks}}
}

func slackStalled(ev event.Event) Message {
	st := ev.Status
	blocks := []slackgo.Block{
		header("Export stalled: " + notify.NameOf(st)),
		slackgo.NewSectionBlock(mrkdwn(escape("No progress: "+notify.ProgressText(st)+".")), nil, nil),
		slackgo.NewSectionBlock(nil, exportFields(ev, field("Total entries", notify.Thousands(st.TotalCount))), nil),
		footer(ev),
	}
	return Message{Text: fallback(notify.Summary(ev, false)), Blocks: slackgo.Blocks{BlockSet: blocks}}
}

// slackGroup is one message about several events, normally failures that
// share a code: what went wrong once, then the exports, as many as fit.
func slackGroup(events []event.Event) Message {
	first := events[0]
	f := notify.FailureOf(first)
	sameCode := true
	for _, ev := range events[1:] {
		if ev.Type != event.Failed || notify.FailureOf(ev).Code != f.Code {
			sameCode = false
		}
	}
	title := fmt.Sprintf("%d export checks failed: %s", len(events), f.Code)
	if !sameCode {
		title = fmt.Sprintf("%d export events", len(events))
	}

	lines := make([]string, len(events))
	refs := make([]string, len(events))
	for i, ev := range events {
		refs[i] = ev.Status.Ref.String()
		line := "• `" + refs[i] + "`"
		if !sameCode {
			line += " " + escape(notify.Summary(ev, false))
		} else if ev.Status.FileName != "" {
			line += " " + escape(notify.OneLine(ev.Status.FileName))
		}
		lines[i] = line
	}

	blocks := []slackgo.Block{header(title)}
	if sameCode {
		blocks = append(blocks, slackgo.NewSectionBlock(mrkdwn(failureMrkdwn(f)), nil, nil))
	}
	blocks = append(blocks, slackgo.NewSectionBlock(mrkdwn(notify.FitLines(lines, slackMaxSectionText)), nil, nil))
	if sameCode {
		if h := notify.Hint(first.Status.Kind, f.Code); h != "" {
			blocks = append(blocks, slackgo.NewSectionBlock(mrkdwn(":bulb: "+escape(h)), nil, nil))
		}
	}
	var ctx []string
	if first.Region != "" {
		ctx = append(ctx, "Region "+escape(first.Region))
	}
	if first.Status.RequestID != "" {
		ctx = append(ctx, "First request ID `"+escape(first.Status.RequestID)+"`")
	}
	if len(ctx) > 0 {
		blocks = append(blocks, slackgo.NewContextBlock("", mrkdwn(strings.Join(ctx, " · "))))
	}

	text := title + ": " + notify.FitList(refs, slackMaxFallback-len(title)-2)
	return Message{Text: fallback(text), Blocks: slackgo.Blocks{BlockSet: blocks[:min(len(blocks), slackMaxBlocks)]}}
}

// exportFields are the fields every message shows about the export, then
// extra.
func exportFields(ev event.Event, extra ...*slackgo.TextBlockObject) []*slackgo.TextBlockObject {
	st := ev.Status
	account, region := notify.AccountText(st), notify.RegionText(ev)
	fields := []*slackgo.TextBlockObject{
		field("Export ID", strconv.FormatInt(st.ID, 10)),
		field("Kind", string(st.Kind)),
	}
	fields = append(fields, extra...)
	fields = append(fields, field("Account", account), field("Region", region))
	return fields[:min(len(fields), slackMaxFields)]
}

// completedFields are a completion's: its rows, where its file is
// archived, and until when its link works.
func completedFields(ev event.Event, includeLink bool) []*slackgo.TextBlockObject {
	fields := []*slackgo.TextBlockObject{field("Total entries", notify.Thousands(ev.Status.TotalCount))}
	for _, f := range notify.FileFacts(ev, includeLink) {
		fields = append(fields, field(f[0], f[1]))
	}
	return fields
}

func field(name, value string) *slackgo.TextBlockObject {
	return mrkdwn(notify.Cut("*"+name+"*\n"+escape(notify.OneLine(value)), slackMaxField, notify.Chars))
}

func failureMrkdwn(f event.Failure) string {
	s := "*" + escape(notify.OneLine(f.Code)) + "*"
	if f.HTTPStatus != 0 {
		s += " (HTTP " + strconv.Itoa(f.HTTPStatus) + ")"
	}
	if m := strings.TrimSpace(f.Message); m != "" {
		s += "\n>" + escape(notify.OneLine(m))
	}
	return notify.Cut(s, slackMaxSectionText, notify.Chars)
}

func footer(ev event.Event) slackgo.Block {
	parts := []string{}
	if id := ev.Status.RequestID; id != "" {
		parts = append(parts, "Request ID `"+escape(notify.OneLine(id))+"`")
	}
	if ev.ID != "" {
		parts = append(parts, "Event `"+escape(ev.ID)+"`")
	}
	if len(parts) == 0 {
		parts = append(parts, "export-notifier")
	}
	return slackgo.NewContextBlock("", mrkdwn(notify.Cut(strings.Join(parts, " · "), slackMaxSectionText, notify.Chars)))
}

func header(text string) slackgo.Block {
	return slackgo.NewHeaderBlock(plain(notify.Cut(notify.OneLine(text), slackMaxHeader, notify.Chars)))
}

func plain(text string) *slackgo.TextBlockObject {
	return slackgo.NewTextBlockObject(slackgo.PlainTextType, text, true, false)
}

func mrkdwn(text string) *slackgo.TextBlockObject {
	return slackgo.NewTextBlockObject(slackgo.MarkdownType, text, false, false)
}

func fallback(s string) string { return notify.Cut(escape(s), slackMaxFallback, notify.Chars) }

// escape makes text safe in Slack's mrkdwn, where &, < and > are control
// characters.
func escape(s string) string {
	if !strings.ContainsAny(s, "&<>") {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 16)
	for _, r := range s {
		switch r {
		case '&':
			b.WriteString("&amp;")
		case '<':
			b.WriteString("&lt;")
		case '>':
			b.WriteString("&gt;")
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}
