package teams

import (
	"strings"
	"testing"

	"github.com/export-notifier/export-notifier/event"
	"github.com/export-notifier/export-notifier/notify/internal/notifytest"
)

func TestGoldenTeamsDigest(t *testing.T) {
	for name, events := range notifytest.DigestGoldenCases() {
		t.Run(name, func(t *testing.T) {
			body := goldenCard(t, name, events)
			text := string(body)
			if len(body) > maxBody {
				t.Errorf("message of %d bytes, over %d", len(body), maxBody)
			}
			if !strings.Contains(text, `"RdCheckNoPermission"`) || !strings.Contains(text, "Hint: ") || !strings.Contains(text, "export-notifier") {
				t.Errorf("the failures, their hint or the footer are missing:\n%s", text)
			}
			if !strings.Contains(text, `"selectAction":{"type":"Action.OpenUrl","title":"Download","url":"https://`) {
				t.Errorf("no row links to its file:\n%.2000s", text)
			}
			if name == "digest_200" && !strings.Contains(text, "…and ") {
				t.Errorf("200 accounts: the card does not say how many rows were left out")
			}
		})
	}
}

func TestTeamsDigestOfManyAccountsAndCodesFits(t *testing.T) {
	r, err := Settings{}.Preview([]event.Event{notifytest.StormDigest()}, true)
	if err != nil {
		t.Fatal(err)
	}
	body := r[0].Body
	if p := validateMessage(body); len(p) != 0 {
		t.Errorf("card rules broken: %v", p)
	}
	if len(body) > maxBody || !strings.Contains(string(body), "and 30 more error codes") || !strings.Contains(string(body), `"16670360956"`) {
		t.Errorf("message of %d bytes (at most %d), want rows and the codes left out counted:\n%.1500s", len(body), maxBody, body)
	}
}

// TestTeamsDigestRowsOfAFileArchive: a file:// archive's link is no
// link a browser in Teams opens; the row names the file alone.
func TestTeamsDigestRowsOfAFileArchive(t *testing.T) {
	ev := notifytest.DigestGoldenCases()["digest"][0]
	d := *ev.Digest
	d.Rows = append([]event.DigestRow(nil), d.Rows...)
	for i := range d.Rows {
		d.Rows[i].Link = "file:///srv/archive/" + d.Rows[i].FileName
	}
	ev.Digest = &d
	r, err := Settings{}.Preview([]event.Event{ev}, true)
	if err != nil {
		t.Fatal(err)
	}
	if p := validateMessage(r[0].Body); len(p) != 0 || strings.Contains(string(r[0].Body), "selectAction") {
		t.Errorf("problems %v; want rows without links:\n%.1500s", p, r[0].Body)
	}
}
