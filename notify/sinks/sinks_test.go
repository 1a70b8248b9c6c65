package sinks

import (
	"bytes"
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/export-notifier/export-notifier/event"
	"github.com/export-notifier/export-notifier/notify"
	"github.com/export-notifier/export-notifier/notify/internal/notifytest"
	"github.com/export-notifier/export-notifier/setting"
)

func TestConsoleIsTheDefaultSink(t *testing.T) {
	var out bytes.Buffer
	sinks, err := FromEnv(notifytest.MapEnv(nil), &out)
	if err != nil {
		t.Fatal(err)
	}
	if len(sinks) != 1 || sinks[0].Name() != "console" {
		t.Fatalf("sinks %v, want the console alone", sinks)
	}
	failed := notify.SampleEvent(event.Failed)
	failed.Error.Message = "line one\nline two"
	events := []event.Event{notify.SampleEvent(event.Completed), failed, notify.SampleEvent(event.Stalled)}

	outcomes := notify.Deliver(context.Background(), sinks[0], events)

	if len(outcomes) != 3 {
		t.Fatalf("%d outcomes, want 3", len(outcomes))
	}
	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	if len(lines) != 3 {
		t.Fatalf("wrote %d lines, want one per event:\n%s", len(lines), out.String())
	}
	wants := [][]string{
		{"Export ready", "hc:131231", "health_check_export_20171123", "1,234 rows", "https://sas-export-cn-shanghai"},
		{"Export check failed", "asset:131232@16670360956", "NoPermission", "HTTP 403", "line one line two", "yundun-sas:DescribeExportInfo"},
		{"Export stalled", "hc:131231", "exporting at 40% (400 of 1,234 rows)"},
	}
	for i, want := range wants {
		for _, w := range want {
			if !strings.Contains(lines[i], w) {
				t.Errorf("line %d %q lacks %q", i, lines[i], w)
			}
		}
	}
}

// FuzzSettingsFromEnv feeds arbitrary values to the variables that carry
// secrets: parsing never panics, an accepted configuration builds its
// sinks, and an error is one line that never repeats a secret part.
func FuzzRead(f *testing.F) {
	f.Add("https://hooks.slack.com/services/T/B/SECRETPART", "https://a.example.com/x?k=SECRETPART", "Authorization=Bearer SECRETPART", testSecret)
	f.Add("http://example.com/SECRETPART", "http://127.0.0.1:1/SECRETPART,ftp://x/SECRETPART", "X=1;;Y", "whsec_SECRETPART")
	f.Add("https://[::1]:99999/SECRETPART", "https://%zz/SECRETPART", "=SECRETPART", "")
	f.Fuzz(func(t *testing.T, slackURL, webhookURLs, headers, secret string) {
		s, err := Read(notifytest.MapEnv(map[string]string{
			"SLACK_WEBHOOK_URL": slackURL,
			"WEBHOOK_URL":       webhookURLs,
			"WEBHOOK_HEADERS":   headers,
			"WEBHOOK_SECRET":    secret,
		}))
		if err == nil {
			if len(s.Notifiers(nil)) == 0 {
				t.Fatal("an accepted configuration built no sink")
			}
			return
		}
		msg := err.Error()
		if strings.ContainsAny(msg, "\r\n") {
			t.Errorf("error spans lines: %q", msg)
		}
		if strings.Contains(msg, "SECRETPART") {
			t.Errorf("error shows a secret part: %q", msg)
		}
	})
}

// FuzzBotSettings feeds arbitrary values to the chat bots' variables: an
// accepted configuration builds its sinks, and an error is one line that
// never repeats a secret part.
func FuzzBotSettings(f *testing.F) {
	f.Add("https://oapi.dingtalk.com/robot/send?access_token=SECRETPART", "SECSECRETPART", "https://open.feishu.cn/open-apis/bot/v2/hook/SECRETPART", "SECRETPART")
	f.Add("http://oapi.dingtalk.com/robot/send?access_token=SECRETPART", "SEC SECRETPART", "http://127.0.0.1:1/", "SECRETPART\n")
	f.Add("https://oapi.dingtalk.com/robot/send?x=SECRETPART", "", "", "https://open.feishu.cn/SECRETPART")
	f.Add("", "SECRETPART", "https://%zz/SECRETPART", "")
	f.Fuzz(func(t *testing.T, dingURL, dingSecret, larkURL, larkSecret string) {
		s, err := Read(notifytest.MapEnv(map[string]string{
			"DINGTALK_WEBHOOK_URL": dingURL,
			"DINGTALK_SECRET":      dingSecret,
			"LARK_WEBHOOK_URL":     larkURL,
			"LARK_SECRET":          larkSecret,
		}))
		if err == nil {
			if len(s.Notifiers(nil)) == 0 {
				t.Fatal("an accepted configuration built no sink")
			}
			return
		}
		msg := err.Error()
		if strings.ContainsAny(msg, "\r\n") {
			t.Errorf("error spans lines: %q", msg)
		}
		if strings.Contains(msg, "SECRETPART") {
			t.Errorf("error shows a secret part: %q", msg)
		}
	})
}

