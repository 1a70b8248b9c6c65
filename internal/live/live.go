// Package live shows one line per running export on a terminal, redrawn
// in place as following learns more, with log lines passing above them:
// a progress bar, the rows exported and the time left.
//
// It writes ANSI cursor movements, so it is for terminals only; elsewhere
// the CLI logs plain lines instead.
package live

import (
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/export-notifier/export-notifier/event"
)

// IsTerminal says whether w is a terminal (a character device).
func IsTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// Board is the block of live lines at the bottom of a terminal. Its Write
// passes other output (logs) above the block, so both may share the
// terminal. It is safe for concurrent use.
type Board struct {
	mu    sync.Mutex
	w     io.Writer
	lines map[string]string
	drawn int // lines of the block now on the screen
}

// New returns an empty board drawing on w.
func New(w io.Writer) *Board { return &Board{w: w, lines: map[string]string{}} }

// Write writes p above the block.
func (b *Board) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.clear()
	n, err := b.w.Write(p)
	b.draw()
	return n, err
}

// Set shows text as key's line; done prints it one last time above the
// block, where it stays, and removes it from the block.
func (b *Board) Set(key, text string, done bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.clear()
	if done {
		delete(b.lines, key)
		fmt.Fprintln(b.w, text)
	} else {
		b.lines[key] = text
	}
	b.draw()
}

// clear erases the block; b.mu is held.
func (b *Board) clear() {
	if b.drawn > 0 {
		fmt.Fprintf(b.w, "\x1b[%dA\x1b[J", b.drawn)
		b.drawn = 0
	}
}

// draw writes the block, in key order; b.mu is held.
func (b *Board) draw() {
	keys := make([]string, 0, len(b.lines))
	for k := range b.lines {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		fmt.Fprintln(b.w, b.lines[k])
	}
	b.drawn = len(keys)
}

// barWidth is the number of cells of a progress bar.
const barWidth = 20

// Line is an export's line: its name, a bar, its progress, rows and the
// time left (from eta, when known, at now).
func Line(st event.Status, eta, now time.Time) string {
	frac := float64(st.Progress) / 100
	if st.TotalCount > 0 && st.CurrentCount > 0 {
		frac = float64(st.CurrentCount) / float64(st.TotalCount)
	}
	frac = min(max(frac, 0), 1)
	filled := int(frac * barWidth)
	bar := strings.Repeat("#", filled) + strings.Repeat("-", barWidth-filled)
	rows := ""
	if st.TotalCount > 0 {
		rows = fmt.Sprintf("  %d/%d rows", st.CurrentCount, st.TotalCount)
	}
	left := "ETA unknown"
	switch {
	case st.State == event.Success:
		left = "done"
	case !eta.IsZero() && eta.After(now):
		left = "ETA " + eta.Sub(now).Round(time.Second).String()
	case !eta.IsZero():
		left = "due now"
	}
	return fmt.Sprintf("%-24s [%s] %3d%%%s  %s", st.Ref.String(), bar, int(frac*100), rows, left)
}
