package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/export-notifier/export-notifier/event"
	"github.com/export-notifier/export-notifier/internal/app"
	"github.com/export-notifier/export-notifier/internal/sassim"
)

func runStartWith(t *testing.T, getenv func(string) string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = Run(context.Background(), append([]string{"start"}, args...), Env{Stdout: &out, Stderr: &errOut, Getenv: getenv})
	return code, out.String(), errOut.String()
}

func TestStartPrintsTheStartedExport(t *testing.T) {
	tests := []struct {
		args       []string
		action     string
		kind       event.Kind
		wantParams map[string]string
	}{
		{[]string{"--kind", "asset", "--export-type", "assetInstance", "--lang", "en"}, "ExportRecord", event.Asset,
			map[string]string{"ExportType": "assetInstance", "Lang": "en", "ResourceDirectoryAccountId": "111"}},
		{[]string{"--export-type", "port", "--params", `{"extend": "1"}`, "--account", "222"}, "ExportRecord", event.Asset,
			map[string]string{"ExportType": "port", "Params": `{"extend":"1"}`, "ResourceDirectoryAccountId": "222"}},
		{[]string{"--kind", "vul", "--type", "cve", "--dealed", "n", "--necessity", "asap", "--group-id", "8834224"}, "ExportVul", event.Vul,
			map[string]string{"Type": "cve", "Dealed": "n", "Necessity": "asap", "GroupId": "8834224"}},
		{[]string{"--kind", "suspEvent", "--levels", "serious,suspicious", "--time-start", "2026-11-01 00:00:00"}, "ExportSuspEvents", event.SuspEvent,
			map[string]string{"Levels": "serious,suspicious", "TimeStart": "2026-11-01 00:00:00"}},
		{[]string{"--spec", `{"kind": "vul", "type": "app", "attachTypes": "sca", "lang": "en"}`}, "ExportVul", event.Vul,
			map[string]string{"Type": "app", "AttachTypes": "sca", "Lang": "en"}},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			sim := sassim.New(sassim.Options{})
			getenv := checkSimEnv(t, sim, map[string]string{"RESOURCE_DIRECTORY_ACCOUNT_ID": "111"})
			code, stdout, stderr := runStartWith(t, getenv, tt.args...)
			if code != ExitOK {
				t.Fatalf("exit %d, stderr %s", code, stderr)
			}
			var got map[string]string
			if err := json.Unmarshal([]byte(stdout), &got); err != nil {
				t.Fatalf("stdout is not JSON: %v\n%s", err, stdout)
			}
			started := sim.Started()
			calls := sim.Calls()
			if len(started) != 1 || len(calls) != 1 {
				t.Fatalf("started %v in %d calls, want one in one", started, len(calls))
			}
			want := event.Ref{Kind: tt.kind, ID: started[0].ID}
			if tt.kind == event.Asset && tt.wantParams["ResourceDirectoryAccountId"] == "222" {
				want.Account = 222 // named by --account; the configured 111 is left to check and poll
			}
			if got["export"] != want.String() || got["requestId"] != calls[0].RequestID || len(got) != 2 {
				t.Errorf("stdout %v, want export %s and request ID %s", got, want, calls[0].RequestID)
			}
			if calls[0].Action != tt.action {
				t.Errorf("called %s, want %s", calls[0].Action, tt.action)
			}
			for name, value := range tt.wantParams {
				if v := calls[0].Params.Get(name); v != value {
					t.Errorf("sent %s=%q, want %q", name, v, value)
				}
			}
			// The next poll watches it: it is pending in the state.
			store, err := app.OpenState(context.Background(), app.Setup{Getenv: getenv})
			if err != nil {
				t.Fatal(err)
			}
			snap, err := store.Load(context.Background())
			if err != nil || snap.Export(want) == nil {
				t.Errorf("the started export %s is not in the state (%v): %v", want, err, snap.Exports)
			}
			// What start printed is what check takes.
			code, stdout, stderr = runCheckWith(t, getenv, "--id", got["export"])
			if code != ExitOK || !strings.Contains(stdout, fmt.Sprintf(`"id": %d,`, want.ID)) {
				t.Errorf("check --id %s: exit %d, %s %s", got["export"], code, stdout, stderr)
			}
		})
	}
}

