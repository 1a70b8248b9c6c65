package notify

import (
	"context"
	"io"
	"strings"
	"sync"

	"github.com/export-notifier/export-notifier/event"
)

// console writes one readable line per event, for a first run with no sink
// configured and for people watching a terminal. The CLI gives it stderr,
// since stdout carries the JSON result.
type console struct {
	mu          sync.Mutex // one line is one Write, never interleaved
	w           io.Writer
	includeLink bool
}

// NewConsole is the console sink writing to w.
func NewConsole(w io.Writer, includeLink bool) Notifier {
	return &console{w: w, includeLink: includeLink}
}

func (c *console) Name() string { return "console" }

// Group gives every event its own message (its own line).
func (c *console) Group(events []event.Event) [][]event.Event {
	groups := make([][]event.Event, len(events))
	for i := range events {
		groups[i] = events[i : i+1 : i+1]
	}
	return groups
}

func (c *console) Notify(_ context.Context, events []event.Event) error {
	var b strings.Builder
	for _, ev := range events {
		b.WriteString(ConsoleLine(ev, c.includeLink))
		b.WriteByte('\n')
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, err := io.WriteString(c.w, b.String()); err != nil {
		return &Error{Sink: c.Name(), Err: err}
	}
	return nil
}

// ConsoleLine is the console's line for ev: the summary, and for failures
// with a known code a hint.
func ConsoleLine(ev event.Event, includeLink bool) string {
	s := Summary(ev, includeLink)
	if ev.Error != nil {
		if h := Hint(ev.Status.Kind, ev.Error.Code); h != "" {
			s += " Hint: " + h
		}
	}
	return s
}
