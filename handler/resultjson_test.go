package handler

import (
	"bytes"
	"encoding/json"
	"fmt"
	"testing"
)

// A result written export by export and event by event reads exactly as
// json.Marshal writes it.
func TestResultWriteJSONIsMarshal(t *testing.T) {
	many := make([]ExportResult, 1500)
	for i := range many {
		many[i] = ExportResult{Export: fmt.Sprintf("asset:%d", i), Status: "exporting", Progress: i % 100, FileName: `f"<&>` + fmt.Sprint(i)}
	}
	sent := make([]EventResult, 1500)
	for i := range sent {
		sent[i] = EventResult{ID: fmt.Sprintf("e%d", i), Type: "completed", Export: fmt.Sprintf("asset:%d", i), Sink: "console", Outcome: "sent", Attempts: 1}
	}
	sent[7].Outcome, sent[7].Error = "failed", `"events":null <&>`
	cases := []struct {
		name string
		res  Result
	}{
		{name: "nothing watched", res: Result{Cycle: "c1"}},
		{name: "no exports listed", res: Result{Cycle: "c1", Exports: []ExportResult{}, Events: []EventResult{}}},
		{name: "starts before exports", res: Result{Cycle: "c1", Starts: []StartResult{{Spec: `"exports":null`, Outcome: "failed", Error: `"exports":null`}},
			Exports: many[:2], Events: []EventResult{{ID: "e", Export: "asset:1", Sink: "console", Outcome: "sent"}}, Pending: map[string]int{"console": 0}}},
		{name: "a summary", res: Result{Cycle: "c2", Watched: 50000, Summarised: true, Statuses: map[string]int{"exporting": 50000}, Exports: many, Events: []EventResult{}}},
		{name: "many events", res: Result{Cycle: "c3", Watched: 1500, Summarised: true, Statuses: map[string]int{"success": 1500}, Exports: many, Events: sent,
			Messages: []MessageResult{{Export: "asset:1", Sink: "slack", Action: "posted"}}, Pending: map[string]int{"console": 0}}},
		{name: "events without exports", res: Result{Cycle: "c4", Events: sent[:3]}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			want, err := json.Marshal(tc.res)
			if err != nil {
				t.Fatal(err)
			}
			var got bytes.Buffer
			if err := tc.res.WriteJSON(&got); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got.Bytes(), append(want, '\n')) {
				t.Errorf("WriteJSON wrote\n%s\nwant\n%s", got.Bytes(), want)
			}
		})
	}
}
