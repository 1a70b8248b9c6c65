package console

import (
	"strings"

	"github.com/export-notifier/export-notifier/event"
	"github.com/export-notifier/export-notifier/notify"
)

// digestLines is the console's text of a batch digest: the headline, a
// line per ready export and one per error code with its hint. A terminal
// has room, so nothing is cut.
func digestLines(ev event.Event, includeLink bool) string {
	d := notify.DigestOf(ev, includeLink)
	if d == nil {
		return notify.Summary(ev, includeLink)
	}
	lines := []string{notify.DigestHeadline(d)}
	for _, r := range d.Rows {
		lines = append(lines, "  ready  "+notify.DigestRowText(r))
	}
	for _, f := range d.Failures {
		s := "  failed " + notify.DigestFailureText(f, len(f.Accounts))
		if h := notify.Hint(ev.Status.Kind, f.Code); h != "" {
			s += " Hint: " + h
		}
		lines = append(lines, s)
	}
	if note := notify.DigestNote(d); note != "" {
		lines = append(lines, "  "+note)
	}
	return strings.Join(lines, "\n")
}
