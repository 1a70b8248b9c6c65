package notify

import (
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzBotAnswers feeds arbitrary answers to the DingTalk and Lark sinks'
// readers: they never panic, accept only an answer whose code is 0, and
// their error text is one bounded line without the secrets.
func FuzzBotAnswers(f *testing.F) {
	f.Add(200, []byte(dingTalkOK))
	f.Add(200, []byte(larkOK))
	f.Add(200, []byte(`{"errcode":130101,"errmsg":"send too fast, exceed 20 times per minute"}`))
	f.Add(200, []byte(`{"code":19021,"msg":"sign match fail SECRETPART"}`))
	f.Add(400, []byte(`{"code":9499,"msg":"Bad Request"}`))
	f.Add(200, []byte(`{"errcode":"0"}`))
	f.Add(200, []byte(`{"StatusCode":0,"code":1}`))
	f.Add(502, []byte("<html>\n\tSECRETPART</html>"))
	f.Add(200, []byte{0xff, 0xfe, '{'})
	d := &dingTalk{rateLimitWait: 1}
	l := &lark{}
	secrets := []string{"SECRETPART"}
	f.Fuzz(func(t *testing.T, status int, answer []byte) {
		var httpErr *Error
		if status < 200 || status > 299 {
			httpErr = &Error{Sink: "x", StatusCode: status, Text: ErrorText(answer, secrets), Retryable: RetryableStatus(status)}
		}
		for name, e := range map[string]*Error{
			"dingtalk": d.verdict(status, answer, httpErr, secrets),
			"lark":     l.verdict(status, answer, httpErr, secrets),
		} {
			if e == nil {
				var a map[string]any
				if httpErr != nil || json.Unmarshal(answer, &a) != nil {
					t.Errorf("%s accepted status %d, answer %q", name, status, answer)
				}
				continue
			}
			if strings.ContainsAny(e.Text, "\r\n") || strings.Contains(e.Text, "SECRETPART") || utf8.RuneCountInString(e.Text) > maxErrorText+20 {
				t.Errorf("%s: text %q", name, e.Text)
			}
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
		s, err := SettingsFromEnv(mapEnv(map[string]string{
			"DINGTALK_WEBHOOK_URL": dingURL,
			"DINGTALK_SECRET":      dingSecret,
			"LARK_WEBHOOK_URL":     larkURL,
			"LARK_SECRET":          larkSecret,
		}))
		if err == nil {
			if _, err := New(s, nil); err != nil {
				t.Fatalf("SettingsFromEnv accepted what New refuses: %v", err)
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

func TestTruncateBytes(t *testing.T) {
	for _, c := range []struct {
		in   string
		n    int
		want string
	}{
		{"abc", 3, "abc"},
		{"abcdef", 5, "ab…"},
		{"😀😀😀", 9, "😀…"},
		{"😀😀😀", 6, "…"},
		{"😀😀", 2, "…"},
	} {
		got := Cut(c.in, c.n, Bytes)
		if got != c.want || !utf8.ValidString(got) {
			t.Errorf("Cut(%q, %d, Bytes) = %q, want %q", c.in, c.n, got, c.want)
		}
	}
}
