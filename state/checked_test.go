package state

import (
	"testing"
	"time"

	"github.com/export-notifier/export-notifier/event"
)

func TestLastCheckedIsKeptAndOlderSnapshotsReadAsNeverChecked(t *testing.T) {
	ref := event.Ref{Kind: event.Asset, ID: 7}
	checked := NewSnapshot()
	checked.Watch(ref, t0).LastChecked = t0.Add(time.Minute)
	data, err := Encode(checked)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		data string
		want time.Time
	}{
		{"encoded now", string(data), t0.Add(time.Minute)},
		{"schema 2", `{"schema":2,"version":3,"updated":"2026-11-25T00:00:00Z","exports":[{"kind":"asset","id":7,"status":{"state":"exporting"},"firstSeen":"2026-11-25T00:00:00Z","lastChange":"2026-11-25T00:00:00Z"}]}`, time.Time{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Decode([]byte(tt.data))
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			ex := s.Export(ref)
			if ex == nil || !ex.LastChecked.Equal(tt.want) {
				t.Fatalf("export = %+v, want last checked %v", ex, tt.want)
			}
		})
	}
}
