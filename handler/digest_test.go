package handler

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/export-notifier/export-notifier/event"
	"github.com/export-notifier/export-notifier/internal/sassim"
)

// digestHarness is a cycle with DIGEST=batch, a webhook receiver and a
// clock the test moves, over a directory of three members, one refused.
type digestHarness struct {
	*harness
	hook  *receiver
	cycle *Cycle
	mu    sync.Mutex
	now   time.Time
}

func newDigestHarness(t *testing.T) *digestHarness {
	h := &digestHarness{harness: newHarness(t), hook: newReceiver(t), now: time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC)}
	h.sim.SetMembers(sassim.Members{Accounts: []int64{1001, 1002, 1003}, Refused: []int64{1002}})
	cfg := testConfig("")
	cfg.Digest = true
	cfg.NotifyOn[event.Started] = true
	cfg.Concurrency = 1 // starts in account order: 1001 gets FirstStartedID
	h.cycle = &Cycle{Config: cfg, Checker: h.checker, Starter: h.checker, Store: h.store, Sinks: webhookSinks(t, h.hook), Now: h.clock}
	return h
}

func (h *digestHarness) clock() time.Time {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.now
}

func (h *digestHarness) advance(d time.Duration) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.now = h.now.Add(d)
}

// digests returns the digest events received.
func (h *digestHarness) digests() []receivedEvent {
	var out []receivedEvent
	for _, ev := range h.hook.events() {
		if ev.Type == event.Digest.CloudEventType() {
			out = append(out, ev)
		}
	}
	return out
}

func digestOf(ev receivedEvent) map[string]any {
	d, _ := ev.Data["digest"].(map[string]any)
	return d
}

// settle starts the batch and runs a cycle a minute for five minutes,
// by when every member has settled, and returns the one digest sent.
func (h *digestHarness) settle(t *testing.T) map[string]any {
	t.Helper()
	h.run(t, h.cycle, orgOptions(t, orgInvocation))
	for range 5 {
		h.advance(time.Minute)
		h.run(t, h.cycle, Options{})
	}
	digests := h.digests()
	if len(digests) != 1 {
		t.Fatalf("%d digests, want one: %+v", len(digests), h.hook.events())
	}
	return digestOf(digests[0])
}

func TestDigestIsSentOnceWhenTheBatchSettles(t *testing.T) {
	h := newDigestHarness(t)
	d := h.settle(t)
	rows, _ := d["rows"].([]any)
	failures, _ := d["failures"].([]any)
	if d["ready"] != float64(2) || d["failed"] != float64(1) || d["partial"] != nil || len(rows) != 2 || len(failures) != 1 {
		t.Fatalf("digest %v, want 2 ready rows and the refused member", d)
	}
	if f := failures[0].(map[string]any); f["code"] != "RdCheckNoPermission" || f["accounts"].([]any)[0] != float64(1002) {
		t.Errorf("failure %v, want RdCheckNoPermission for 1002", f)
	}
	if n := len(h.hook.events()); n != 1 {
		t.Errorf("%d messages in all, want the digest alone: the members' own are folded into it", n)
	}
}

func TestDigestIsSentOnceUnderOverlappingCycles(t *testing.T) {
	h := newDigestHarness(t)
	h.run(t, h.cycle, orgOptions(t, orgInvocation))
	for range 4 {
		h.advance(time.Minute)
		var wg sync.WaitGroup
		for range 3 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
				defer cancel()
				if _, err := h.cycle.Run(ctx, Options{}); err != nil {
					t.Errorf("cycle: %v", err)
				}
			}()
		}
		wg.Wait()
	}
	if n := len(h.digests()); n != 1 {
		t.Fatalf("%d digests under overlapping cycles, want one", n)
	}
}

func TestPartialDigestAtTheDeadlineThenTheStragglers(t *testing.T) {
	h := newDigestHarness(t)
	h.run(t, h.cycle, orgOptions(t, orgInvocation))
	slow := event.Ref{Kind: event.Asset, ID: sassim.FirstStartedID + 1, Account: 1003}
	h.sim.Add(sassim.Export{Ref: slow, Stuck: true})
	for range 3 {
		h.advance(time.Minute)
		h.run(t, h.cycle, Options{})
	}
	if n := len(h.digests()); n != 0 {
		t.Fatalf("%d digests before the deadline with an export running, want none", n)
	}
	h.advance(h.cycle.Config.StallAfter) // the batch's deadline passes
	h.run(t, h.cycle, Options{})
	digests := h.digests()
	if len(digests) != 1 || digestOf(digests[0])["partial"] != true || digestOf(digests[0])["pending"] != float64(1) {
		t.Fatalf("digests %+v, want one partial digest with one export running", digests)
	}

	h.sim.Add(sassim.Export{Ref: slow, Steps: 1})
	for range 2 {
		h.advance(time.Minute)
		h.run(t, h.cycle, Options{})
	}
	if n := h.hook.count(event.Completed, "500002"); n != 1 {
		t.Fatalf("the straggler's completion was told %d times, want once, on its own: %+v", n, h.hook.events())
	}
	if n := len(h.digests()); n != 1 {
		t.Errorf("%d digests, want the partial one alone", n)
	}
}

func TestSelfUpdatingSlackPostsTheDigestAloneForABatch(t *testing.T) {
	h := newDigestHarness(t)
	chat := &slackChat{}
	h.cycle.Sinks = updatingSlack(t, chat)
	h.run(t, h.cycle, orgOptions(t, orgInvocation))
	for range 4 {
		h.advance(time.Minute)
		h.run(t, h.cycle, Options{})
	}
	chat.mu.Lock()
	defer chat.mu.Unlock()
	if len(chat.posts) != 1 || !strings.Contains(chat.posts[0].Get("text"), "Export batch asset/assetInstance (en): 2 of 3 accounts ready, 1 failed") {
		texts := make([]string, len(chat.posts))
		for i, p := range chat.posts {
			texts[i] = p.Get("text")
		}
		t.Fatalf("posts %q, want the digest alone: it stands for the members' own messages", texts)
	}
}
