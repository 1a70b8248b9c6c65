package cli

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/export-notifier/export-notifier/event"
	"github.com/export-notifier/export-notifier/internal/sassim"
)

// TestPollFollowFor runs poll --follow-for with stderr not a terminal:
// each running export is a plain log line, and bad windows are refused in
// one line.
func TestPollFollowFor(t *testing.T) {
	sim := sassim.New(sassim.Options{})
	sim.Add(sassim.Export{Ref: event.Ref{Kind: event.Asset, ID: 131231}, StartAt: time.Now(), Duration: time.Hour, Shape: sassim.Jump})
	tests := []struct {
		name       string
		args       []string
		followFor  string
		wantCode   int
		wantStderr string
	}{
		{name: "plain lines", args: []string{"--follow-for", "1s"}, wantCode: ExitOK,
			wantStderr: `msg="following export" export=asset:131231 status=exporting progress=0`},
		{name: "from FOLLOW_FOR", followFor: "2s", wantCode: ExitOK, wantStderr: `msg="following export" export=asset:131231`},
		{name: "bad flag", args: []string{"--follow-for", "soon"}, wantCode: ExitUsage,
			wantStderr: `--follow-for: "soon" is not a duration such as 50s, 0 (one pass) or deadline`},
		{name: "bad variable", followFor: "-5s", wantCode: ExitUsage, wantStderr: `FOLLOW_FOR: "-5s" is not a duration`},
		{name: "too long", args: []string{"--follow-for", "2h"}, wantCode: ExitUsage, wantStderr: `"2h" is more than the maximum, 1h`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			getenv := checkSimEnv(t, sim, map[string]string{"SLACK_WEBHOOK_URL": "", "FOLLOW_FOR": tt.followFor, "EXPORT_IDS": "131231"})
			code := Run(context.Background(), append([]string{"poll"}, tt.args...), Env{Stdout: &stdout, Stderr: &stderr, Getenv: getenv})
			if code != tt.wantCode || !strings.Contains(stderr.String(), tt.wantStderr) {
				t.Fatalf("exit %d, stderr %q; want exit %d and %q", code, stderr.String(), tt.wantCode, tt.wantStderr)
			}
			if n := strings.Count(stderr.String(), "following export"); code == ExitOK && n != 1 {
				t.Errorf("%d lines about following one export whose window ended at once, want 1", n)
			}
		})
	}
}
