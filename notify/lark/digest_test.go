package lark

import (
	"strings"
	"testing"

	"github.com/export-notifier/export-notifier/event"
	"github.com/export-notifier/export-notifier/notify"
	"github.com/export-notifier/export-notifier/notify/internal/notifytest"
)

// renderSigned renders events as a signed bot would send them, and fails
// t when the body is over Lark's limit.
func renderSigned(t *testing.T, events []event.Event) Message {
	t.Helper()
	m := Render(events, true)
	m.Timestamp, m.Sign = "1700000000", strings.Repeat("s", 44)
	body, err := notify.MarshalJSON(m, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(body) > maxBody {
		t.Errorf("body of %d bytes, over Lark's %d", len(body), maxBody)
	}
	return m
}

func TestGoldenLarkDigest(t *testing.T) {
	for name, events := range notifytest.DigestGoldenCases() {
		t.Run(name, func(t *testing.T) {
			m := renderSigned(t, events)
			text := cardText(m.Card)
			if !strings.Contains(text, "RdCheckNoPermission") || !strings.Contains(text, "Hint: ") {
				t.Errorf("the failures or their hint are missing:\n%s", text)
			}
			if name == "digest_200" && !strings.Contains(text, "and ") {
				t.Errorf("200 accounts: the card does not say how many rows were left out")
			}
			m.Timestamp, m.Sign = "", ""
			b, err := notify.MarshalJSON(m, "  ")
			if err != nil {
				t.Fatal(err)
			}
			notifytest.Golden(t, "lark_"+name, append(b, '\n'), *update)
		})
	}
}

func TestLarkDigestOfManyAccountsAndCodesFits(t *testing.T) {
	m := renderSigned(t, []event.Event{notifytest.StormDigest()})
	if !strings.Contains(cardText(m.Card), "and 30 more error codes") {
		t.Errorf("the card does not count the codes left out")
	}
}
