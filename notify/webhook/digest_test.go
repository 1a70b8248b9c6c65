package webhook

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/export-notifier/export-notifier/event"
	"github.com/export-notifier/export-notifier/notify"
	"github.com/export-notifier/export-notifier/notify/internal/notifytest"
)

func TestGoldenWebhookDigest(t *testing.T) {
	for name, events := range notifytest.DigestGoldenCases() {
		if name == "digest_200" {
			continue // a machine's body: every row, nothing to show in a review
		}
		t.Run(name, func(t *testing.T) {
			b, err := CloudEventBody(events[0], true)
			if err != nil {
				t.Fatal(err)
			}
			var out bytes.Buffer
			if err := json.Indent(&out, b, "", "  "); err != nil {
				t.Fatal(err)
			}
			out.WriteByte('\n')
			notifytest.Golden(t, "webhook_"+name, out.Bytes(), *update)
		})
	}
}

func TestWebhookDigestHoldsEveryRowAndNoLinkWhenToldSo(t *testing.T) {
	ev := notify.SampleDigest(200, false)
	for _, includeLink := range []bool{true, false} {
		b, err := CloudEventBody(ev, includeLink)
		if err != nil {
			t.Fatal(err)
		}
		var got struct {
			Type string `json:"type"`
			Data struct {
				Digest event.BatchDigest `json:"digest"`
			} `json:"data"`
		}
		if err := json.Unmarshal(b, &got); err != nil {
			t.Fatal(err)
		}
		if got.Type != "export-notifier.export.digest" || len(got.Data.Digest.Rows) != 199 || got.Data.Digest.Failures[0].Code != "RdCheckNoPermission" {
			t.Fatalf("digest body: type %s, %d rows, failures %+v", got.Type, len(got.Data.Digest.Rows), got.Data.Digest.Failures)
		}
		if hasLink := strings.Contains(string(b), "https://sas-export"); hasLink != includeLink {
			t.Errorf("INCLUDE_LINK=%v: a link in the body is %v", includeLink, hasLink)
		}
	}
}