// testSecret is a Standard Webhooks secret of the docs' sample shape.
const testSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

// The chat bots' credentials, as their own tests spell them.
const (
	dingTalkToken  = "0123456789abcdefTOKENdingtalk"
	dingTalkSecret = "SEC0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcd"
	larkHookID     = "0a1b2c3d-4e5f-HOOKID-lark"
	larkSecret     = "LarkSigningSecretXyZ123"
)

// fastRetrier keeps the backoff short so tests do not sleep for long.
func fastRetrier() notify.Retrier {
	return notify.Retrier{MaxAttempts: 4, Backoff: 5 * time.Millisecond, MaxBackoff: 20 * time.Millisecond, AttemptTimeout: 5 * time.Second}
}

// TestEveryKindPreviews renders a sample of every event type through every
// kind in the list, as preview does: each gives at least one message, and
// each message is JSON.
func TestEveryKindPreviews(t *testing.T) {
	s, err := Read(notifytest.MapEnv(nil))
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range Kinds() {
		for name, events := range notifytest.GoldenCases() {
			rendered, err := s.Preview(k.Name, events)
			if err != nil || len(rendered) == 0 {
				t.Errorf("%s, %s: %d messages, err %v", k.Name, name, len(rendered), err)
			}
			for _, r := range rendered {
				if !json.Valid(r.Body) || r.Title == "" {
					t.Errorf("%s, %s: title %q, body %s", k.Name, name, r.Title, r.Body)
				}
			}
		}
	}
	if _, err := s.Preview("discord", nil); err == nil || !strings.Contains(err.Error(), `unknown sink "discord"`) {
		t.Errorf("preview of an unknown sink: err = %v", err)
	}
}

// TestFailureMessageOfAnExportNeverRead: when no status of an export was
// ever received, the messages that show its status say it was never read,
// instead of "pending at 0% (0 of 0 rows)".
func TestFailureMessageOfAnExportNeverRead(t *testing.T) {
	ev := notify.SampleEvent(event.Failed)
	ev.Status = event.Status{Ref: ev.Status.Ref}
	s, err := Read(notifytest.MapEnv(nil))
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"slack", "dingtalk", "lark"} {
		rendered, err := s.Preview(name, []event.Event{ev})
		if err != nil {
			t.Fatal(err)
		}
		body := string(rendered[0].Body)
		if !strings.Contains(body, "never read") || strings.Contains(body, "pending") || strings.Contains(body, "0 of 0") {
			t.Errorf("%s: the failure message of an export never read:\n%s", name, body)
		}
	}
}

// TestVariablesNameEverySetting: every kind's variables are listed once,
// then INCLUDE_LINK and a route for every kind and the console;
// credentials are marked secret.
func TestVariablesNameEverySetting(t *testing.T) {
	vars := Variables()
	seen := map[string]bool{}
	for _, v := range vars {
		if seen[v.Name] || v.Meaning == "" {
			t.Errorf("variable %q listed twice or without a meaning", v.Name)
		}
		seen[v.Name] = true
	}
	for _, name := range []string{"SLACK_WEBHOOK_URL", "SLACK_BOT_TOKEN", "WEBHOOK_URL", "WEBHOOK_SECRET", "WEBHOOK_HEADERS", "DINGTALK_WEBHOOK_URL", "DINGTALK_SECRET", "LARK_WEBHOOK_URL", "LARK_SECRET"} {
		if !seen[name] || !slices.ContainsFunc(vars, func(v setting.Var) bool { return v.Name == name && v.Secret }) {
			t.Errorf("%s is not listed as a secret", name)
		}
	}
	if !seen["INCLUDE_LINK"] || !seen["CONSOLE_ROUTE"] {
		t.Error("INCLUDE_LINK or CONSOLE_ROUTE is not listed")
	}
	for _, name := range Names() {
		if !seen[RouteVariable(name)] {
			t.Errorf("%s has no route variable", name)
		}
	}
}
