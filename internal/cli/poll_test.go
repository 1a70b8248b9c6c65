package cli

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"
	"time"
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
