package console

import (
	"bytes"
	"context"
	"flag"
	"strings"
	"testing"

	"github.com/export-notifier/export-notifier/event"
	"github.com/export-notifier/export-notifier/notify"
	"github.com/export-notifier/export-notifier/notify/internal/notifytest"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden from the current output")

func TestGoldenConsoleDigest(t *testing.T) {
	for name, events := range notifytest.DigestGoldenCases() {
		if name == "digest_200" {
			continue // a terminal shows every row: the small digests say it all
		}
		t.Run(name, func(t *testing.T) {
			var out bytes.Buffer
			if err := New(&out, true).Notify(context.Background(), events); err != nil {
				t.Fatal(err)
			}
			notifytest.Golden(t, "console_"+name, out.Bytes(), *update)
		})
	}
}

func TestConsoleDigestShowsEveryRowWithoutLinksWhenToldSo(t *testing.T) {
	var out bytes.Buffer
	notify.Deliver(context.Background(), New(&out, false), []event.Event{notify.SampleDigest(200, false)})
	if n := strings.Count(out.String(), "  ready  "); n != 199 || strings.Contains(out.String(), "https://") {
		t.Fatalf("%d rows, links %v:\n%.400s", n, strings.Contains(out.String(), "https://"), out.String())
	}
}
