package cli

import (
	"bytes"
	"context"
	"net"
	"strings"
	"testing"
	"time"
)

func TestRunDispatch(t *testing.T) {
	tests := []struct {
		args     []string
		wantCode int
		wantErr  string
	}{
		{args: nil, wantCode: ExitUsage, wantErr: "usage: export-notifier <command>"},
		{args: []string{"pol"}, wantCode: ExitUsage, wantErr: `unknown command "pol"; did you mean "poll"?`},
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

func TestPollExitsOneWhenTheStateCannotBeReached(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens there now: connections are refused
	vars := map[string]string{
		"STATE_URL": "oss://export-state/prefix", "OSS_ENDPOINT": "http://" + addr, "OSS_REGION": "cn-shanghai",
		"ALIBABA_CLOUD_ACCESS_KEY_ID": "id", "ALIBABA_CLOUD_ACCESS_KEY_SECRET": "secret", "SAS_ENDPOINT": "http://" + addr,
	}
	var stdout, stderr bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	code := Run(ctx, []string{"poll"}, Env{Stdout: &stdout, Stderr: &stderr, Getenv: func(k string) string { return vars[k] }})
	if code != ExitFailed || !strings.Contains(stderr.String(), "STATE_URL") {
		t.Fatalf("exit %d, stderr %q; want exit 1 naming STATE_URL: an unreachable store is not bad configuration", code, stderr.String())
	}
}
