package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
)

func TestPreviewDigestRendersABatchInEverySink(t *testing.T) {
	var out, errOut bytes.Buffer
	code := Run(context.Background(), []string{"preview", "--event", "digest", "--count", "200", "--sinks", "slack,dingtalk,lark,wecom,teams,webhook", "--json"},
		Env{Stdout: &out, Stderr: &errOut, Getenv: func(string) string { return "" }})
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	var bodies map[string][]json.RawMessage
	if err := json.Unmarshal(out.Bytes(), &bodies); err != nil {
		t.Fatalf("not JSON: %v\n%.500s", err, out.String())
	}
	for _, sink := range []string{"slack", "dingtalk", "lark", "wecom", "teams", "webhook"} {
		if len(bodies[sink]) != 1 {
			t.Errorf("%s: %d messages, want the one digest", sink, len(bodies[sink]))
			continue
		}
		text := string(bodies[sink][0])
		if sink == "webhook" {
			if !strings.Contains(text, `"ready": 199`) {
				t.Errorf("webhook: no digest in %.300s", text)
			}
			continue
		}
		if !strings.Contains(text, "199 of 200 accounts ready, 1 failed") {
			t.Errorf("%s: no headline in %.300s", sink, text)
		}
		if !strings.Contains(text, "more") {
			t.Errorf("%s: 200 accounts do not fit a chat message, yet it says nothing of the rest", sink)
		}
	}
}

func TestPreviewCountIsForFailuresAndDigests(t *testing.T) {
	var out, errOut bytes.Buffer
	code := Run(context.Background(), []string{"preview", "--event", "completed", "--count", "3"}, Env{Stdout: &out, Stderr: &errOut, Getenv: func(string) string { return "" }})
	if code != ExitUsage || !strings.Contains(errOut.String(), "with --event failed or digest") {
		t.Fatalf("exit %d, stderr %q", code, errOut.String())
	}
}
