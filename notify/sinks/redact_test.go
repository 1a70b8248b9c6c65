package sinks

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/export-notifier/export-notifier/event"
	"github.com/export-notifier/export-notifier/notify"
	"github.com/export-notifier/export-notifier/notify/internal/notifytest"
	"github.com/export-notifier/export-notifier/notify/slack"
	"github.com/export-notifier/export-notifier/notify/webhook"
)

// The secrets of the redaction tests; none may appear in an error or a log.
const (
	secretPath    = "T0AAAA/B0BBBB/PATHSECRETxyz"
	secretQuery   = "QUERYSECRETxyz"
	secretToken   = "xoxb-1111-2222-TOKENSECRETxyz"
	secretHeader  = "HEADERSECRETxyz"
	secretRouting = "ROUTINGKEYSECRETxyz0123456789abc"
	weComKey      = "WECOMKEYSECRETxyz-0ec2sifa5aaa"
)

func allSecrets() []string {
	return []string{secretPath, "PATHSECRET", secretQuery, secretToken, "TOKENSECRET", secretHeader, testSecret, strings.TrimPrefix(testSecret, "whsec_"),
		dingTalkToken, dingTalkSecret, larkHookID, larkSecret, secretRouting, weComKey}
}

// echo is a sink endpoint that answers every request with an error whose
// text repeats what it was sent: the URL, the headers, the token, the
// body. It notes the chat bots' signatures, which are secret too.
func echo(t *testing.T, status int, signatures *signatureLog) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		var signed struct{ Sign string }
		_ = json.Unmarshal(body, &signed)
		signatures.add(r.URL.Query().Get("sign"), signed.Sign)
		said := r.URL.String() + " " + r.Header.Get("Authorization") + " " + r.Header.Get("X-Api-Key") + " " + string(body)
		quoted := strings.ReplaceAll(said, `"`, `'`)
		if status == http.StatusOK {
			w.Header().Set("Content-Type", "application/json")
			switch {
			case strings.HasSuffix(r.URL.Path, "/chat.postMessage"):
				_, _ = io.WriteString(w, `{"ok":false,"error":"invalid_auth for `+quoted+`"}`)
			case strings.HasSuffix(r.URL.Path, "/cgi-bin/webhook/send"):
				_, _ = io.WriteString(w, `{"errcode":93000,"errmsg":"invalid webhook url, sign: `+quoted+`"}`)
			case strings.HasSuffix(r.URL.Path, "/robot/send"):
				_, _ = io.WriteString(w, `{"errcode":310000,"errmsg":"sign not match for `+quoted+`"}`)
			default:
				_, _ = io.WriteString(w, `{"code":19021,"msg":"sign match fail for `+quoted+`"}`)
			}
			return
		}
		w.WriteHeader(status)
		_, _ = io.WriteString(w, said)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// signatureLog holds the signatures an endpoint received.
type signatureLog struct {
	mu   sync.Mutex
	sigs []string
}

func (l *signatureLog) add(sigs ...string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, s := range sigs {
		if s != "" {
			l.sigs = append(l.sigs, s, url.QueryEscape(s))
		}
	}
}

func (l *signatureLog) all() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.sigs...)
}

// closedURL is a loopback URL nothing listens on, for transport errors.
func closedURL(t *testing.T) string {
	srv := httptest.NewServer(http.NotFoundHandler())
	u := srv.URL
	srv.Close()
	return u
}

// redactionCases configure each kind of sink to post to base, with every
// secret it can hold.
func redactionCases(base string) map[string]map[string]map[string]string {
	secretURL := base + "/" + secretPath + "?sig=" + secretQuery
	return map[string]map[string]map[string]string{
		"slack": {
			"slack webhook": {"SLACK_WEBHOOK_URL": secretURL},
			"slack bot":     {"SLACK_BOT_TOKEN": secretToken, "SLACK_CHANNEL": "C0EXPORTS", "SLACK_API_URL": base + "/api/"},
		},
		"dingtalk": {"dingtalk": {"DINGTALK_WEBHOOK_URL": base + "/robot/send?access_token=" + dingTalkToken, "DINGTALK_SECRET": dingTalkSecret}},
		"lark":     {"lark": {"LARK_WEBHOOK_URL": base + "/open-apis/bot/v2/hook/" + larkHookID, "LARK_SECRET": larkSecret}},
		"wecom":    {"wecom": {"WECOM_WEBHOOK_URL": base + "/cgi-bin/webhook/send?key=" + weComKey}},
		"teams":    {"teams": {"TEAMS_WEBHOOK_URL": base + "/workflows/" + secretPath + "/triggers/manual/paths/invoke?api-version=1&sig=" + secretQuery}},
		"pagerduty": {"pagerduty": {
			"PAGERDUTY_ROUTING_KEY": secretRouting,
			"PAGERDUTY_EVENTS_URL":  secretURL,
			"WEBHOOK_SECRET":        testSecret,
		}},
		"webhook": {"webhook": {
			"WEBHOOK_URL":     secretURL,
			"WEBHOOK_SECRET":  testSecret,
			"WEBHOOK_HEADERS": "Authorization=Bearer " + secretHeader + ";X-Api-Key=" + secretHeader,
		}},
	}
}

