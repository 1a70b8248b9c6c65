package scrub

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
)

type endpoint struct{ url string }

func (e endpoint) String() string { return "endpoint " + e.url }

type credentials struct{ token string }

func (c credentials) LogValue() slog.Value {
	return slog.GroupValue(slog.String("token", c.token), slog.Int("len", len(c.token)))
}

type settings struct {
	Name  string
	Token string
}

func TestHandlerScrubsEveryPartOfARecord(t *testing.T) {
	var buf bytes.Buffer
	secrets := New(stsToken, akSecret).With(URLSecrets(hookURL)...)
	logger := slog.New(secrets.Handler(slog.NewJSONHandler(&buf, nil))).
		With("endpoint", endpoint{url: hookURL}).
		WithGroup("cycle").
		With("key", akSecret)

	logger.Info("expired: "+stsToken,
		"string", "echo "+stsToken,
		"err", fmt.Errorf("post: %w", errors.New("401 bad password pa55-w0rd!")),
		"creds", credentials{token: stsToken},
		slog.Group("sink", slog.String("url", hookURL), slog.Int("attempt", 2)),
		"settings", settings{Name: "slack", Token: akSecret},
		"body", []byte(`{"token":"`+stsToken+`"}`),
		"plain", settings{Name: "kept", Token: "short"},
	)

	out := buf.String()
	for _, secret := range []string{stsToken, akSecret, "pa55-w0rd!", "xyzSecretPart", "abcdef123456"} {
		if strings.Contains(out, secret) {
			t.Fatalf("log line holds %q:\n%s", secret, out)
		}
	}
	var line struct {
		Msg      string `json:"msg"`
		Endpoint string `json:"endpoint"`
		Cycle    struct {
			Key    string `json:"key"`
			String string `json:"string"`
			Err    string `json:"err"`
			Creds  struct {
				Token string `json:"token"`
				Len   int    `json:"len"`
			} `json:"creds"`
			Sink struct {
				URL     string `json:"url"`
				Attempt int    `json:"attempt"`
			} `json:"sink"`
			Settings string `json:"settings"`
			Body     string `json:"body"`
			Plain    struct {
				Name  string
				Token string
			} `json:"plain"`
		} `json:"cycle"`
	}
	if err := json.Unmarshal(buf.Bytes(), &line); err != nil {
		t.Fatalf("the handler's output is not one JSON object: %v\n%s", err, out)
	}
	c := line.Cycle
	checks := []struct{ field, got, want string }{
		{"msg", line.Msg, "expired: [redacted]"},
		{"endpoint (Stringer)", line.Endpoint, "endpoint https://bot:[redacted]@hooks.example.com[redacted]?[redacted]"},
		{"key (WithAttrs)", c.Key, "[redacted]"},
		{"string", c.String, "echo [redacted]"},
		{"err", c.Err, "post: 401 bad password [redacted]"},
		{"creds.token (LogValuer)", c.Creds.Token, "[redacted]"},
		{"sink.url (group)", c.Sink.URL, "https://bot:[redacted]@hooks.example.com[redacted]?[redacted]"},
		{"settings (struct)", c.Settings, "{Name:slack Token:[redacted]}"},
		{"body ([]byte)", c.Body, `{"token":"[redacted]"}`},
		{"plain (struct without secrets, kept as it is)", c.Plain.Name + "/" + c.Plain.Token, "kept/short"},
	}
	for _, ch := range checks {
		if ch.got != ch.want {
			t.Errorf("%s = %q, want %q", ch.field, ch.got, ch.want)
		}
	}
	if c.Creds.Len != len(stsToken) || c.Sink.Attempt != 2 {
		t.Errorf("numbers changed: len %d, attempt %d", c.Creds.Len, c.Sink.Attempt)
	}
}

type nilError struct{ msg *string }

func (e *nilError) Error() string { return *e.msg }

func TestHandlerSurvivesAValueThatPanics(t *testing.T) {
	var buf bytes.Buffer
	logger := slog.New(New(akSecret).Handler(slog.NewTextHandler(&buf, nil)))
	var err *nilError
	logger.Warn("failed", "err", err)
	if !strings.Contains(buf.String(), "PANIC") {
		t.Fatalf("want the panic shown in the line, got %q", buf.String())
	}
}

func TestHandlerKeepsTheInnerLevel(t *testing.T) {
	var buf bytes.Buffer
	logger := slog.New(New(akSecret).Handler(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelWarn})))
	logger.Info("dropped " + akSecret)
	logger.Warn("kept " + akSecret)
	if got := buf.String(); strings.Contains(got, "dropped") || !strings.Contains(got, "kept [redacted]") {
		t.Fatalf("log = %q, want only the warning, scrubbed", got)
	}
}
