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
	return map[string][]event.Event{
		"completed":      {notify.SampleEvent(event.Completed)},
		"failed":         {notify.SampleEvent(event.Failed)},
		"failed_grouped": grouped,
		"stalled":        {notify.SampleEvent(event.Stalled)},
		"started":        {notify.SampleEvent(event.Started)},
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
