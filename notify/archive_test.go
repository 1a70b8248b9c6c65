package notify

import (
	"testing"
	"time"

	"github.com/export-notifier/export-notifier/event"
)

// TestFileFactsSayHowLongTheLinkWorks: a message says until when its
// link works, and that a link signed with temporary credentials may stop
// sooner.
func TestFileFactsSayHowLongTheLinkWorks(t *testing.T) {
	expires := time.Date(2026, 12, 9, 7, 49, 0, 0, time.UTC)
	archived := func(temporary bool) event.Event {
		ev := SampleEvent(event.Completed)
		ev.Status.Link = "https://bucket.oss-cn-hangzhou.aliyuncs.com/sas/f.xlsx?x-oss-signature=abc"
		ev.Archive = &event.Archive{URL: "oss://bucket/sas/f.xlsx", Size: 2048, LinkExpires: expires, LinkTemporary: temporary}
		return ev
	}
	cases := []struct {
		name        string
		ev          event.Event
		includeLink bool
		want        map[string]string
	}{
		{"archived", archived(false), true, map[string]string{"Kept at": "oss://bucket/sas/f.xlsx (2.0 KiB)", "Link works until": "2026-12-09 07:49 UTC"}},
		{"archived with STS", archived(true), true, map[string]string{"Link works until": "2026-12-09 07:49 UTC at the latest (signed with temporary credentials, which may expire sooner)"}},
		{"no link shown", archived(true), false, map[string]string{"Kept at": "oss://bucket/sas/f.xlsx (2.0 KiB)", "Link works until": ""}},
		{"not archived", func() event.Event {
			ev := SampleEvent(event.Completed)
			ev.Archive = &event.Archive{Error: "the file is larger than ARCHIVE_MAX_BYTES"}
			return ev
		}(), true, map[string]string{"Not archived": "the file is larger than ARCHIVE_MAX_BYTES", "Kept at": ""}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := map[string]string{}
			for _, f := range FileFacts(c.ev, c.includeLink) {
				got[f[0]] = f[1]
			}
			for name, want := range c.want {
				if got[name] != want {
					t.Errorf("%s = %q, want %q (all: %q)", name, got[name], want, got)
				}
			}
		})
	}
}
