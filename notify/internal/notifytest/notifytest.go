// Package notifytest holds what the sinks' tests share: sample events for
// golden files, the golden-file check and a map-backed getenv.
package notifytest

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/export-notifier/export-notifier/event"
	"github.com/export-notifier/export-notifier/notify"
)

// MapEnv is a getenv that reads m.
func MapEnv(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

// GoldenCases are the message kinds users see; a change to any of them
// shows up as a diff of testdata/*.golden in review.
func GoldenCases() map[string][]event.Event {
	grouped := make([]event.Event, 3)
	for i := range grouped {
		ev := notify.SampleEvent(event.Failed)
		ev.Status.Ref.ID = int64(131232 + i)
		ev.ID = event.NewID(ev.Status.Ref, ev.Key())
		grouped[i] = ev
	}
	grouped[2].Status.FileName = "vul_export_20171123"
	archived := notify.SampleEvent(event.Completed)
	archived.Status.Link = "https://archive-bucket.oss-cn-shanghai.aliyuncs.com/sas/2026/11/25/hc-131231/health_check_export_20171123?x-oss-credential=LTAI-sample%2F20261125%2Fcn-shanghai%2Foss%2Faliyun_v4_request&x-oss-date=20261125T074900Z&x-oss-expires=604800&x-oss-signature=sample&x-oss-signature-version=OSS4-HMAC-SHA256"
	archived.Archive = &event.Archive{URL: "oss://archive-bucket/sas/2026/11/25/hc-131231/health_check_export_20171123", Bucket: "archive-bucket",
		Key: "sas/2026/11/25/hc-131231/health_check_export_20171123", Size: 3 << 20, CRC64: "1234567890123456789", LinkExpires: time.Date(2026, 12, 2, 7, 49, 0, 0, time.UTC)}
	return map[string][]event.Event{
		"completed":          {notify.SampleEvent(event.Completed)},
		"completed_archived": {archived},
		"failed":             {notify.SampleEvent(event.Failed)},
		"failed_grouped":     grouped,
		"stalled":            {notify.SampleEvent(event.Stalled)},
		"started":            {notify.SampleEvent(event.Started)},
	}
}

// DigestGoldenCases are a batch's digests: complete, partial, and one of
// 200 member accounts, more than any chat message has room for.
func DigestGoldenCases() map[string][]event.Event {
	return map[string][]event.Event{
		"digest":         {notify.SampleDigest(12, false)},
		"digest_partial": {notify.SampleDigest(5, true)},
		"digest_200":     {notify.SampleDigest(200, false)},
	}
}

// StormDigest is a digest no chat message has room for: 200 member
// accounts and 40 error codes, each with a long message full of
// characters that markup reads.
func StormDigest() event.Event {
	ev := notify.SampleDigest(200, false)
	d := *ev.Digest
	d.Failures = nil
	for i := range 40 {
		d.Failures = append(d.Failures, event.DigestFailure{Code: fmt.Sprintf("Error.Code%02d", i),
			Message: strings.Repeat("消息<&>|*_😀 ", 200), Accounts: []int64{int64(2000 + 2*i), int64(2001 + 2*i)}})
	}
	d.Failed = 80
	ev.Digest = &d
	return ev
}

// Golden compares got with testdata/name.golden, or with update rewrites
// the file.
func Golden(t *testing.T, name string, got []byte, update bool) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -run Golden -update in this package to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s changed; if that is intended, run go test -run Golden -update and review the diff.\ngot:\n%s\nwant:\n%s", path, got, want)
	}
}

// IncidentEvents are a failure and a stall of one export, then its
// completion that resolves both: what the incident formats receive.
func IncidentEvents() (failed, stalled, completed event.Event) {
	failed = notify.SampleEvent(event.Failed)
	ref := failed.Status.Ref
	stalled = notify.SampleEvent(event.Stalled)
	stalled.Status.Ref, stalled.Time = ref, failed.Time.Add(time.Hour)
	stalled.ID = event.NewID(ref, stalled.Key())
	completed = notify.SampleEvent(event.Completed)
	completed.Status.Ref, completed.Time = ref, failed.Time.Add(3*time.Hour)
	completed.Resolves = []event.Incident{{Type: event.Failed, Code: "NoPermission", Since: failed.Time}, {Type: event.Stalled, Since: stalled.Time}}
	completed.ID = event.NewID(ref, completed.Key())
	return failed, stalled, completed
}

// CheckChatDigest fails t unless text, a chat message's digest of the
// DigestGoldenCases case name, is at most limit bytes, tells the
// failures, their hint and the footer, and, for 200 accounts, how many
// rows it left out.
func CheckChatDigest(t *testing.T, name, text string, limit int) {
	t.Helper()
	if n := len(text); n > limit {
		t.Errorf("text of %d bytes, over the platform's %d", n, limit)
	}
	if !strings.Contains(text, "RdCheckNoPermission") || !strings.Contains(text, "Hint: ") || !strings.Contains(text, "export-notifier") {
		t.Errorf("the failures, their hint or the footer are missing:\n%s", text)
	}
	if name == "digest_200" && !strings.Contains(text, "and ") {
		t.Errorf("200 accounts: the message does not say how many rows were left out")
	}
}

// CheckStormDigest fails t unless text, a chat message's StormDigest, is
// at most limit bytes, holds no raw HTML and counts the codes left out.
func CheckStormDigest(t *testing.T, text string, limit int) {
	t.Helper()
	if n := len(text); n > limit {
		t.Errorf("text of %d bytes, over the platform's %d", n, limit)
	}
	if strings.Contains(text, "<&>") || !strings.Contains(text, "and 30 more error codes") {
		t.Errorf("raw HTML reached the message, or it does not count the codes left out:\n%.600s", text)
	}
}
