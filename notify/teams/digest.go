package teams

import (
	"encoding/json"
	"sort"
	"strconv"
	"strings"

	"github.com/export-notifier/export-notifier/event"
	"github.com/export-notifier/export-notifier/notify"
	"github.com/export-notifier/export-notifier/notify/chatbot"
)

// digestCard is a batch's digest: the headline, a line per ready export
// (account in bold, the file linked to its download, rows), then the
// failures by code with their hints. Rows beyond the card's maxBody end
// in "and N more".
func digestCard(ev event.Event, includeLink bool) Card {
	d := notify.DigestOf(ev, includeLink)
	if d == nil {
		return singleCard(ev, includeLink)
	}
	colour := "Good"
	if d.Failed > 0 || d.Partial {
		colour = "Warning"
	}
	title := notify.DigestHeadline(d)
	tail := digestTail(ev, d)
	rows := make([]Element, len(d.Rows))
	for i, r := range d.Rows {
		rows[i] = digestRow(r)
	}
	build := func(k int) Card {
		body := append([]Element(nil), rows[:k]...)
		if k < len(rows) {
			body = append(body, plain("…"+notify.AndMore(len(rows)-k)))
		}
		return newCard(colour, title, append(body, tail...)...)
	}
	// The most rows that fit, by bisection: fitting is monotonic in how
	// many rows are kept.
	k := sort.Search(len(rows)+1, func(k int) bool { return !cardFits(build(k)) }) - 1
	return build(max(k, 0))
}

// cardFits reports whether c's JSON, in its envelope, is within maxBody.
func cardFits(c Card) bool {
	b, err := json.Marshal(Message{Type: "message", Attachments: []Attachment{{ContentType: cardContentType, Content: c}}})
	return err == nil && len(b) <= maxBody
}

// digestTail is the failures by code with their hints, the partial
// digest's note and the footer.
func digestTail(ev event.Event, d *event.BatchDigest) []Element {
	var tail []Element
	failures, more := notify.DigestFailures(d)
	for _, f := range failures {
		tail = append(tail, failure(event.Failure{Code: f.Code,
			Message: notify.DigestFailureAccounts(f)}))
		tail = append(tail, hint(notify.Hint(ev.Status.Kind, f.Code))...)
	}
	if more != "" {
		tail = append(tail, plain(more))
	}
	if note := notify.DigestNote(d); note != "" {
		tail = append(tail, plain(note))
	}
	return append(tail, small(chatbot.Footer(ev)))
}

// digestRow is "16670360956 · assetInstance.xlsx · 1,234 rows", the file
// name opening its link when the link is an https one a browser in
// Teams can open (not a file:// archive's).
func digestRow(r event.DigestRow) Element {
	name := notify.OneLine(r.FileName)
	if name == "" {
		name = r.Export
	}
	file := TextRun{Type: "TextRun", Text: notify.Cut(name, chatbot.MaxValue, notify.Chars)}
	if link := chatbot.Link(event.Status{Link: r.Link}, true); strings.HasPrefix(link, "https://") {
		file.SelectAction = &Action{Type: "Action.OpenUrl", Title: "Download", URL: link}
	}
	return Element{Type: "RichTextBlock", Inlines: []TextRun{
		{Type: "TextRun", Text: strconv.FormatInt(r.Account, 10), Weight: "Bolder"},
		{Type: "TextRun", Text: " · "},
		file,
		{Type: "TextRun", Text: " · " + notify.Thousands(r.TotalCount) + " rows"},
	}}
}
