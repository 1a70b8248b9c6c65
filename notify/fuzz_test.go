package notify

import (
	"strings"
	"testing"
)

// FuzzSettingsFromEnv feeds arbitrary values to the variables that carry
// secrets: parsing never panics, an accepted configuration builds its
// sinks, and an error is one line that never repeats a secret part.
func FuzzSettingsFromEnv(f *testing.F) {
	f.Add("https://hooks.slack.com/services/T/B/SECRETPART", "https://a.example.com/x?k=SECRETPART", "Authorization=Bearer SECRETPART", testSecret)
	f.Add("http://example.com/SECRETPART", "http://127.0.0.1:1/SECRETPART,ftp://x/SECRETPART", "X=1;;Y", "whsec_SECRETPART")
	f.Add("https://[::1]:99999/SECRETPART", "https://%zz/SECRETPART", "=SECRETPART", "")
	f.Fuzz(func(t *testing.T, slackURL, webhookURLs, headers, secret string) {
		s, err := SettingsFromEnv(mapEnv(map[string]string{
			"SLACK_WEBHOOK_URL": slackURL,
			"WEBHOOK_URL":       webhookURLs,
			"WEBHOOK_HEADERS":   headers,
			"WEBHOOK_SECRET":    secret,
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

// FuzzParseHeaders checks that every accepted header can be sent: a valid
// name and a value without line breaks.
func FuzzParseHeaders(f *testing.F) {
	f.Add("Authorization=Bearer x;X-Team=sec")
	f.Add("a=b=c; ;=;\x00=1")
	f.Fuzz(func(t *testing.T, in string) {
		h, err := ParseHeaders(in)
		if err != nil {
			return
		}
		for name, values := range h {
			if !isToken(name) {
				t.Errorf("accepted header name %q", name)
			}
			for _, v := range values {
				if strings.ContainsAny(v, "\r\n\x00") {
					t.Errorf("accepted header value %q", v)
				}
			}
		}
	})
}
