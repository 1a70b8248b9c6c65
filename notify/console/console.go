// Package console is the console sink: one readable line per event, for a
// first run with no sink configured and for people watching a terminal.
package console

import (
	"context"
	"io"
	"strings"
	"sync"

	"github.com/export-notifier/export-notifier/event"
	"github.com/export-notifier/export-notifier/notify"
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
func New(w io.Writer, includeLink bool) notify.Notifier {
	return &console{w: w, includeLink: includeLink}
}

func (c *console) Name() string { return "console" }

// Group gives every event its own message (its own line).
func (c *console) Group(events []event.Event) [][]event.Event { return notify.Singly(events) }

func (c *console) Notify(_ context.Context, events []event.Event) error {
	var b strings.Builder
	for _, ev := range events {
		b.WriteString(Line(ev, c.includeLink))
		b.WriteByte('\n')
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, err := io.WriteString(c.w, b.String()); err != nil {
		return &notify.Error{Sink: c.Name(), Err: err}
	}
	return nil
}

// Line is the console's line for ev: the summary, and for failures
// with a known code a hint; for a batch digest, a few lines.
func Line(ev event.Event, includeLink bool) string {
	if ev.Type == event.Digest {
		return digestLines(ev, includeLink)
	}
	s := notify.Summary(ev, includeLink)
	if ev.Error != nil {
		if h := notify.Hint(ev.Status.Kind, ev.Error.Code); h != "" {
			s += " Hint: " + h
		}
	}
	return s
}
