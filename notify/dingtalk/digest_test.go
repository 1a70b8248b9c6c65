package dingtalk

import (
	"strings"
	"testing"

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