// TestNoSecretInErrorsOrLogs drives every kind of sink in Kinds to an
// endpoint that is refused or echoes what it was sent, and checks that no
// secret reaches an error or a log line.
func TestNoSecretInErrorsOrLogs(t *testing.T) {
	for _, k := range Kinds() {
		if _, ok := redactionCases("")[k.Name]; !ok {
			t.Errorf("sink %q has no redaction case", k.Name)
		}
	}
	for _, k := range Kinds() {
		for kind := range redactionCases("")[k.Name] {
			for endpoint, status := range map[string]int{"refused": 0, "echoes 400": 400, "echoes 500": 500, "echoes 200": 200} {
				t.Run(kind+"/"+endpoint, func(t *testing.T) {
					if endpoint == "echoes 200" && (kind == "slack webhook" || kind == "webhook" || kind == "pagerduty" || kind == "teams") {
						t.Skip("a 2xx is success for this sink")
					}
					signatures := &signatureLog{}
					base := closedURL(t)
					if status != 0 {
						base = echo(t, status, signatures)
					}
					sinks, err := FromEnv(notifytest.MapEnv(redactionCases(base)[k.Name][kind]), nil)
					if err != nil {
						t.Fatal(err)
					}
					var logs bytes.Buffer
					r := fastRetrier()
					r.MaxAttempts = 2
					r.Logger = slog.New(slog.NewJSONHandler(&logs, nil))

					out := r.Deliver(context.Background(), sinks[0], []event.Event{notify.SampleEvent(event.Failed)})

					var e *notify.Error
					if !errors.As(out[0].Err, &e) {
						t.Fatalf("err = %#v, want *Error", out[0].Err)
					}
					seen := out[0].Err.Error() + "\n" + e.Text + "\n" + logs.String() + "\n" + sinks[0].Name()
					if logs.Len() == 0 {
						t.Fatal("nothing was logged")
					}
					if kind == "dingtalk" || kind == "lark" || kind == "wecom" {
						if status != 0 && len(signatures.all()) == 0 && kind != "wecom" {
							t.Fatal("the bot sink sent no signature")
						}
						if status == 200 && !strings.Contains(e.Text, "sign") {
							t.Errorf("the bot's own text is lost: %q", e.Text)
						}
					}
					for _, s := range append(allSecrets(), signatures.all()...) {
						if strings.Contains(seen, s) {
							t.Errorf("secret %q leaked:\n%s", s, seen)
						}
					}
					if endpoint == "refused" && !strings.Contains(seen, "127.0.0.1") {
						t.Errorf("the error no longer says which host failed:\n%s", seen)
					}
				})
			}
		}
	}
}

