package scrub

import (
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
)

const (
	stsToken  = "CAIS8gF1q6Ft5B2yfSjIr5bSEsnb3bpEhIexrHHz0HTEV8b9VqTVnTz2IH9KfXhuAuEXsPw3mmlY7/sYlqN7QlsFfN4k8Ap+Tr3mkKb0CzYXnMXr1d4B7Jqzp6Nzv2q=="
	akSecret  = "kS9dXn2Q4rVb7LmP0aZtUeYc3wHfJg"
	hookURL   = "https://bot:pa55-w0rd!@hooks.example.com/hook/T0001/B0002/xyzSecretPart?sig=abcdef123456&v=1"
	dingURL   = "https://oapi.dingtalk.com/robot/send?access_token=0123456789abcdef0123456789abcdef"
	verifyURL = "https://hooks.example.com/verify"
)

func TestString(t *testing.T) {
	tests := []struct {
		name    string
		secrets []string
		text    string
		want    string
	}{
		{
			name:    "STS token echoed by Security Center",
			secrets: []string{akSecret, stsToken},
			text:    "InvalidSecurityToken.Expired: Specified SecurityToken is expired. token: " + stsToken,
			want:    "InvalidSecurityToken.Expired: Specified SecurityToken is expired. token: [redacted]",
		},
		{
			name:    "webhook password echoed in a 401",
			secrets: URLSecrets(hookURL),
			text:    `401 Unauthorized: bad password "pa55-w0rd!" for user bot`,
			want:    `401 Unauthorized: bad password "[redacted]" for user bot`,
		},
		{
			name:    "webhook path and query echoed, host kept",
			secrets: URLSecrets(hookURL),
			text:    "no route for /hook/T0001/B0002/xyzSecretPart?sig=abcdef123456&v=1 on hooks.example.com",
			want:    "no route for [redacted]?[redacted] on hooks.example.com",
		},
		{
			name:    "a query value alone",
			secrets: URLSecrets(dingURL),
			text:    "errcode 300005: token 0123456789abcdef0123456789abcdef is not exist",
			want:    "errcode 300005: token [redacted] is not exist",
		},
		{
			name:    "URL-encoded in a query string",
			secrets: []string{"tok+en/with=chars"},
			text:    "GET /cb?t=tok%2Ben%2Fwith%3Dchars failed",
			want:    "GET /cb?t=[redacted] failed",
		},
		{
			name:    "path-escaped",
			secrets: []string{"a secret value"},
			text:    "no such file /x/a%20secret%20value",
			want:    "no such file /x/[redacted]",
		},
		{
			name:    "JSON-escaped inside a body",
			secrets: []string{`quo"te\and<tag>&`},
			text:    `{"echo":"quo\"te\\and\u003ctag\u003e\u0026","raw":"quo\"te\\and<tag>&"}`,
			want:    `{"echo":"[redacted]","raw":"[redacted]"}`,
		},
		{
			name:    "longest first: a secret holding another goes whole",
			secrets: []string{"abcdef", "abcdefghijkl"},
			text:    "x abcdefghijkl y abcdef z",
			want:    "x [redacted] y [redacted] z",
		},
		{
			name:    "values shorter than MinLen are ignored",
			secrets: []string{"abc", "12345"},
			text:    "abc 12345 abcdef",
			want:    "abc 12345 abcdef",
		},
		{
			name:    "an ordinary word in a URL path stays in unrelated text",
			secrets: URLSecrets(verifyURL),
			text:    "please verify the export settings",
			want:    "please verify the export settings",
		},
		{
			name:    "the whole path string is scrubbed",
			secrets: URLSecrets(verifyURL),
			text:    "POST /verify: 404 Not Found",
			want:    "POST [redacted]: 404 Not Found",
		},
		{
			name:    "replacements that spell a new secret are scrubbed again",
			secrets: []string{"ABCDEF", "]tail-x"},
			text:    "ABCDEF]tail-x and ABCDEFtail-x",
			want:    "[redacted][redacted] and [redacted[redacted]",
		},
		{
			name:    "a text that keeps spelling secrets is given up",
			secrets: []string{"ABCDEF", "d]xyzw"},
			text:    "ABCDEF" + strings.Repeat("xyzw", 6),
			want:    "[redacted]",
		},
		{
			name:    "no secrets",
			secrets: nil,
			text:    "nothing " + stsToken,
			want:    "nothing " + stsToken,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := New(tt.secrets...).String(tt.text); got != tt.want {
				t.Fatalf("String(%q)\n got %q\nwant %q", tt.text, got, tt.want)
			}
		})
	}
}

