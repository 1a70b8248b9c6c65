package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/export-notifier/export-notifier/event"
	"github.com/export-notifier/export-notifier/internal/sassim"
)

// checkSimEnv serves a simulator and returns an environment that points at it.
func checkSimEnv(t *testing.T, sim *sassim.Simulator, extra map[string]string) func(string) string {
	t.Helper()
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	vars := map[string]string{
		"SAS_ENDPOINT":                    srv.URL,
		"ALIBABA_CLOUD_ACCESS_KEY_ID":     sassim.DemoAccessKeyID,
		"ALIBABA_CLOUD_ACCESS_KEY_SECRET": sassim.DemoAccessKeySecret,
		"STATE_URL":                       "file://" + t.TempDir(),
	}
	for k, v := range extra {
		vars[k] = v
	}
	return func(k string) string { return vars[k] }
}

func runCheckWith(t *testing.T, getenv func(string) string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = Run(context.Background(), append([]string{"check"}, args...), Env{Stdout: &out, Stderr: &errOut, Getenv: getenv})
	return code, out.String(), errOut.String()
}

func TestCheckPrintsTheStatus(t *testing.T) {
	sim := sassim.New(sassim.Options{})
	sim.Add(sassim.Export{Ref: event.Ref{Kind: event.Vul, ID: 52}, Steps: 1, FileName: "vul.xlsx", TotalCount: 9})
	getenv := checkSimEnv(t, sim, nil)
	code, stdout, stderr := runCheckWith(t, getenv, "--id", "52", "--kind", "vul")
	if code != ExitOK {
		t.Fatalf("exit %d, stderr %s", code, stderr)
	}
	var st event.Status
	if err := json.Unmarshal([]byte(stdout), &st); err != nil {
		t.Fatalf("stdout is not a status: %v\n%s", err, stdout)
	}
	if st.Kind != event.Vul || st.ID != 52 || st.State != event.Success || st.FileName != "vul.xlsx" || st.TotalCount != 9 || st.Link == "" || st.RequestID == "" {
		t.Errorf("status %+v", st)
	}
}

func TestCheckSendsTheMemberAccount(t *testing.T) {
	sim := sassim.New(sassim.Options{})
	getenv := checkSimEnv(t, sim, map[string]string{"RESOURCE_DIRECTORY_ACCOUNT_ID": "111"})
	for _, tt := range []struct {
		args    []string
		account int64
	}{
		{[]string{"--id", "1"}, 111},
		{[]string{"--id", "2", "--account", "222"}, 222},
		{[]string{"--id", "asset:3@333"}, 333},
	} {
		if code, _, stderr := runCheckWith(t, getenv, tt.args...); code != ExitOK {
			t.Fatalf("%v: exit %d, %s", tt.args, code, stderr)
		}
		calls := sim.Calls()
		if got := calls[len(calls)-1].Ref.Account; got != tt.account {
			t.Errorf("%v sent account %d, want %d", tt.args, got, tt.account)
		}
	}
}

func TestCheckReportsAPIErrors(t *testing.T) {
	sim := sassim.New(sassim.Options{})
	sim.Add(sassim.Export{Ref: event.Ref{Kind: event.Asset, ID: 7}, Fault: sassim.Fault{Code: "NoPermission"}})
	code, stdout, stderr := runCheckWith(t, checkSimEnv(t, sim, nil), "--id", "7")
	if code != ExitFailed || stdout != "" {
		t.Fatalf("exit %d, stdout %q; want 1 and nothing", code, stdout)
	}
	if !strings.Contains(stderr, "NoPermission") || !strings.Contains(stderr, "HTTP 403") || !strings.Contains(stderr, "asset:7") || strings.Count(stderr, "\n") != 1 {
		t.Errorf("stderr %q: want one line naming the export, the code and the status", stderr)
	}
}

func TestCheckRejectsTheWrongSecret(t *testing.T) {
	sim := sassim.New(sassim.Options{})
	code, _, stderr := runCheckWith(t, checkSimEnv(t, sim, map[string]string{"ALIBABA_CLOUD_ACCESS_KEY_SECRET": "wrong-secret"}), "--id", "7")
	if code != ExitFailed || !strings.Contains(stderr, "SignatureDoesNotMatch") || strings.Contains(stderr, "wrong-secret") {
		t.Fatalf("exit %d, stderr %q; want 1, SignatureDoesNotMatch and no secret", code, stderr)
	}
}

