package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
)

func TestPreview(t *testing.T) {
	tests := []struct {
		name     string
		args     []string
		env      map[string]string
		wantCode int
		want     []string // substrings of stdout, or of stderr when the code is not 0
	}{
		{name: "completed", args: []string{"--event", "completed"}, want: []string{"Export ready: health_check_export_20171123", "application/cloudevents+json", "export-notifier.export.completed", "block-kit-builder/#"}},
		{name: "grouped failures", args: []string{"--event", "failed", "--count", "3"}, want: []string{"3 export checks failed: NoPermission", "export-notifier.export.failed"}},
		{name: "stalled", args: []string{"--event", "stalled"}, want: []string{"export-notifier.export.stalled"}},
		{name: "no link", args: []string{"--event", "completed"}, env: map[string]string{"INCLUDE_LINK": "false"}, want: []string{"Export ready"}},
		{name: "chat bots", args: []string{"--event", "completed", "--sinks", "dingtalk,lark"}, want: []string{"DingTalk message", `"msgtype": "markdown"`, "Lark/Feishu message", `"msg_type": "interactive"`}},
		{name: "unknown sink", args: []string{"--sinks", "slack,discord"}, wantCode: ExitUsage, want: []string{`unknown sink "discord"`}},
		{name: "unknown event", args: []string{"--event", "bogus"}, wantCode: ExitUsage, want: []string{"bogus"}},
		{name: "broken template", args: []string{"--event", "completed"}, env: map[string]string{"WEBHOOK_TEMPLATE": "{{.Nope}}"}, wantCode: ExitUsage, want: []string{"WEBHOOK_TEMPLATE"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := Run(context.Background(), append([]string{"preview"}, tt.args...), Env{
				Stdout: &stdout, Stderr: &stderr, Getenv: func(k string) string { return tt.env[k] },
			})
			if code != tt.wantCode {
				t.Fatalf("exit %d, want %d; stderr: %s", code, tt.wantCode, stderr.String())
			}
			out := stdout.String()
			if code != ExitOK {
				out = stderr.String()
			}
			for _, w := range tt.want {
				if !strings.Contains(out, w) {
					t.Errorf("output lacks %q:\n%s", w, out)
				}
			}
			if tt.env["INCLUDE_LINK"] == "false" && strings.Contains(stdout.String(), "Download") {
				t.Errorf("INCLUDE_LINK=false, but the preview has a Download button")
			}
		})
	}
}

// TestPreviewJSON: with --json, stdout is one JSON document alone, so that
// it can be piped; each sink named maps to its message bodies.
func TestPreviewJSON(t *testing.T) {
	tests := []struct {
		name string
		args []string
		env  map[string]string
		want map[string]int // sink to its number of messages
	}{
		{name: "completed", args: []string{"--event", "completed", "--json"}, want: map[string]int{"slack": 1, "webhook": 1}},
		{name: "every sink", args: []string{"--event", "failed", "--count", "2", "--json", "--sinks", "slack,webhook,dingtalk,lark"}, want: map[string]int{"slack": 1, "webhook": 2, "dingtalk": 1, "lark": 1}},
		{name: "template that is not JSON", args: []string{"--json", "--sinks", "webhook"}, env: map[string]string{"WEBHOOK_TEMPLATE": "{{.Summary}}"}, want: map[string]int{"webhook": 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := Run(context.Background(), append([]string{"preview"}, tt.args...), Env{
				Stdout: &stdout, Stderr: &stderr, Getenv: func(k string) string { return tt.env[k] },
			})
			if code != ExitOK {
				t.Fatalf("exit %d; stderr: %s", code, stderr.String())
			}
			var got map[string][]json.RawMessage
			if err := json.Unmarshal(stdout.Bytes(), &got); err != nil {
				t.Fatalf("stdout is not one JSON document: %v\n%s", err, stdout.String())
			}
			for sink, n := range tt.want {
				if len(got[sink]) != n {
					t.Errorf("%s: %d messages, want %d", sink, len(got[sink]), n)
				}
			}
			if len(got) != len(tt.want) {
				t.Errorf("sinks %v, want %v", got, tt.want)
			}
		})
	}
}
