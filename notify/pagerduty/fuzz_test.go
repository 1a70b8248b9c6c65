package pagerduty

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/export-notifier/export-notifier/notify"
)

// FuzzAnswerText feeds arbitrary answers to a refused event: what is
// reported is one bounded line that never shows a secret.
func FuzzAnswerText(f *testing.F) {
	f.Add([]byte(`{"status":"invalid event","message":"Event object is invalid","errors":["Length of 'routing_key' is incorrect SECRETPART"]}`))
	f.Add([]byte(`{"status":"","message":"","errors":["a\nb","SECRET","PART"]}`))
	f.Add([]byte(`{"status":1}`))
	f.Fuzz(func(t *testing.T, answer []byte) {
		text := answerText(answer)
		if text == "" {
			return
		}
		shown := notify.ErrorText([]byte(text), []string{"SECRETPART"})
		if strings.ContainsAny(shown, "\r\n") || strings.Contains(shown, "SECRETPART") || utf8.RuneCountInString(shown) > 320 {
			t.Errorf("answer %q shown as %q", answer, shown)
		}
	})
}
