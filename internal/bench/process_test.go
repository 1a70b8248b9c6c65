package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/export-notifier/export-notifier/handler"
)

func TestResultCounts(t *testing.T) {
	large := handler.Result{Cycle: "c1", Watched: 3, Checked: 3, CheckFailed: 1,
		Exports: []handler.ExportResult{{Export: "asset:1", Status: "success"}, {Export: "asset:2", Error: "throttled"}, {Export: "asset:3"}}}
	var printed strings.Builder // as poll prints it
	if err := large.WriteJSON(&printed); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name            string
		result          string
		checked, failed int
		wantErr         bool
	}{
		{"a cycle's result", printed.String(), 3, 1, false},
		{"counts in another order", `{"checkFailed": 2, "exports": [{"export": "asset:9"}], "checked": 5}`, 5, 2, false},
		{"counts missing", `{"cycle": "c1", "checked": 5}`, 0, 0, true},
		{"not an object", `[1, 2]`, 0, 0, true},
		{"cut short", `{"checked": 5, "checkF`, 0, 0, true},
		{"nothing printed", ``, 0, 0, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			checked, failed, err := resultCounts(strings.NewReader(tc.result))
			if (err != nil) != tc.wantErr {
				t.Fatalf("resultCounts(%s): error %v, want error %v", tc.result, err, tc.wantErr)
			}
			if checked != tc.checked || failed != tc.failed {
				t.Errorf("resultCounts(%s) = %d checked, %d failed; want %d, %d", tc.result, checked, failed, tc.checked, tc.failed)
			}
		})
	}
}

// A result far larger than the decoder's buffer is not read past its
// counts.
func TestResultCountsStopsAtTheCounts(t *testing.T) {
	var b bytes.Buffer
	b.WriteString(`{"checked": 7, "checkFailed": 0, "exports": [`)
	prefix := b.Len()
	for i := range 100000 {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(`{"export": "asset:1"}`)
	}
	b.WriteString("]}")
	r := bytes.NewReader(b.Bytes())
	if checked, _, err := resultCounts(r); err != nil || checked != 7 {
		t.Fatalf("resultCounts = %d, %v; want 7", checked, err)
	}
	if read := int(r.Size()) - r.Len(); read > prefix+64<<10 {
		t.Errorf("read %d bytes of %d to find counts in the first %d", read, r.Size(), prefix)
	}
}
