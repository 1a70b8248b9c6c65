package lark

import (
	"encoding/json"
	"strconv"
	"strings"

	"github.com/export-notifier/export-notifier/event"
	"github.com/export-notifier/export-notifier/notify"
	"github.com/export-notifier/export-notifier/notify/chatbot"
)

// larkDigest is a batch's digest card: a row per ready export (account,
// rows, a download link; the file name when there is no link, since a
// name from outside is never put in Lark's markdown), then the failures
// by code with their hints. Rows beyond the 20 KB body end in "and N
// more".
func larkDigest(ev event.Event, includeLink bool) Card {
	d := notify.DigestOf(ev, includeLink)
	if d == nil {
		return larkSingle(ev, includeLink)
	}
	colour := "green"
	if d.Failed > 0 || d.Partial {
		colour = "orange"
	}
	var tail []Element
	failures, more := notify.DigestFailures(d)
	for _, f := range failures {
		tail = append(tail, larkFailure(event.Failure{Code: f.Code,
			Message: notify.DigestFailureAccounts(f)})...)
		tail = append(tail, larkHint(notify.Hint(ev.Status.Kind, f.Code))...)
	}
	if more != "" {
		tail = append(tail, larkPlain(more))
	}
	if note := notify.DigestNote(d); note != "" {
		tail = append(tail, larkPlain(note))
	}
	tail = append(tail, Element{Tag: "hr"}, larkNote(chatbot.Footer(ev)))
	title := notify.DigestHeadline(d)
	lines := make([]string, len(d.Rows))
	for i, r := range d.Rows {
		lines[i] = digestRowMarkdown(r)
	}
	base, _ := json.Marshal(larkCard(colour, title, tail...))
	room := maxBody - len(base) - 1000 // the envelope, the signature, JSON escaping of the rows
	var elements []Element
	if rows := notify.PackLines(lines, room, 1, notify.Bytes); len(rows) > 0 {
		elements = append(elements, Element{Tag: "div", Text: &Text{Tag: "lark_md", Content: rows[0]}})
	}
	return larkCard(colour, title, append(elements, tail...)...)
}

// digestRowMarkdown is "16670360956 · 1,234 rows · [Download](link)", in
// Lark's markdown, which holds only what this package writes.
func digestRowMarkdown(r event.DigestRow) string {
	s := strconv.FormatInt(r.Account, 10) + " · " + notify.Thousands(r.TotalCount) + " rows"
	if r.Link != "" {
		return s + " · [Download](" + strings.NewReplacer("(", "%28", ")", "%29", " ", "%20").Replace(notify.OneLine(r.Link)) + ")"
	}
	if name := notify.OneLine(r.FileName); larkPlainMarkdown(name) {
		s += " · " + name
	}
	return s
}
