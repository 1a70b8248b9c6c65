package chatbot

import (
	"strconv"
	"strings"

	"github.com/export-notifier/export-notifier/event"
	"github.com/export-notifier/export-notifier/notify"
)

// markdownDigest writes a batch's digest: the headline, a markdown table
// of account, file (linked), rows, then the failures by code with their
// hints. Rows beyond maxBytes end in "and N more"; the failures take at
// most half of maxBytes, their messages cut shorter and fewer codes
// listed until they fit.
func markdownDigest(md *markdown, ev event.Event, includeLink bool, maxBytes int) string {
	d := notify.DigestOf(ev, includeLink)
	if d == nil {
		return markdownSingle(md, ev, includeLink, MaxMessage)
	}
	title := notify.Cut(notify.OneLine(notify.DigestHeadline(d)), MaxTitle, notify.Chars)
	tail := digestTailWithin(ev, d, maxBytes/2)
	md.heading(title)
	if len(d.Rows) > 0 {
		lines := make([]string, len(d.Rows))
		for i, r := range d.Rows {
			lines[i] = digestRowMarkdown(r)
		}
		room := maxBytes - md.Len() - tail.Len() - 200 // the table's head, the blank lines
		rows := notify.PackLines(lines, room, 1, notify.Bytes)
		md.block("| Account | File | Rows |\n| --- | --- | ---: |\n" + strings.Join(rows, "\n"))
	}
	md.block(tail.String())
	return title
}

// digestTailWithin is the digest's failures, note and footer in at most
// limit bytes when they can be: each failure's message is cut shorter,
// then fewer codes are listed (the rest counted), down to one.
func digestTailWithin(ev event.Event, d *event.BatchDigest, limit int) *markdown {
	var tail *markdown
	for codes := notify.MaxDigestFailures; ; codes /= 2 {
		tail = Shrink(MaxMessage, 25, func(budget int) *markdown { return digestTail(ev, d, codes, budget) },
			func(m *markdown) bool { return m.Len() <= limit })
		if tail.Len() <= limit || codes <= 1 {
			return tail
		}
	}
}

// digestTail is the failures (at most codes of them, each message cut to
// maxMessage characters) with their hints, the partial digest's note
// and the footer.
func digestTail(ev event.Event, d *event.BatchDigest, codes, maxMessage int) *markdown {
	var tail markdown
	failures, more := notify.DigestFailuresUpTo(d, codes)
	for _, f := range failures {
		f.Message = notify.Cut(f.Message, maxMessage, notify.Chars)
		tail.failure(f.Code, notify.DigestFailureAccounts(f))
		tail.hint(notify.Hint(ev.Status.Kind, f.Code))
	}
	if more != "" {
		tail.paragraph(more)
	}
	if note := notify.DigestNote(d); note != "" {
		tail.paragraph(note)
	}
	tail.small(Footer(ev))
	return &tail
}

// digestRowMarkdown is one table row; "…and N more" is a row of its own
// only in the account column, which PackLines adds as it is.
func digestRowMarkdown(r event.DigestRow) string {
	name := notify.OneLine(r.FileName)
	if name == "" {
		name = r.Export
	}
	file := mdCell(name)
	if r.Link != "" {
		file = "[" + file + "](" + strings.NewReplacer("(", "%28", ")", "%29", "|", "%7C").Replace(r.Link) + ")"
	}
	return "| " + strconv.FormatInt(r.Account, 10) + " | " + file + " | " + notify.Thousands(r.TotalCount) + " |"
}

// mdCell is text safe in a table cell: no HTML, no cell separator.
func mdCell(s string) string { return strings.ReplaceAll(mdText(s), "|", "\\|") }