func TestURLSecrets(t *testing.T) {
	tests := []struct {
		raw  string
		want []string
	}{
		{hookURL, []string{"pa55-w0rd!", "/hook/T0001/B0002/xyzSecretPart", "sig=abcdef123456&v=1", "abcdef123456", "1"}},
		{dingURL, []string{"/robot/send", "access_token=0123456789abcdef0123456789abcdef", "0123456789abcdef0123456789abcdef"}},
		{"https://hooks.example.com", nil},
		{"https://user@hooks.example.com/", nil},
		{"https://hooks.example.com/a%2Fb%20c", []string{"/a/b c", "/a%2Fb%20c"}},
		{"http://[::1]:namedport/x", []string{"http://[::1]:namedport/x"}},
	}
	for _, tt := range tests {
		t.Run(tt.raw, func(t *testing.T) {
			got := URLSecrets(tt.raw)
			slices.Sort(got)
			slices.Sort(tt.want)
			if !slices.Equal(got, tt.want) {
				t.Fatalf("URLSecrets(%q) = %q, want %q", tt.raw, got, tt.want)
			}
		})
	}
}

func TestSettingSecrets(t *testing.T) {
	tests := []struct {
		name, value string
		text, want  string
	}{
		{
			name:  "a list of webhook URLs",
			value: "https://a.example.com/hook/one-secret, https://b.example.com/in?token=second-secret",
			text:  "a.example.com: no route /hook/one-secret; b.example.com: bad token second-secret",
			want:  "a.example.com: no route [redacted]; b.example.com: bad token [redacted]",
		},
		{
			name:  "headers: each value counts as a secret",
			value: "Authorization=Bearer abcdef123456;X-Team=platform",
			text:  `401: "Bearer abcdef123456" rejected for team platform`,
			want:  `401: "[redacted]" rejected for team [redacted]`,
		},
		{
			name:  "a token",
			value: "xoxb-1234-5678-abcdefgh",
			text:  "invalid_auth for xoxb-1234-5678-abcdefgh",
			want:  "invalid_auth for [redacted]",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := New(SettingSecrets(tt.value)...).String(tt.text); got != tt.want {
				t.Fatalf("got %q, want %q", got, tt.want)
			}
		})
	}
}

type notReachedError struct{ url string }

func (e *notReachedError) Error() string { return "cannot reach " + e.url }

func TestErrorKeepsTheChainAndScrubsTheText(t *testing.T) {
	secrets := New(URLSecrets(hookURL)...)
	inner := &notReachedError{url: hookURL}
	err := secrets.Error(fmt.Errorf("webhook: %w: %w", inner, fs.ErrNotExist))

	if strings.Contains(err.Error(), "xyzSecretPart") || strings.Contains(err.Error(), "pa55-w0rd!") {
		t.Fatalf("Error() = %q still shows a secret", err)
	}
	if want := "webhook: cannot reach https://bot:[redacted]@hooks.example.com[redacted]?[redacted]: file does not exist"; err.Error() != want {
		t.Fatalf("Error() = %q, want %q", err, want)
	}
	var nr *notReachedError
	if !errors.As(err, &nr) || nr != inner {
		t.Fatalf("errors.As through the scrubbed error found %v, want the original", nr)
	}
	if !errors.Is(err, fs.ErrNotExist) {
		t.Fatal("errors.Is through the scrubbed error lost fs.ErrNotExist")
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		t.Fatal("errors.As found a *url.Error that is not in the chain")
	}
}

func TestErrorWithoutSecretsIsReturnedAsItIs(t *testing.T) {
	secrets := New(stsToken)
	plain := errors.New("connection refused")
	for _, err := range []error{nil, plain} {
		if got := secrets.Error(err); got != err {
			t.Fatalf("Error(%v) = %v, want it unchanged", err, got)
		}
	}
}

func TestWithLeavesTheOriginalUnchanged(t *testing.T) {
	base := New(akSecret)
	more := base.With(stsToken, "tiny")
	text := akSecret + " " + stsToken
	if got := base.String(text); got != "[redacted] "+stsToken {
		t.Fatalf("base scrubbed %q", got)
	}
	if got := more.String(text); got != "[redacted] [redacted]" {
		t.Fatalf("with scrubbed %q", got)
	}
	if base.Len() != 1 || more.Len() != 2 {
		t.Fatalf("Len = %d and %d, want 1 and 2 (short values dropped)", base.Len(), more.Len())
	}
	var none *Secrets
	if none.String(text) != text || none.Len() != 0 || none.Error(errors.New(text)).Error() != text {
		t.Fatal("a nil *Secrets must scrub nothing")
	}
}

func TestConcurrentUse(t *testing.T) {
	secrets := New(akSecret, stsToken)
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			mine := secrets.With(fmt.Sprintf("goroutine-secret-%d", i))
			for range 100 {
				if got := mine.String(akSecret + fmt.Sprintf("goroutine-secret-%d", i)); got != "[redacted][redacted]" {
					t.Errorf("got %q", got)
					return
				}
			}
		})
	}
	wg.Wait()
}
