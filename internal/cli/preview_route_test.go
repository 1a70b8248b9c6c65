package cli

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// TestPreviewShowsWhichSinksAnEventReaches: preview names the sinks an
// event of a given type, kind and account reaches, and the route that
// keeps it from the others; a bad route or flag is a usage error.
func TestPreviewShowsWhichSinksAnEventReaches(t *testing.T) {
	env := map[string]string{
		"WEBHOOK_URL":       "https://hooks.example.com/x",
		"WEBHOOK_ROUTE":     "type=failed,stalled",
		"SLACK_WEBHOOK_URL": "https://hooks.slack.com/services/T0/B0/x",
		"SLACK_ROUTE":       "kind=vul;account=own",
	}
	tests := []struct {
		args []string
		env  map[string]string
		code int
		want string
	}{
		{[]string{"--event", "failed", "--kind", "vul", "--account", "own"}, env, ExitOK,
			"A failed event about vul:131232 reaches: slack, webhook:hooks.example.com#"},
		{[]string{"--event", "completed", "--kind", "vul"}, env, ExitOK,
			"A completed event about vul:131231 reaches: slack; not webhook:hooks.example.com#"},
		{[]string{"--event", "failed", "--account", "16670360956"}, env, ExitOK,
			"A failed event about asset:131232@16670360956 reaches: webhook:hooks.example.com#"},
		{[]string{"--event", "completed", "--kind", "asset"}, env, ExitOK,
			"reaches: no sink (it would be recorded and sent nowhere); not slack (SLACK_ROUTE=kind=vul;account=own)"},
		{[]string{"--event", "completed"}, nil, ExitOK, "A completed event about hc:131231 reaches: console"},
		{[]string{"--event", "completed", "--kind", "asset"}, map[string]string{"PAGERDUTY_ROUTING_KEY": "k", "PAGERDUTY_ROUTE": "type=failed", "SLACK_WEBHOOK_URL": "https://hooks.slack.com/services/T0/B0/x", "SLACK_ROUTE": "type=failed"}, ExitOK,
			"A completed event about asset:131231 reaches: pagerduty; not slack (SLACK_ROUTE=type=failed)"},
		{[]string{"--event", "started"}, map[string]string{"PAGERDUTY_ROUTING_KEY": "k"}, ExitOK,
			"A started event about asset:131240 reaches: no sink (it would be recorded and sent nowhere); not pagerduty (it sends nothing about such events)"},
		{[]string{"--kind", "vul", "--account", "42"}, nil, ExitUsage, "--account: only asset exports belong to a member account"},
		{[]string{"--account", "me"}, nil, ExitUsage, `--account: "me" is neither a member account ID nor own`},
		{nil, map[string]string{"LARK_ROUTE": "kind=vul;type=done"}, ExitUsage, `LARK_ROUTE: term 2 "type=done": unknown event type "done"`},
	}
	for _, tt := range tests {
		var stdout, stderr bytes.Buffer
		code := Run(context.Background(), append([]string{"preview", "--sinks", "webhook"}, tt.args...), Env{
			Stdout: &stdout, Stderr: &stderr, Getenv: func(k string) string { return tt.env[k] },
		})
		if code != tt.code || !strings.Contains(stdout.String()+stderr.String(), tt.want) {
			t.Errorf("preview %v: exit %d, want %d and %q in\n%s%s", tt.args, code, tt.code, tt.want, stdout.String(), stderr.String())
		}
	}
}
