package main

import (
	"strings"
	"testing"
	"time"
)

func TestIdealCycle(t *testing.T) {
	for _, tc := range []struct {
		name  string
		setup cycleSetup
		want  time.Duration
	}{
		{"one at a time", cycleSetup{Exports: 1000, Latency: 50 * time.Millisecond, Concurrency: 1, QPS: 10000}, 50 * time.Second},
		{"rounds round up", cycleSetup{Exports: 1000, Latency: 50 * time.Millisecond, Concurrency: 16, QPS: 10000}, 63 * 50 * time.Millisecond},
		{"the rate binds", cycleSetup{Exports: 1000, Latency: 50 * time.Millisecond, Concurrency: 16, QPS: 20}, 50 * time.Second},
		{"no latency, the rate binds", cycleSetup{Exports: 100, Concurrency: 8, QPS: 10000}, 10 * time.Millisecond},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.setup.ideal(); got != tc.want {
				t.Errorf("ideal() = %s, want %s", got, tc.want)
			}
		})
	}
}

func TestPrintTableAlignsColumns(t *testing.T) {
	var b strings.Builder
	printTable(&b, []row{
		{Figure: "binary size", Measured: "14.9 MB", Goal: "< 15 MB", Met: met(true)},
		{Figure: "cycle, 1,000 exports", Measured: "3.30 s", Ideal: "3.15 s", Ratio: "1.05", Goal: "≤ 1.15× ideal", Met: met(false)},
	})
	lines := strings.Split(strings.TrimSpace(b.String()), "\n")
	if len(lines) != 4 {
		t.Fatalf("got %d lines, want header, rule and 2 rows:\n%s", len(lines), b.String())
	}
	width := len([]rune(lines[0]))
	for _, l := range lines {
		if len([]rune(l)) != width || !strings.HasPrefix(l, "| ") || !strings.HasSuffix(l, " |") {
			t.Errorf("line %q is not a table row as wide as the header (%d)", l, width)
		}
	}
	if !strings.Contains(lines[3], "| NO ") || !strings.Contains(lines[2], "| yes ") {
		t.Errorf("met column wrong:\n%s", b.String())
	}
}

func TestThousands(t *testing.T) {
	for n, want := range map[int]string{7: "7", 999: "999", 1000: "1,000", 10000: "10,000", 1234567: "1,234,567"} {
		if got := thousands(n); got != want {
			t.Errorf("thousands(%d) = %q, want %q", n, got, want)
		}
	}
}
