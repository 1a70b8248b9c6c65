package webhook

import (
	"bytes"
	"encoding/json"
	"flag"
	"testing"

	"github.com/export-notifier/export-notifier/notify/internal/notifytest"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden from the current output")

func TestGoldenWebhook(t *testing.T) {
	for name, events := range notifytest.GoldenCases() {
		t.Run(name, func(t *testing.T) {
			var out bytes.Buffer
			for _, ev := range events {
				b, err := CloudEventBody(ev, true)
				if err != nil {
					t.Fatal(err)
				}
				if err := json.Indent(&out, b, "", "  "); err != nil {
					t.Fatal(err)
				}
				out.WriteByte('\n')
			}
			notifytest.Golden(t, "webhook_"+name, out.Bytes(), *update)
		})
	}
}
