package notify

import (
	"fmt"
	"strings"
	"testing"

	"github.com/export-notifier/export-notifier/event"
)

func TestGroupFailures(t *testing.T) {
	fail := func(id int64, code string) event.Event {
		ev := SampleEvent(event.Failed)
		ev.Status.Ref.ID = id
		ev.Error = &event.Failure{Code: code}
		return ev
	}
	done := SampleEvent(event.Completed)
	events := []event.Event{fail(1, "NoPermission"), done, fail(2, "Throttling"), fail(3, "NoPermission"), fail(4, "Throttling"), fail(5, "ServerError")}

	groups := GroupFailures(events)

	var got []string
	for _, g := range groups {
		var ids []string
		for _, ev := range g {
			ids = append(ids, fmt.Sprint(ev.Status.ID))
		}
		got = append(got, strings.Join(ids, "+"))
	}
	want := "1+3 131231 2+4 5"
	if strings.Join(got, " ") != want {
		t.Errorf("groups %v, want %s", got, want)
	}
	if w := Singly(events); len(w) != len(events) {
		t.Errorf("Singly made %d messages of %d events, want one each", len(w), len(events))
	}
}

func TestFitListCountsWhatItLeavesOut(t *testing.T) {
	items := make([]string, 50)
	for i := range items {
		items[i] = fmt.Sprintf("asset:%d", 100000+i)
	}
	for _, limit := range []int{0, 12, 20, 100, 500, 10000} {
		got := FitList(items, limit)
		if n := len([]rune(got)); n > limit && limit >= 12 {
			t.Errorf("limit %d: %d characters: %q", limit, n, got)
		}
		shown := strings.Count(got, "asset:")
		var more int
		if i := strings.Index(got, "and "); i >= 0 {
			fmt.Sscanf(got[i:], "and %d more", &more)
		}
		if shown+more != len(items) {
			t.Errorf("limit %d: shows %d and says %d more, of %d: %q", limit, shown, more, len(items), got)
		}
	}
}
