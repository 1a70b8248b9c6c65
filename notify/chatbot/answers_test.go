package chatbot_test

import (
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/export-notifier/export-notifier/notify"
	"github.com/export-notifier/export-notifier/notify/chatbot"
	"github.com/export-notifier/export-notifier/notify/dingtalk"
	"github.com/export-notifier/export-notifier/notify/lark"
	"github.com/export-notifier/export-notifier/notify/wecom"
)

// FuzzBotAnswers feeds arbitrary answers to the DingTalk and Lark sinks'
// readers: they never panic, accept only an answer whose code is 0, and
// their error text is one bounded line without the secrets.
func FuzzBotAnswers(f *testing.F) {
	f.Add(200, []byte(`{"errcode":0,"errmsg":"ok"}`))
	f.Add(200, []byte(`{"StatusCode":0,"StatusMessage":"success","code":0,"data":{},"msg":"success"}`))
	f.Add(200, []byte(`{"errcode":130101,"errmsg":"send too fast, exceed 20 times per minute"}`))
	f.Add(200, []byte(`{"code":19021,"msg":"sign match fail SECRETPART"}`))
	f.Add(400, []byte(`{"code":9499,"msg":"Bad Request"}`))
	f.Add(200, []byte(`{"errcode":"0"}`))
	f.Add(200, []byte(`{"StatusCode":0,"code":1}`))
	f.Add(502, []byte("<html>\n\tSECRETPART</html>"))
	f.Add(200, []byte{0xff, 0xfe, '{'})
	f.Add(200, []byte(`{"errcode":45009,"errmsg":"api freq out of limit SECRETPART"}`))
	d, l, w := dingtalk.Answer(1), lark.Answer(), wecom.Answer(1)
	secrets := []string{"SECRETPART"}
	f.Fuzz(func(t *testing.T, status int, answer []byte) {
		var httpErr *notify.Error
		if status < 200 || status > 299 {
			httpErr = &notify.Error{Sink: "x", StatusCode: status, Text: notify.ErrorText(answer, secrets), Retryable: notify.RetryableStatus(status)}
		}
		for name, e := range map[string]*notify.Error{
			"dingtalk": d.Verdict("dingtalk", chatbot.Reply{Status: status, Answer: answer, Err: httpErr}, secrets),
			"lark":     l.Verdict("lark", chatbot.Reply{Status: status, Answer: answer, Err: httpErr}, secrets),
			"wecom":    w.Verdict("wecom", chatbot.Reply{Status: status, Answer: answer, Err: httpErr}, secrets),
		} {
			if e == nil {
				var a map[string]any
				if httpErr != nil || json.Unmarshal(answer, &a) != nil {
					t.Errorf("%s accepted status %d, answer %q", name, status, answer)
				}
				continue
			}
			if strings.ContainsAny(e.Text, "\r\n") || strings.Contains(e.Text, "SECRETPART") || utf8.RuneCountInString(e.Text) > 300+20 {
				t.Errorf("%s: text %q", name, e.Text)
			}
		}
	})
}