func TestCheckBadFlagsAndConfig(t *testing.T) {
	sim := sassim.New(sassim.Options{})
	tests := []struct {
		name  string
		extra map[string]string
		args  []string
		want  string
	}{
		{"no id", nil, nil, "--id is required"},
		{"not a number", nil, []string{"--id", "abc"}, `"abc"`},
		{"negative id", nil, []string{"--id", "-4"}, "-4"},
		{"unknown kind", nil, []string{"--id", "1", "--kind", "vulnerability"}, `"vulnerability"`},
		{"contradicting kinds", nil, []string{"--id", "hc:1", "--kind", "vul"}, `--kind "vul" contradicts --id "hc:1"`},
		{"account on vul", nil, []string{"--id", "1", "--kind", "vul", "--account", "5"}, "only asset exports take a resource directory account"},
		{"unknown flag", nil, []string{"--id", "1", "--colour", "red"}, "colour"},
		{"stray argument", nil, []string{"--id", "1", "extra"}, `"extra"`},
		{"bad timeout", nil, []string{"--id", "1", "--timeout", "-1s"}, "--timeout -1s"},
		{"bad region", map[string]string{"SAS_REGION": "moon-1", "SAS_ENDPOINT": ""}, []string{"--id", "1"}, `SAS_REGION "moon-1"`},
		{"plain http remote endpoint", map[string]string{"SAS_ENDPOINT": "http://example.com"}, []string{"--id", "1"}, `SAS_ENDPOINT "http://example.com"`},
		{"bad account variable", map[string]string{"RESOURCE_DIRECTORY_ACCOUNT_ID": "x1"}, []string{"--id", "1"}, `RESOURCE_DIRECTORY_ACCOUNT_ID "x1"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := runCheckWith(t, checkSimEnv(t, sim, tt.extra), tt.args...)
			if code != ExitUsage || stdout != "" {
				t.Fatalf("exit %d, stdout %q; want 2 and nothing", code, stdout)
			}
			if !strings.Contains(stderr, tt.want) {
				t.Errorf("stderr %q does not contain %q", stderr, tt.want)
			}
		})
	}
	if n := len(sim.Calls()); n != 0 {
		t.Errorf("%d calls made despite bad flags", n)
	}
}

// simulateOutput is a buffer written by the simulator's goroutines and read by
// the test.
type simulateOutput struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *simulateOutput) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *simulateOutput) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func TestSimulateServesUntilCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stderr simulateOutput
	done := make(chan int, 1)
	go func() {
		done <- Run(ctx, []string{"simulate", "--addr", "127.0.0.1:0", "--steps", "1"}, Env{Stdout: &bytes.Buffer{}, Stderr: &stderr, Getenv: func(string) string { return "" }})
	}()
	var endpoint string
	for deadline := time.Now().Add(10 * time.Second); endpoint == "" && time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		for line := range strings.SplitSeq(stderr.String(), "\n") {
			if v, ok := strings.CutPrefix(strings.TrimSpace(line), "export SAS_ENDPOINT="); ok {
				endpoint = v
			}
		}
	}
	if endpoint == "" {
		t.Fatalf("no SAS_ENDPOINT printed: %s", stderr.String())
	}
	for _, want := range []string{"ALIBABA_CLOUD_ACCESS_KEY_ID=" + sassim.DemoAccessKeyID, "ALIBABA_CLOUD_ACCESS_KEY_SECRET=" + sassim.DemoAccessKeySecret} {
		if !strings.Contains(stderr.String(), want) {
			t.Errorf("stderr lacks %q", want)
		}
	}

	vars := map[string]string{"SAS_ENDPOINT": endpoint, "ALIBABA_CLOUD_ACCESS_KEY_ID": sassim.DemoAccessKeyID, "ALIBABA_CLOUD_ACCESS_KEY_SECRET": sassim.DemoAccessKeySecret}
	code, stdout, errOut := runCheckWith(t, func(k string) string { return vars[k] }, "--id", "131231")
	if code != ExitOK || !strings.Contains(stdout, `"status": "success"`) {
		t.Fatalf("check against simulate: exit %d, %s %s", code, stdout, errOut)
	}
	if !strings.Contains(stderr.String(), "DescribeExportInfo asset:131231") {
		t.Errorf("the call was not logged: %s", stderr.String())
	}

	cancel()
	select {
	case code := <-done:
		if code != ExitOK {
			t.Fatalf("simulate exited %d: %s", code, stderr.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("simulate did not stop when cancelled")
	}
}

func TestSimulateBadFlags(t *testing.T) {
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"--scenario", "/nonexistent/scenario.json"}, "/nonexistent/scenario.json"},
		{[]string{"--steps", "-1"}, "--steps -1"},
		{[]string{"--addr", "not-an-address"}, `--addr "not-an-address"`},
	} {
		var stderr bytes.Buffer
		code := Run(context.Background(), append([]string{"simulate"}, tt.args...), Env{Stdout: &bytes.Buffer{}, Stderr: &stderr, Getenv: func(string) string { return "" }})
		if code != ExitUsage || !strings.Contains(stderr.String(), tt.want) {
			t.Errorf("simulate %v: exit %d, %q; want 2 naming %q", tt.args, code, stderr.String(), tt.want)
		}
	}
}
