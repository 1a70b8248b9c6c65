package notify

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/export-notifier/export-notifier/event"
)

func TestHintNamesTheKindsAction(t *testing.T) {
	cases := []struct {
		kind event.Kind
		code string
		want string
	}{
		{event.Asset, "NoPermission", "yundun-sas:DescribeExportInfo"},
		{event.Vul, "NoPermission", "yundun-sas:DescribeVulExportInfo"},
		{event.SuspEvent, "Forbidden.RAM", "yundun-sas:DescribeSuspEventExportInfo"},
		{event.Asset, "RdCheckNoPermission", "resource directory member"},
		{event.Asset, "Throttling.User", "POLL_QPS"},
		{event.HC, "ServerError", "next cycle"},
		{event.HC, "InternalError", "next cycle"},
		{event.Asset, "Timeout", "network"},
		{event.Asset, "ConnectionRefused", "network"},
	}
	for _, c := range cases {
		if got := Hint(c.kind, c.code); !strings.Contains(got, c.want) {
			t.Errorf("Hint(%s, %s) = %q, want it to mention %q", c.kind, c.code, got, c.want)
		}
	}
	if got := Hint(event.Asset, "SomethingNew"); got != "" {
		t.Errorf("Hint for an unknown code = %q, want none", got)
	}
}

// TestFailureOfAnExportNeverRead: a failure message about an export whose
// status was never received says so, rather than inventing a pending state.
func TestFailureOfAnExportNeverRead(t *testing.T) {
	ev := SampleEvent(event.Failed)
	ev.Status = event.Status{Ref: ev.Status.Ref}
	got := ProgressText(ev.Status)
	if !strings.Contains(got, "never read") || strings.Contains(got, "pending") || strings.Contains(got, "0 of 0") {
		t.Errorf("progress of an export never read = %q", got)
	}
}

func TestRedactURL(t *testing.T) {
	cases := map[string]string{
		"https://hooks.slack.com/services/T/B/X": "https://hooks.slack.com/…",
		"https://example.com":                    "https://example.com",
		"https://example.com/":                   "https://example.com",
		"https://example.com?token=x":            "https://example.com/…",
		"https://user:pass@example.com/":         "https://example.com",
		"http://127.0.0.1:8080/hook#frag":        "http://127.0.0.1:8080/…",
		"not a url":                              "[redacted URL]",
		"":                                       "[redacted URL]",
	}
	for in, want := range cases {
		if got := RedactURL(in); got != want {
			t.Errorf("RedactURL(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestCutBytes(t *testing.T) {
	for _, c := range []struct {
		in   string
		n    int
		want string
	}{
		{"abc", 3, "abc"},
		{"abcdef", 5, "ab…"},
		{"😀😀😀", 9, "😀…"},
		{"😀😀😀", 6, "…"},
		{"😀😀", 2, "…"},
	} {
		got := Cut(c.in, c.n, Bytes)
		if got != c.want || !utf8.ValidString(got) {
			t.Errorf("Cut(%q, %d, Bytes) = %q, want %q", c.in, c.n, got, c.want)
		}
	}
}
