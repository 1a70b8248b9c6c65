package main

import (
	"fmt"
	"io"
	"strings"
	"time"
	"unicode/utf8"
)

// row is one line of the table: a figure, what it was measured against,
// and its goal.
type row struct {
	Figure   string
	Measured string
	Ideal    string // the ideal or reference it is compared with
	Ratio    string
	Goal     string
	Met      string // "yes", "NO", or empty when there is no goal
	Notes    string
}

func met(ok bool) string {
	if ok {
		return "yes"
	}
	return "NO"
}

// printTable writes rows as a Markdown table with aligned columns, which
// reads in a terminal and pastes into the README.
func printTable(w io.Writer, rows []row) {
	header := []string{"figure", "measured", "ideal", "ratio", "goal", "met", "notes"}
	grid := make([][]string, len(rows))
	for i, r := range rows {
		grid[i] = []string{r.Figure, r.Measured, r.Ideal, r.Ratio, r.Goal, r.Met, r.Notes}
	}
	printGrid(w, header, grid)
}

// printGrid writes a header and rows of cells as a Markdown table with
// aligned columns.
func printGrid(w io.Writer, header []string, rows [][]string) {
	widths := make([]int, len(header))
	for _, r := range append([][]string{header}, rows...) {
		for i, c := range r {
			widths[i] = max(widths[i], utf8.RuneCountInString(c))
		}
	}
	line := func(cs []string) {
		var b strings.Builder
		b.WriteString("|")
		for i, c := range cs {
			b.WriteString(" " + c + strings.Repeat(" ", widths[i]-utf8.RuneCountInString(c)) + " |")
		}
		fmt.Fprintln(w, b.String())
	}
	line(header)
	rule := make([]string, len(header))
	for i := range rule {
		rule[i] = strings.Repeat("-", widths[i])
	}
	line(rule)
	for _, r := range rows {
		line(r)
	}
}

// seconds formats d for the cycle rows.
func seconds(d time.Duration) string { return fmt.Sprintf("%.2f s", d.Seconds()) }

func millis(d time.Duration) string {
	return fmt.Sprintf("%.1f ms", float64(d)/float64(time.Millisecond))
}

// megabytes formats n bytes in MB of 10^6 bytes, the unit the goals use.
func megabytes(n int64) string { return fmt.Sprintf("%.1f MB", float64(n)/1e6) }

func kilobytes(n int64) string { return fmt.Sprintf("%.0f kB", float64(n)/1e3) }

func ratio(measured, ideal time.Duration) float64 { return float64(measured) / float64(ideal) }