func TestNoSecretInSettingsErrors(t *testing.T) {
	cases := []struct {
		name string
		env  map[string]string
		want string
	}{
		{"plain http slack webhook", map[string]string{"SLACK_WEBHOOK_URL": "http://hooks.slack.com/services/" + secretPath}, "SLACK_WEBHOOK_URL: http://hooks.slack.com/…: plain http"},
		{"plain http webhook", map[string]string{"WEBHOOK_URL": "https://a.example.com/x, http://b.example.com/" + secretPath + "?k=" + secretQuery}, "WEBHOOK_URL (item 2): http://b.example.com/…"},
		{"ftp webhook", map[string]string{"WEBHOOK_URL": "ftp://b.example.com/" + secretPath}, "WEBHOOK_URL (item 1): ftp://b.example.com/…: want an https URL"},
		{"relative webhook", map[string]string{"WEBHOOK_URL": secretPath}, "WEBHOOK_URL (item 1): [redacted URL] is not an absolute URL"},
		{"bad url", map[string]string{"WEBHOOK_URL": "https://h.example.com/%zz" + secretPath}, "WEBHOOK_URL (item 1): [redacted URL]"},
		{"bad secret", map[string]string{"WEBHOOK_SECRET": "whsec_" + secretHeader + "!!"}, "WEBHOOK_SECRET: not base64"},
		{"short secret", map[string]string{"WEBHOOK_SECRET": "whsec_c2hvcnQ="}, "WEBHOOK_SECRET: the key is 5 bytes"},
		{"header without =", map[string]string{"WEBHOOK_HEADERS": "Authorization: Bearer " + secretHeader}, "WEBHOOK_HEADERS: item 1: want Name=value"},
		{"header with a line break", map[string]string{"WEBHOOK_HEADERS": "X-Key=" + secretHeader + "\nEvil: 1"}, "WEBHOOK_HEADERS: header X-Key: the value holds a line break"},
		{"signature header", map[string]string{"WEBHOOK_HEADERS": "webhook-signature=" + secretHeader}, "WEBHOOK_HEADERS: header webhook-signature: set by export-notifier itself"},
		{"token without channel", map[string]string{"SLACK_BOT_TOKEN": secretToken}, "SLACK_CHANNEL: required with SLACK_BOT_TOKEN"},
		{"channel without token", map[string]string{"SLACK_CHANNEL": "C1"}, "SLACK_BOT_TOKEN: required with SLACK_CHANNEL"},
		{"plain http api", map[string]string{"SLACK_BOT_TOKEN": secretToken, "SLACK_CHANNEL": "C1", "SLACK_API_URL": "http://slack.example.com/api/"}, "SLACK_API_URL: http://slack.example.com/…: plain http"},
		{"include link", map[string]string{"INCLUDE_LINK": "sometimes"}, `INCLUDE_LINK: want true or false, got "sometimes"`},
		{"bad route", map[string]string{"SLACK_ROUTE": "type=failed;kind=vull"}, `SLACK_ROUTE: term 2 "kind=vull": unknown export kind "vull"`},
		{"teams without sig", map[string]string{"TEAMS_WEBHOOK_URL": "https://prod.logic.azure.com/workflows/" + secretPath + "?sp=" + secretQuery}, "TEAMS_WEBHOOK_URL: https://prod.logic.azure.com/… has no sig"},
		{"wecom without key", map[string]string{"WECOM_WEBHOOK_URL": "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?k=" + weComKey}, "WECOM_WEBHOOK_URL: https://qyapi.weixin.qq.com/… has no key"},
		{"pagerduty key with a space", map[string]string{"PAGERDUTY_ROUTING_KEY": secretRouting + " x"}, "PAGERDUTY_ROUTING_KEY: holds white space"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Read(notifytest.MapEnv(c.env))
			if err == nil {
				t.Fatal("accepted")
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, c.want) {
				t.Errorf("err = %q, want it to start %q", msg, c.want)
			}
			if strings.Contains(msg, "\n") {
				t.Errorf("err spans lines: %q", msg)
			}
			for _, s := range allSecrets() {
				if strings.Contains(msg, s) {
					t.Errorf("err %q holds the secret %q", msg, s)
				}
			}
		})
	}
}

func TestReadAccepts(t *testing.T) {
	s, err := Read(notifytest.MapEnv(map[string]string{
		"SLACK_WEBHOOK_URL": "https://hooks.slack.com/services/" + secretPath,
		"SLACK_BOT_TOKEN":   secretToken,
		"SLACK_CHANNEL":     "C0EXPORTS",
		"SLACK_API_URL":     "http://localhost:9999/api",
		"WEBHOOK_URL":       " https://a.example.com/hook , http://127.0.0.1:8080/x,http://[::1]:1/y ,",
		"WEBHOOK_SECRET":    testSecret,
		"WEBHOOK_HEADERS":   "Authorization=Bearer a=b;X-Team=sec",
		"INCLUDE_LINK":      "false",

		"DINGTALK_WEBHOOK_URL": "https://oapi.dingtalk.com/robot/send?access_token=" + dingTalkToken,
		"DINGTALK_SECRET":      dingTalkSecret,
		"LARK_WEBHOOK_URL":     "https://open.feishu.cn/open-apis/bot/v2/hook/" + larkHookID,
		"LARK_SECRET":          larkSecret,
	}))
	if err != nil {
		t.Fatal(err)
	}
	sl, wh := configOf[slack.Settings](s), configOf[webhook.Settings](s)
	if len(wh.URLs) != 3 || sl.APIURL != "http://localhost:9999/api/" || s.IncludeLink ||
		wh.Headers.Get("Authorization") != "Bearer a=b" || wh.Headers.Get("X-Team") != "sec" {
		t.Errorf("settings %+v", s)
	}
	sinks := s.Notifiers(nil)
	var names []string
	for _, n := range sinks {
		names = append(names, n.Name())
	}
	if len(sinks) != 7 || names[0] != "slack" || names[1] != "slack:C0EXPORTS" || names[2] != "dingtalk" || names[3] != "lark" {
		t.Errorf("sinks %v", names)
	}
	var logged bytes.Buffer
	slog.New(slog.NewTextHandler(&logged, nil)).Info("config", "notify", s)
	for _, secret := range allSecrets() {
		if strings.Contains(logged.String(), secret) {
			t.Errorf("logging the settings shows %q: %s", secret, logged.String())
		}
	}
}

// configOf is the settings of type T among s's.
func configOf[T notify.Config](s Settings) T {
	for _, c := range s.configs {
		if t, ok := c.(T); ok {
			return t
		}
	}
	var zero T
	return zero
}
