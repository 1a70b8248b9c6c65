package state

import (
	"testing"
	"time"

	"github.com/export-notifier/export-notifier/event"
)

func TestMessageIsPostedByOneCycleAndKept(t *testing.T) {
	now := time.Date(2026, 11, 30, 8, 0, 0, 0, time.UTC)
	ref := event.Ref{Kind: event.Asset, ID: 1}
	s := NewSnapshot()
	s.Watch(ref, now)
	key := ref.String()

	if !s.ClaimMessage(key, "slack:C1", "a", now, time.Minute) {
		t.Fatal("the first cycle could not claim the post")
	}
	if s.ClaimMessage(key, "slack:C1", "b", now, time.Minute) {
		t.Fatal("two cycles may post the same message")
	}
	// a's post failed: the claim is released for the next cycle.
	s.SettleMessage(key, "slack:C1", "a", "", "")
	if !s.ClaimMessage(key, "slack:C1", "b", now, time.Minute) {
		t.Fatal("a failed post keeps others from posting")
	}
	s.SettleMessage(key, "slack:C1", "b", "C1/1700000000.1", "exporting/40")
	if s.ClaimMessage(key, "slack:C1", "c", now.Add(time.Hour), time.Minute) {
		t.Fatal("a second message may be posted after the first")
	}
	data, err := Encode(s)
	if err != nil {
		t.Fatal(err)
	}
	back, err := Decode(data)
	if err != nil {
		t.Fatal(err)
	}
	if m := back.Message(key, "slack:C1"); m == nil || m.Handle != "C1/1700000000.1" || m.Shown != "exporting/40" || m.ClaimedBy != "" {
		t.Fatalf("message after a round trip: %+v", m)
	}
	// A claim that outlives its lease can be taken over.
	other := event.Ref{Kind: event.Asset, ID: 2}
	s.Watch(other, now)
	s.ClaimMessage(other.String(), "slack:C1", "dead", now, time.Minute)
	if !s.ClaimMessage(other.String(), "slack:C1", "alive", now.Add(2*time.Minute), time.Minute) {
		t.Fatal("an expired claim on a post cannot be taken over")
	}
}
