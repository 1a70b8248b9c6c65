package chatbot

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/export-notifier/export-notifier/event"
	"github.com/export-notifier/export-notifier/notify"
)

// What the chat-bot sinks (DingTalk, Lark) show of text that comes from
// Security Center: bounded so that a grouped message stays far below the
// bots' 20,000-byte limits even when every character takes four bytes.
const (
	MaxTitle   = 150  // a headline
	MaxValue   = 200  // one Fact: a file name, a request ID
	MaxMessage = 1000 // an error message
	MaxList    = 3000 // the list of exports in a grouped message
	MaxLink    = 3000 // longer links are left out rather than cut
)

// Headline is a chat message's title: what happened, to which export.
func Headline(ev event.Event) string {
	st := ev.Status
	switch ev.Type {
	case event.Completed:
		return "Export ready: " + notify.NameOf(st)
	case event.Failed:
		return fmt.Sprintf("Export check failed: %s (%s)", st.Ref.String(), notify.FailureOf(ev).Code)
	case event.Stalled:
		return "Export stalled: " + notify.NameOf(st)
	case event.Started:
		return notify.StartedHeadline(ev)
	case event.Running:
		return notify.RunningHeadline(st)
	}
	return notify.Summary(ev, false)
}

// GroupHeadline is the title of one message about several events, and
// whether they are failures that share one error code.
func GroupHeadline(events []event.Event) (string, bool) {
	code := notify.FailureOf(events[0]).Code
	for _, ev := range events {
		if ev.Type != event.Failed || notify.FailureOf(ev).Code != code {
			return fmt.Sprintf("%d export events", len(events)), false
		}
	}
	return fmt.Sprintf("%d export checks failed: %s", len(events), code), true
}

// GroupLines are the lines of a grouped message, one per event: the
// export and its file, or for a mixed group the event's summary.
func GroupLines(events []event.Event, sameCode bool) []string {
	lines := make([]string, len(events))
	for i, ev := range events {
		line := "• " + ev.Status.Ref.String()
		switch {
		case !sameCode:
			line += " " + notify.Cut(notify.OneLine(notify.Summary(ev, false)), MaxValue, notify.Chars)
		case ev.Status.FileName != "":
			line += " " + notify.Cut(notify.OneLine(ev.Status.FileName), MaxValue, notify.Chars)
		}
		lines[i] = line
	}
	return lines
}

// Fact is one name and value shown about an export.
type Fact struct{ Name, Value string }

// StartedFacts are the facts of a started message: what was asked
// for, when the event says.
func StartedFacts(ev event.Event) []Fact {
	if as := notify.StartedAs(ev.Start); as != "" {
		return Facts(ev, Fact{"Started as", as})
	}
	return Facts(ev)
}

// Facts are what every chat message shows about the export: its ID and
// kind, then extra, then the account and the region.
func Facts(ev event.Event, extra ...Fact) []Fact {
	st := ev.Status
	account, region := notify.AccountText(st), notify.RegionText(ev)
	facts := []Fact{{"Export ID", strconv.FormatInt(st.ID, 10)}, {"Kind", string(st.Kind)}}
	facts = append(facts, extra...)
	return append(facts, Fact{"Account", account}, Fact{"Region", region})
}

// CompletedFacts are a completion's facts: its rows, where its file is
// archived, and until when its link works.
func CompletedFacts(ev event.Event, includeLink bool) []Fact {
	facts := []Fact{{"Total rows", notify.Thousands(ev.Status.TotalCount)}}
	for _, f := range notify.FileFacts(ev, includeLink) {
		facts = append(facts, Fact{f[0], f[1]})
	}
	return Facts(ev, facts...)
}

// Failure is "Code (HTTP n)" and the message, each cleaned.
func Failure(f event.Failure) (code, message string) {
	code = notify.Cut(notify.OneLine(f.Code), MaxValue, notify.Chars)
	if code == "" {
		code = "error"
	}
	if f.HTTPStatus != 0 {
		code += " (HTTP " + strconv.Itoa(f.HTTPStatus) + ")"
	}
	return code, notify.Cut(notify.OneLine(f.Message), MaxMessage, notify.Chars)
}

// Footer is the small print: the program's name (which a bot's keyword
// check can require), the request ID and the event ID.
func Footer(ev event.Event) string {
	parts := []string{"export-notifier"}
	if id := ev.Status.RequestID; id != "" {
		parts = append(parts, "Request ID "+notify.Cut(notify.OneLine(id), MaxValue, notify.Chars))
	}
	if ev.ID != "" {
		parts = append(parts, "Event "+notify.Cut(notify.OneLine(ev.ID), MaxValue, notify.Chars))
	}
	return strings.Join(parts, " · ")
}

// GroupFooter is the small print of a grouped message.
func GroupFooter(first event.Event) string {
	parts := []string{"export-notifier"}
	if first.Region != "" {
		parts = append(parts, "Region "+notify.Cut(notify.OneLine(first.Region), MaxValue, notify.Chars))
	}
	if id := first.Status.RequestID; id != "" {
		parts = append(parts, "First request ID "+notify.Cut(notify.OneLine(id), MaxValue, notify.Chars))
	}
	return strings.Join(parts, " · ")
}

// Link is the download link to show, or "" when it is left out.
func Link(st event.Status, includeLink bool) string {
	if !includeLink || st.Link == "" || len(st.Link) > MaxLink || strings.ContainsAny(st.Link, " \t\r\n\x00") {
		return ""
	}
	return st.Link
}
