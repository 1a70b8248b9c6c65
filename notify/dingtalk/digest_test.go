package dingtalk

import (
	"strings"
	"testing"

	"github.com/export-notifier/export-notifier/event"
	"github.com/export-notifier/export-notifier/notify/internal/notifytest"
)

func TestGoldenDingTalkDigest(t *testing.T) {
	for name, events := range notifytest.DigestGoldenCases() {
		t.Run(name, func(t *testing.T) {
			m := Render(events, true)
			if n := len(m.Markdown.Text); n > maxText {
				t.Errorf("text of %d bytes, over DingTalk's %d", n, maxText)
			}
			text := m.Markdown.Text
			if !strings.Contains(text, "RdCheckNoPermission") || !strings.Contains(text, "Hint: ") || !strings.Contains(text, "export-notifier") {
				t.Errorf("the failures, their hint or the footer are missing:\n%s", text)
			}
			if name == "digest_200" && !strings.Contains(text, "and ") {
				t.Errorf("200 accounts: the message does not say how many rows were left out")
			}
			notifytest.Golden(t, "dingtalk_"+name, []byte("title: "+m.Markdown.Title+"\n\n"+text+"\n"), *update)
		})
	}
}

func TestDingTalkDigestOfManyAccountsAndCodesFits(t *testing.T) {
	m := Render([]event.Event{notifytest.StormDigest()}, true)
	text := m.Markdown.Text
	if n := len(text); n > maxText {
		t.Errorf("text of %d bytes, over DingTalk's %d", n, maxText)
	}
	if strings.Contains(text, "<&>") || !strings.Contains(text, "and 30 more error codes") {
		t.Errorf("raw HTML reached the message, or it does not count the codes left out:\n%.600s", text)
	}
}