func TestStartRefusesBadFlagsBeforeAnyCall(t *testing.T) {
	sim := sassim.New(sassim.Options{})
	getenv := checkSimEnv(t, sim, nil)
	tests := []struct {
		args []string
		want []string
	}{
		{nil, []string{"--export-type: start asset: exportType is required (one of assetInstance, "}},
		{[]string{"--export-type", "assetInstnce"}, []string{`--export-type: start asset/assetInstnce: exportType "assetInstnce": want one of assetInstance,`}},
		{[]string{"--kind", "hc"}, []string{"--kind: start hc: hc exports cannot be started"}},
		{[]string{"--kind", "disk"}, []string{`--kind: start disk: unknown kind "disk" (want asset, vul or suspEvent)`}},
		{[]string{"--export-type", "user", "--lang", "fr"}, []string{`--lang: `, `lang "fr": want zh or en`}},
		{[]string{"--export-type", "user", "--type", "cve"}, []string{"--type: ", "type is not a parameter of asset exports"}},
		{[]string{"--kind", "vul"}, []string{"--type: start vul: type is required (one of cve, sys, cms, app, emg)"}},
		{[]string{"--kind", "vul", "--type", "cve", "--dealed", "N"}, []string{`--dealed: `, `dealed "N": want y or n`}},
		{[]string{"--kind", "suspEvent", "--time-end", "tomorrow"}, []string{`--time-end: `, `timeEnd "tomorrow": want a time such as 2022-10-01 00:00:00`}},
		{[]string{"--kind", "vul", "--type", "cve", "--group-id", "abc"}, []string{`invalid value "abc" for flag -group-id: not a whole number`}},
		{[]string{"--export-type", "user", "--params", "extend=1"}, []string{`flag -params`, "want a JSON object"}},
		{[]string{"--export-type", "user", "extra"}, []string{`unexpected argument "extra"`}},
		{[]string{"--export-type", "user", "--timeout", "0s"}, []string{"--timeout 0s: want a positive duration"}},
		{[]string{"--spec", `{"kind": "vul", "type": "cve"}`, "--lang", "en"}, []string{"--lang and --spec: give the export either as flags or as --spec"}},
		{[]string{"--spec", `{"kind": "vul", "tipe": "cve"}`}, []string{`--spec: start item {"kind": "vul", "tipe": "cve"}: unknown field "tipe"`}},
		{[]string{"--spec", `{"kind": "vul", "type": "osv"}`}, []string{`--spec: start vul/osv: type "osv": want one of cve, sys, cms, app, emg`}},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			code, stdout, stderr := runStartWith(t, getenv, tt.args...)
			if code != ExitUsage || stdout != "" {
				t.Fatalf("exit %d, stdout %q, stderr %q; want 2 and nothing on stdout", code, stdout, stderr)
			}
			for _, want := range tt.want {
				if !strings.Contains(stderr, want) {
					t.Errorf("stderr %q lacks %q", stderr, want)
				}
			}
		})
	}
	if n := len(sim.Calls()); n != 0 {
		t.Errorf("%d calls made despite bad flags", n)
	}
}

func TestStartReportsAFailedStart(t *testing.T) {
	sim := sassim.New(sassim.Options{})
	sim.FailStarts(sassim.Fault{Code: "ServerError"})
	code, stdout, stderr := runStartWith(t, checkSimEnv(t, sim, nil), "--kind", "vul", "--type", "cve", "--lang", "en")
	if code != ExitFailed || stdout != "" {
		t.Fatalf("exit %d, stdout %q; want 1 and nothing", code, stdout)
	}
	for _, want := range []string{"ExportVul vul/cve (en): ServerError", "HTTP 500", "may have started"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr %q lacks %q", stderr, want)
		}
	}
	if strings.Count(stderr, "\n") != 1 {
		t.Errorf("stderr %q: want one line", stderr)
	}
	if n := len(sim.Calls()); n != 1 {
		t.Errorf("%d calls, want exactly 1: a start is not retried after a 5xx", n)
	}
}

func TestStartIsListed(t *testing.T) {
	var stdout bytes.Buffer
	Run(context.Background(), []string{"help"}, Env{Stdout: &stdout, Stderr: &bytes.Buffer{}, Getenv: func(string) string { return "" }})
	if !regexp.MustCompile(`(?m)^ +start +start one export`).MatchString(stdout.String()) {
		t.Errorf("help does not list start:\n%s", stdout.String())
	}
	stdout.Reset()
	if code := Run(context.Background(), []string{"start", "-h"}, Env{Stdout: &stdout, Stderr: &bytes.Buffer{}, Getenv: func(string) string { return "" }}); code != ExitOK {
		t.Errorf("start -h: exit %d", code)
	}
	for _, want := range []string{"-export-type", "assetInstance", "-levels", "-spec"} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("start -h lacks %q", want)
		}
	}
}
