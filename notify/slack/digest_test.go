package slack

import (
	"strings"
	"testing"

	"github.com/export-notifier/export-notifier/event"
	"github.com/export-notifier/export-notifier/notify/internal/notifytest"
)

func TestSlackDigestOfManyAccountsAndCodesFits(t *testing.T) {
	m := Render([]event.Event{notifytest.StormDigest()}, true)
	checkSlackLimits(t, m)
	b, err := m.Blocks.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	text := string(b)
	if !strings.Contains(text, "and 30 more error codes (60 accounts)") || !strings.Contains(text, "more") || !strings.Contains(text, "Event `evt_") {
		t.Errorf("the digest does not count what it left out, or lost its footer:\n%.600s", text)
	}
}
