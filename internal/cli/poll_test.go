package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/export-notifier/export-notifier/event"
	"github.com/export-notifier/export-notifier/internal/sassim"
)

// withoutAmbientCredentials keeps credentials-go's default chain from
// finding any on this machine: no variables, no profile, no ECS role.
func withoutAmbientCredentials(t *testing.T) {
	t.Setenv("HOME", t.TempDir())
	t.Setenv("ALIBABA_CLOUD_ECS_METADATA_DISABLED", "true")
	for _, name := range []string{
		"ALIBABA_CLOUD_ACCESS_KEY_ID", "ALIBABA_CLOUD_ACCESS_KEY_SECRET", "ALIBABA_CLOUD_SECURITY_TOKEN",
		"ALIBABA_CLOUD_PROFILE", "ALIBABA_CLOUD_CREDENTIALS_FILE", "ALIBABA_CLOUD_ROLE_ARN",
		"ALIBABA_CLOUD_OIDC_PROVIDER_ARN", "ALIBABA_CLOUD_OIDC_TOKEN_FILE", "ALIBABA_CLOUD_CREDENTIALS_URI",
	} {
		t.Setenv(name, "")
	}
}

func TestPollWithoutCredentials(t *testing.T) {
	withoutAmbientCredentials(t)
	tests := []struct {
		name       string
		exportIDs  string
		wantCode   int
		wantStderr string
	}{
		{"exports to check", "131231,vul:52", ExitUsage, "ALIBABA_CLOUD_ACCESS_KEY_ID"},
		{"nothing to watch", "", ExitOK, "EXPORT_IDS"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stateDir := t.TempDir()
			vars := map[string]string{
				"STATE_URL": "file://" + stateDir, "EXPORT_IDS": tt.exportIDs,
				"SAS_ENDPOINT": "http://127.0.0.1:1", "POLL_TIMEOUT": "10s",
			}
			var stdout, stderr bytes.Buffer
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			code := Run(ctx, []string{"poll"}, Env{Stdout: &stdout, Stderr: &stderr, Getenv: func(k string) string { return vars[k] }})
			lines := strings.Split(strings.TrimSpace(stderr.String()), "\n")
			if code != tt.wantCode || len(lines) != 1 || !strings.Contains(lines[0], tt.wantStderr) {
				t.Fatalf("exit %d, stderr %q; want exit %d and one line naming %s", code, stderr.String(), tt.wantCode, tt.wantStderr)
			}
			if code != ExitOK {
				if stdout.Len() != 0 {
					t.Errorf("stdout %q, want nothing", stdout.String())
				}
				if entries, _ := os.ReadDir(stateDir); len(entries) != 0 {
					t.Errorf("the state holds %d files, want nothing recorded", len(entries))
				}
			}
		})
	}
}

// TestPollReadsIDsFromAFile polls the exports a file names, and refuses a
// file with a bad line in one line naming the file and the line.
func TestPollReadsIDsFromAFile(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "ids.txt")
	bad := filepath.Join(dir, "bad.txt")
	if err := os.WriteFile(good, []byte("vul:52\n131231, 7\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bad, []byte("vul:52\n\n131231 vul:x\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	sim := sassim.New(sassim.Options{})
	for _, id := range []int64{131231, 7} {
		sim.Add(sassim.Export{Ref: event.Ref{Kind: event.Asset, ID: id}, Steps: 1})
	}
	sim.Add(sassim.Export{Ref: event.Ref{Kind: event.Vul, ID: 52}, Steps: 1})
	tests := []struct {
		name       string
		args       []string
		wantCode   int
		wantStdout string
		wantStderr string
	}{
		{name: "good file", args: []string{"--dry-run", "--ids", "@" + good}, wantCode: ExitOK, wantStdout: `"watched":3`},
		{name: "bad line", args: []string{"--ids", "@" + bad}, wantCode: ExitUsage, wantStderr: `--ids: "` + bad + `" line 3: export "vul:x"`},
		{name: "missing file", args: []string{"--ids", "@" + filepath.Join(dir, "none.txt")}, wantCode: ExitUsage, wantStderr: "none.txt: no such file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			env := Env{Stdout: &stdout, Stderr: &stderr, Getenv: checkSimEnv(t, sim, map[string]string{"SLACK_WEBHOOK_URL": ""})}
			code := Run(context.Background(), append([]string{"poll"}, tt.args...), env)
			if code != tt.wantCode || !strings.Contains(stdout.String(), tt.wantStdout) || !strings.Contains(stderr.String(), tt.wantStderr) {
				t.Fatalf("exit %d, stdout %q, stderr %q; want exit %d, %q, %q", code, stdout.String(), stderr.String(), tt.wantCode, tt.wantStdout, tt.wantStderr)
			}
			if code == ExitUsage && strings.Count(stderr.String(), "\n") != 1 {
				t.Errorf("stderr %q: want one line", stderr.String())
			}
		})
	}
}
