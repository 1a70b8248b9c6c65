package handler

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/export-notifier/export-notifier/event"
	"github.com/export-notifier/export-notifier/internal/sassim"
)

// dieAfterClaiming runs a cycle's first steps, up to the commit of its
// claims, and then, as a cycle killed while sending would, posts what it
// claimed if posted says so and never records it.
func dieAfterClaiming(t *testing.T, c *Cycle, posted bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	r, err := c.budget(ctx, Options{ID: "killed"})
	if err != nil {
		t.Fatal(err)
	}
	fp, err := r.poll(ctx)
	if err != nil {
		t.Fatal(err)
	}
	_, p, err := r.decide(ctx, fp.snap, fp.got)
	if err != nil || len(p.claimed) != 1 {
		t.Fatalf("claimed %d deliveries, err %v; want one", len(p.claimed), err)
	}
	if posted {
		if err := c.Sinks[0].Notify(ctx, []event.Event{*p.claimed[0].Event}); err != nil {
			t.Fatal(err)
		}
	}
}

func TestTakeoverDoesNotRepostWhatSlackHas(t *testing.T) {
	cases := []struct {
		name        string
		posted      bool   // the killed cycle posted before it died
		refuse      string // conversations.history's error
		wantPosts   int
		wantOutcome string
		wantWarning string
	}{
		{name: "posted before the kill", posted: true, wantPosts: 1, wantOutcome: "already sent"},
		{name: "killed before posting", wantPosts: 1, wantOutcome: "sent"},
		{name: "history unreadable", posted: true, refuse: "missing_scope", wantPosts: 2, wantOutcome: "sent", wantWarning: "missing_scope"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := newHarness(t)
			h.sim.Add(sassim.Export{Ref: event.Ref{Kind: event.Asset, ID: 131250}, Steps: 1, FileName: "asset_export_taken_over", TotalCount: 9})
			chat := &slackChat{refuse: c.refuse}
			sinks := slackBot(t, chat, "")
			dieAfterClaiming(t, &Cycle{Config: testConfig("131250"), Checker: h.checker, Store: h.store, Sinks: sinks}, c.posted)

			var logs bytes.Buffer
			later := &Cycle{Config: testConfig("131250"), Checker: h.checker, Store: h.store, Sinks: sinks,
				Log: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelWarn})),
				Now: func() time.Time { return time.Now().Add(time.Hour) }} // the killed cycle's claim has expired
			res := h.run(t, later, Options{})
			h.run(t, later, Options{})

			chat.mu.Lock()
			defer chat.mu.Unlock()
			if len(chat.posts) != c.wantPosts || chat.lookups != 1 {
				t.Errorf("%d posts, %d history lookups; want %d posts and one lookup, by the cycle taking over", len(chat.posts), chat.lookups, c.wantPosts)
			}
			if len(res.Events) != 1 || res.Events[0].Outcome != c.wantOutcome || res.Pending[sinks[0].Name()] != 0 {
				t.Errorf("events %+v, pending %v; want one %q and nothing pending", res.Events, res.Pending, c.wantOutcome)
			}
			if c.wantWarning != "" && !strings.Contains(logs.String(), c.wantWarning) {
				t.Errorf("no warning about %q in %q", c.wantWarning, logs.String())
			}
		})
	}
}

// TestRetryDoesNotRepostWhatSlackHas: a post that failed after Slack had
// posted it (its answer lost) is looked up in the channel's history before
// it is sent again, whether the retry comes in the same cycle (a
// transient error) or the next (a permanent one).
func TestRetryDoesNotRepostWhatSlackHas(t *testing.T) {
	cases := []struct {
		name       string
		lostAnswer string
		nextCycle  bool // the first cycle gives up: the next one retries
	}{
		{name: "retried in the cycle", lostAnswer: "fatal_error"},
		{name: "retried next cycle", lostAnswer: "channel_not_found", nextCycle: true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := newHarness(t)
			h.sim.Add(sassim.Export{Ref: event.Ref{Kind: event.Asset, ID: 131251}, Steps: 1, FileName: "asset_export_answer_lost", TotalCount: 9})
			chat := &slackChat{lostAnswer: c.lostAnswer}
			sinks := slackBot(t, chat, "")
			cycle := &Cycle{Config: testConfig("131251"), Checker: h.checker, Store: h.store, Sinks: sinks}
			res := h.run(t, cycle, Options{})
			if pending := res.Pending[sinks[0].Name()]; pending != map[bool]int{true: 1}[c.nextCycle] {
				t.Fatalf("pending after the first cycle: %v", res.Pending)
			}
			if c.nextCycle {
				res = h.run(t, cycle, Options{})
			}
			chat.mu.Lock()
			defer chat.mu.Unlock()
			if len(chat.posts) != 1 || chat.lookups != 1 {
				t.Errorf("%d posts, %d history lookups; want the one post, found by one lookup", len(chat.posts), chat.lookups)
			}
			if res.Pending[sinks[0].Name()] != 0 {
				t.Errorf("pending %v; want nothing", res.Pending)
			}
		})
	}
}
