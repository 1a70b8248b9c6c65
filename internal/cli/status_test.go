package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/export-notifier/export-notifier/event"
	"github.com/export-notifier/export-notifier/state"
)

func runStatusWith(t *testing.T, vars map[string]string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = Run(context.Background(), append([]string{"status"}, args...), Env{Stdout: &out, Stderr: &errOut, Getenv: func(k string) string { return vars[k] }})
	return code, out.String(), errOut.String()
}

// seedState commits a state with one pending export, one finished export
// whose completed event the webhook accepted and Slack did not.
func seedState(t *testing.T, dir string) {
	t.Helper()
	ctx := context.Background()
	st, err := state.Open(ctx, "file://"+dir, state.Options{})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	pending := event.Ref{Kind: event.Vul, ID: 52}
	done := event.Ref{Kind: event.Asset, ID: 131231, Account: 16670360956}
	_, err = state.Update(ctx, st, func(s *state.Snapshot) error {
		s.Watch(pending, now.Add(-time.Hour)).Observe(event.Status{State: event.Exporting, Progress: 40, CurrentCount: 400, TotalCount: 1000}, now.Add(-10*time.Minute))
		e := s.Watch(done, now.Add(-2*time.Hour))
		st := event.Status{State: event.Success, Progress: 100, CurrentCount: 10, TotalCount: 10, FileName: "assets.zip", Link: "https://b.oss/assets.zip?Signature=SECRETSIG"}
		e.Observe(st, now.Add(-5*time.Minute))
		e.Finish(now.Add(-5 * time.Minute))
		s.AddEvent(done, event.Event{ID: event.NewID(done, "completed"), Type: event.Completed, Time: now.Add(-5 * time.Minute), Status: st}, []string{"slack", "webhook"})
		for _, d := range s.Due([]string{"slack", "webhook"}, now) {
			s.Claim("cycle-1", d, now, time.Hour)
			var sendErr error
			if d.Sink == "slack" {
				sendErr = errors.New("slack: 404 channel_not_found")
			}
			s.Settle("cycle-1", d, sendErr, now)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestStatusTable(t *testing.T) {
	dir := t.TempDir()
	seedState(t, dir)
	code, out, errOut := runStatusWith(t, map[string]string{"STATE_URL": "file://" + dir})
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, want := range []string{
		"file://" + dir, "version 1", "1 pending, 1 finished", "1 undelivered",
		"vul:52", "exporting", "40%", "400/1000",
		"asset:131231@16670360956", "completed", "slack", "404 channel_not_found",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("the table lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "SECRETSIG") {
		t.Errorf("the table shows a download link:\n%s", out)
	}
	// The webhook accepted the event: it is not listed as undelivered.
	for _, line := range strings.Split(out, "\n") {
		if strings.Contains(line, "webhook") {
			t.Errorf("a delivered event is listed: %q", line)
		}
	}
}

func TestStatusJSON(t *testing.T) {
	dir := t.TempDir()
	seedState(t, dir)
	code, out, errOut := runStatusWith(t, map[string]string{"STATE_URL": "file://" + dir}, "--json")
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var got statusReport
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	if got.Version != 1 || len(got.Pending) != 1 || got.Pending[0].Export != "vul:52" || got.Pending[0].Progress != 40 {
		t.Fatalf("pending: %+v", got)
	}
	if len(got.Finished) != 1 || got.Finished[0].Export != "asset:131231@16670360956" {
		t.Fatalf("finished: %+v", got.Finished)
	}
	if len(got.Undelivered) != 1 || got.Undelivered[0].Sink != "slack" || got.Undelivered[0].Attempts != 1 ||
		got.Undelivered[0].EventID != event.NewID(event.Ref{Kind: event.Asset, ID: 131231, Account: 16670360956}, "completed") {
		t.Fatalf("undelivered: %+v", got.Undelivered)
	}
	if strings.Contains(out, "SECRETSIG") {
		t.Fatalf("the JSON shows a download link:\n%s", out)
	}
}

func TestStatusEmptyAndDefaultLocation(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	code, out, errOut := runStatusWith(t, nil)
	if code != ExitOK || !strings.Contains(out, "empty") || !strings.Contains(out, filepath.Join(dir, ".export-notifier")) {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	if _, err := os.Stat(filepath.Join(dir, ".export-notifier")); !os.IsNotExist(err) {
		t.Fatal("status created the state directory")
	}
	code, out, _ = runStatusWith(t, nil, "--json")
	if code != ExitOK || !strings.Contains(out, `"pending": []`) || !strings.Contains(out, `"version": 0`) {
		t.Fatalf("exit %d\n%s", code, out)
	}
}

func TestStatusFailures(t *testing.T) {
	damagedDir := t.TempDir()
	seedState(t, damagedDir)
	damaged := filepath.Join(damagedDir, "snapshot-00000000000000000002.json")
	if err := os.WriteFile(damaged, []byte(`{"schema":1,"vers`), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		vars map[string]string
		args []string
		code int
		want string
	}{
		{"damaged snapshot", map[string]string{"STATE_URL": "file://" + damagedDir}, nil, ExitFailed, damaged},
		{"unknown scheme", map[string]string{"STATE_URL": "s3://bucket/x"}, nil, ExitUsage, `unknown scheme "s3"`},
		{"OSS without a region", map[string]string{"STATE_URL": "oss://bucket/x"}, nil, ExitUsage, "OSS_REGION"},
		{"unknown flag", nil, []string{"--yaml"}, ExitUsage, "flag provided but not defined"},
		{"stray argument", nil, []string{"now"}, ExitUsage, `unexpected argument "now"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := runStatusWith(t, tt.vars, tt.args...)
			if code != tt.code || !strings.Contains(errOut, tt.want) || out != "" {
				t.Fatalf("exit %d, stderr %q, stdout %q; want exit %d and stderr saying %q", code, errOut, out, tt.code, tt.want)
			}
		})
	}
	if data, _ := os.ReadFile(damaged); string(data) != `{"schema":1,"vers` {
		t.Fatal("status changed the damaged snapshot")
	}
}

// seedStarts commits a state holding four starts a payload asked for: one
// started, one refused, one whose request may have reached Security Center
// all the same, and one whose cycle never recorded an answer.
func seedStarts(t *testing.T, dir string, now time.Time) {
	t.Helper()
	ctx := context.Background()
	st, err := state.Open(ctx, "file://"+dir, state.Options{})
	if err != nil {
		t.Fatal(err)
	}
	_, err = state.Update(ctx, st, func(s *state.Snapshot) error {
		s.Intend("weekly@t1|0|a", event.StartSpec{Kind: event.Asset, ExportType: "assetInstance"}, "cycle-1", now.Add(-3*time.Hour))
		s.SettleStart("weekly@t1|0|a", "cycle-1", event.Ref{Kind: event.Asset, ID: 777}, "req-ok", nil, false, now.Add(-3*time.Hour))
		s.Intend("weekly@t1|1|b", event.StartSpec{Kind: event.Vul, Type: "cve"}, "cycle-1", now.Add(-3*time.Hour))
		s.SettleStart("weekly@t1|1|b", "cycle-1", event.Ref{}, "req-forbidden", errors.New("Forbidden.NoPermission: not\nallowed"), false, now.Add(-3*time.Hour))
		s.Intend("weekly@t2|0|c", event.StartSpec{Kind: event.SuspEvent, Levels: "serious"}, "cycle-2", now.Add(-2*time.Hour))
		s.SettleStart("weekly@t2|0|c", "cycle-2", event.Ref{}, "", errors.New("context deadline exceeded"), true, now.Add(-2*time.Hour))
		s.Intend("weekly@t3|0|d", event.StartSpec{Kind: event.Vul, Type: "sys"}, "cycle-3", now.Add(-time.Hour))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestStatusStarts(t *testing.T) {
	dir := t.TempDir()
	now := time.Now()
	seedStarts(t, dir, now)
	code, out, errOut := runStatusWith(t, map[string]string{"STATE_URL": "file://" + dir})
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if !strings.Contains(out, "4 started by payloads") {
		t.Errorf("the summary does not count the starts:\n%s", out)
	}
	// Each start is one row: its spec, when it was asked for, what came of it.
	rows := []struct {
		spec    string
		ago     string
		outcome string
	}{
		{"asset/assetInstance", "3h0m0s ago", "started as asset:777"},
		{"vul/cve", "3h0m0s ago", "failed: Forbidden.NoPermission: not allowed"},
		{"suspEvent levels=serious", "2h0m0s ago", "failed: context deadline exceeded (may have started)"},
		{"vul/sys", "1h0m0s ago", "outcome unknown"},
	}
	lines := strings.Split(out, "\n")
	header := slices.IndexFunc(lines, func(l string) bool { return strings.HasPrefix(l, "STARTS") })
	if header < 0 || !strings.Contains(lines[header], "REQUESTED") || !strings.Contains(lines[header], "OUTCOME") {
		t.Fatalf("no Starts section:\n%s", out)
	}
	for i, row := range rows {
		line := lines[header+1+i]
		if !strings.HasPrefix(line, row.spec+" ") || !strings.Contains(line, row.ago) || !strings.HasSuffix(line, row.outcome) {
			t.Errorf("row %d is %q; want %q, %q, %q", i, line, row.spec, row.ago, row.outcome)
		}
	}
	if strings.Count(out, "may have started") != 1 {
		t.Errorf("only the timed-out start may have started:\n%s", out)
	}
}

func TestStatusStartsJSON(t *testing.T) {
	dir := t.TempDir()
	now := time.Now()
	seedStarts(t, dir, now)
	code, out, errOut := runStatusWith(t, map[string]string{"STATE_URL": "file://" + dir}, "--json")
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var got statusReport
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	want := []struct {
		key, spec, outcome, export, requestID, err string
		mayHaveStarted, settled                    bool
		request                                    event.StartSpec
	}{
		{"weekly@t1|0|a", "asset/assetInstance", "started", "asset:777", "req-ok", "", false, true, event.StartSpec{Kind: event.Asset, ExportType: "assetInstance"}},
		{"weekly@t1|1|b", "vul/cve", "failed", "", "req-forbidden", "Forbidden.NoPermission: not\nallowed", false, true, event.StartSpec{Kind: event.Vul, Type: "cve"}},
		{"weekly@t2|0|c", "suspEvent levels=serious", "failed", "", "", "context deadline exceeded", true, true, event.StartSpec{Kind: event.SuspEvent, Levels: "serious"}},
		{"weekly@t3|0|d", "vul/sys", "unknown", "", "", "", false, false, event.StartSpec{Kind: event.Vul, Type: "sys"}},
	}
	if len(got.Starts) != len(want) {
		t.Fatalf("%d starts, want %d:\n%s", len(got.Starts), len(want), out)
	}
	for i, w := range want {
		g := got.Starts[i]
		if g.Key != w.key || g.Spec != w.spec || g.Outcome != w.outcome || g.Export != w.export || g.RequestID != w.requestID ||
			g.Error != w.err || g.MayHaveStarted != w.mayHaveStarted || (g.Settled != nil) != w.settled || g.Request != w.request {
			t.Errorf("starts[%d] = %+v; want %+v", i, g, w)
		}
		if g.Requested.IsZero() || g.ClaimedBy == "" {
			t.Errorf("starts[%d] lacks when it was asked for or by which cycle: %+v", i, g)
		}
	}
}

func TestStatusShowsEachExportsLastErrorCode(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	st, err := state.Open(ctx, "file://"+dir, state.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := state.Update(ctx, st, func(s *state.Snapshot) error {
		s.Watch(event.Ref{Kind: event.Vul, ID: 52}, time.Now()).LastError = "NoPermission"
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"table", nil, "NoPermission"},
		{"json", []string{"--json"}, `"lastError": "NoPermission"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := runStatusWith(t, map[string]string{"STATE_URL": "file://" + dir}, tt.args...)
			if code != ExitOK || !strings.Contains(out, tt.want) {
				t.Fatalf("exit %d, stdout %s, stderr %s; want %s", code, out, errOut, tt.want)
			}
		})
	}
}
