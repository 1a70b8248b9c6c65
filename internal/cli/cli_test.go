package cli

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

func TestRunDispatch(t *testing.T) {
	tests := []struct {
		args     []string
		wantCode int
		wantErr  string
	}{
		{args: nil, wantCode: ExitUsage, wantErr: "usage: export-notifier <command>"},
		{args: []string{"help"}, wantCode: ExitOK, wantErr: "poll"},
		{args: []string{"pol"}, wantCode: ExitUsage, wantErr: `unknown command "pol"`},
		{args: []string{"poll", "--every", "-1m"}, wantCode: ExitUsage, wantErr: "negative"},
		{args: []string{"poll", "extra"}, wantCode: ExitUsage, wantErr: `unexpected argument "extra"`},
		{args: []string{"poll", "--ids", "vul:x"}, wantCode: ExitUsage, wantErr: `export "vul:x"`},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := Run(context.Background(), tt.args, Env{Stdout: &stdout, Stderr: &stderr, Getenv: func(string) string { return "" }})
			if code != tt.wantCode || !strings.Contains(stderr.String(), tt.wantErr) {
				t.Fatalf("exit %d, stderr %q; want exit %d and %q", code, stderr.String(), tt.wantCode, tt.wantErr)
			}
			if stdout.Len() != 0 {
				t.Fatalf("stdout should stay empty: %q", stdout.String())
			}
		})
	}
}
