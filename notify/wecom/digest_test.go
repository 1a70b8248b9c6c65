package wecom

import (
	"strings"
	"testing"

	"github.com/export-notifier/export-notifier/event"
	"github.com/export-notifier/export-notifier/notify/internal/notifytest"
)

func TestGoldenWeComDigest(t *testing.T) {
	for name, events := range notifytest.DigestGoldenCases() {
		t.Run(name, func(t *testing.T) {
			text := Render(events, true).Markdown.Content
			notifytest.CheckChatDigest(t, name, text, maxContent)
			notifytest.Golden(t, "wecom_"+name, []byte(text+"\n"), *update)
		})
	}
}

// TestWeComDigestOfManyAccountsAndCodesFits: within WeCom's 4096 bytes,
// the failures are cut to leave the rows room, and still counted.
func TestWeComDigestOfManyAccountsAndCodesFits(t *testing.T) {
	text := Render([]event.Event{notifytest.StormDigest()}, true).Markdown.Content
	notifytest.CheckStormDigest(t, text, maxContent)
	if !strings.Contains(text, "| 16670360956 |") {
		t.Errorf("no rows beside the failures:\n%.600s", text)
	}
}
