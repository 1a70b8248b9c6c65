package notify

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/export-notifier/export-notifier/event"
)

// GroupFailures is how the chat sinks (Slack, DingTalk, Lark) batch one cycle's events: failures that
// share an error code become one message; every other event is a message
// of its own. Messages keep the order in which their first event came.
func GroupFailures(events []event.Event) [][]event.Event {
	var groups [][]event.Event
	byCode := map[string]int{}
	for _, ev := range events {
		if ev.Type == event.Failed && ev.Error != nil {
			if i, ok := byCode[ev.Error.Code]; ok {
				groups[i] = append(groups[i], ev)
				continue
			}
			byCode[ev.Error.Code] = len(groups)
		}
		groups = append(groups, []event.Event{ev})
	}
	return groups
}

// NameOf is how a header names the export: its file, else its reference.
func NameOf(st event.Status) string {
	if st.FileName != "" {
		return st.FileName
	}
	return st.Ref.String()
}

func FailureOf(ev event.Event) event.Failure {
	if ev.Error == nil {
		return event.Failure{Code: "UnknownError"}
	}
	return *ev.Error
}

// FitLines joins lines with newlines, keeping as many as fit in limit
// characters together with an "…and N more" line for the rest.
func FitLines(lines []string, limit int) string {
	return fitJoined(lines, "\n", func(n int) string { return fmt.Sprintf("\n…and %d more", n) }, limit)
}

// FitList is FitLines for a comma-separated list.
func FitList(items []string, limit int) string {
	return fitJoined(items, ", ", func(n int) string { return fmt.Sprintf(" and %d more", n) }, limit)
}

func fitJoined(items []string, sep string, more func(int) string, limit int) string {
	// Room is kept for the longest "more" note there could be.
	reserve := utf8.RuneCountInString(more(len(items)))
	var b strings.Builder
	used := 0
	for i, item := range items {
		n := utf8.RuneCountInString(item)
		if i > 0 {
			n += utf8.RuneCountInString(sep)
		}
		last := i == len(items)-1
		if used+n > limit || (!last && used+n+reserve > limit) {
			b.WriteString(more(len(items) - i))
			return b.String()
		}
		if i > 0 {
			b.WriteString(sep)
		}
		b.WriteString(item)
		used += n
	}
	return b.String()
}

// Singly is how sinks that deal in one item per message batch events:
// every event on its own.
func Singly(events []event.Event) [][]event.Event {
	groups := make([][]event.Event, len(events))
	for i := range events {
		groups[i] = events[i : i+1 : i+1]
	}
	return groups
}
