package sinks

import (
	"strings"
	"testing"
	"time"

	"github.com/export-notifier/export-notifier/event"
	"github.com/export-notifier/export-notifier/notify"
)

// TestArchivedCompletionInEverySink: with archiving on, every sink's
// completion links to the copy and says where it is kept and until when
// the link works; a failed archive says why.
func TestArchivedCompletionInEverySink(t *testing.T) {
	presigned := "https://archive-bucket.oss-cn-hangzhou.aliyuncs.com/sas/2026/11/25/hc-131231/health_check_export_20171123?x-oss-signature-version=OSS4-HMAC-SHA256&x-oss-expires=604800&x-oss-signature=abc123"
	archived := notify.SampleEvent(event.Completed)
	archived.Status.Link = presigned
	archived.Archive = &event.Archive{
		URL: "oss://archive-bucket/sas/2026/11/25/hc-131231/health_check_export_20171123", Bucket: "archive-bucket",
		Key: "sas/2026/11/25/hc-131231/health_check_export_20171123", Size: 3 << 20, CRC64: "1234567890123456789",
		LinkExpires: time.Date(2026, 12, 2, 7, 49, 0, 0, time.UTC),
	}
	failed := notify.SampleEvent(event.Completed)
	failed.Archive = &event.Archive{Error: "the file is larger than ARCHIVE_MAX_BYTES: the file has 9 bytes, the limit is 8"}
	s, err := Read(func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range Names() {
		if name == "pagerduty" {
			// It is told of failures and stalls only; the completion that
			// resolves one is a bare resolve action, with no message.
			continue
		}
		t.Run(name, func(t *testing.T) {
			cases := []struct {
				ev   event.Event
				want []string
			}{
				{archived, []string{presigned, archived.Archive.URL, "3.0 MiB", "2026-12-02 07:49 UTC"}},
				{failed, []string{"Not archived", "larger than ARCHIVE_MAX_BYTES"}},
			}
			if name == "webhook" { // data.archive, for programs
				cases[0].want = []string{`"link":"` + presigned, `"bucket":"archive-bucket"`, `"key":"sas/2026/11/25/hc-131231/health_check_export_20171123"`,
					`"size":3145728`, `"crc64":"1234567890123456789"`, `"linkExpires":"2026-12-02T07:49:00Z"`}
				cases[1].want = []string{`"archive":{"error":"the file is larger than ARCHIVE_MAX_BYTES`}
			}
			for _, tc := range cases {
				renderings, err := s.Preview(name, []event.Event{tc.ev})
				if err != nil {
					t.Fatal(err)
				}
				var body strings.Builder
				for _, r := range renderings {
					body.Write(r.Body)
				}
				text := strings.NewReplacer(`\u0026`, "&", "&amp;", "&").Replace(body.String())
				for _, w := range tc.want {
					if !strings.Contains(text, w) {
						t.Errorf("%s's message lacks %q:\n%s", name, w, text)
					}
				}
			}
		})
	}
}
