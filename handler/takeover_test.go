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
	snap, polls, err := r.poll(ctx)
	if err != nil {
		t.Fatal(err)
	}
	_, p, err := r.decide(ctx, snap, polls)
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
