package dingtalk

import (
	"testing"

	"github.com/export-notifier/export-notifier/event"
	"github.com/export-notifier/export-notifier/notify/internal/notifytest"
)

func TestGoldenDingTalkDigest(t *testing.T) {
	for name, events := range notifytest.DigestGoldenCases() {
		t.Run(name, func(t *testing.T) {
			m := Render(events, true)
			notifytest.CheckChatDigest(t, name, m.Markdown.Text, maxText)
			notifytest.Golden(t, "dingtalk_"+name, []byte("title: "+m.Markdown.Title+"\n\n"+m.Markdown.Text+"\n"), *update)
		})
	}
}

func TestDingTalkDigestOfManyAccountsAndCodesFits(t *testing.T) {
	notifytest.CheckStormDigest(t, Render([]event.Event{notifytest.StormDigest()}, true).Markdown.Text, maxText)
}
