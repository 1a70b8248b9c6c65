package slack

import (
	"strconv"
	"unicode/utf8"

	slackgo "github.com/slack-go/slack"

	"github.com/export-notifier/export-notifier/event"
	"github.com/export-notifier/export-notifier/notify"
)

// digestMaxChars bounds the digest's text, so that the whole message
// stays within what Slack shows without cutting it.
const digestMaxChars = 11000

// slackDigest is a batch's digest: the headline, a line per ready export
// (account, file as a link, rows), packed into sections, and the
// failures by code with their hints. Rows beyond Slack's 50 blocks, or
// beyond the text a message shows whole, end in "and N more".
func slackDigest(ev event.Event, includeLink bool) Message {
	d := notify.DigestOf(ev, includeLink)
	if d == nil {
		return slackStalled(ev)
	}
	blocks := []slackgo.Block{header(notify.DigestHeadline(d))}
	var tail []slackgo.Block
	used := utf8.RuneCountInString(notify.DigestHeadline(d))
	failures, more := notify.DigestFailures(d)
	for _, f := range failures {
		text := ":x: " + escape(notify.DigestFailureText(f, notify.DigestMaxAccounts))
		if h := notify.Hint(ev.Status.Kind, f.Code); h != "" {
			text += "\n:bulb: " + escape(h)
		}
		text = notify.Cut(text, slackMaxSectionText, notify.Chars)
		used += utf8.RuneCountInString(text)
		tail = append(tail, slackgo.NewSectionBlock(mrkdwn(text), nil, nil))
	}
	if more != "" {
		tail = append(tail, slackgo.NewSectionBlock(mrkdwn(escape(more)), nil, nil))
	}
	if note := notify.DigestNote(d); note != "" {
		tail = append(tail, slackgo.NewContextBlock("", mrkdwn(escape(note))))
	}
	tail = append(tail, footer(ev))
	room := slackMaxBlocks - len(blocks) - len(tail)
	lines := make([]string, len(d.Rows))
	for i, r := range d.Rows {
		lines[i] = digestRowMrkdwn(r)
	}
	budget := max(digestMaxChars-used-500, 500) // the note and the footer: under 500
	room = min(room, (budget+slackMaxSectionText-1)/slackMaxSectionText)
	for _, chunk := range notify.PackLines(lines, min(slackMaxSectionText, budget/room), room, notify.Chars) {
		blocks = append(blocks, slackgo.NewSectionBlock(mrkdwn(chunk), nil, nil))
	}
	blocks = append(blocks, tail...)
	return Message{Text: fallback(notify.DigestHeadline(d)), Blocks: slackgo.Blocks{BlockSet: blocks}}
}

// digestRowMrkdwn is "`16670360956` <link|file> · 1,234 rows".
func digestRowMrkdwn(r event.DigestRow) string {
	name := notify.OneLine(r.FileName)
	if name == "" {
		name = r.Export
	}
	file := escape(name)
	if r.Link != "" && len(r.Link) <= slackMaxButtonURL {
		file = "<" + escape(notify.OneLine(r.Link)) + "|" + file + ">"
	}
	return "`" + strconv.FormatInt(r.Account, 10) + "` " + file + " · " + notify.Thousands(r.TotalCount) + " rows"
}
