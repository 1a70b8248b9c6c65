package app

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/export-notifier/export-notifier/credential"
)

// env is a test's environment.
func env(vars map[string]string) func(string) string {
	return func(name string) string { return vars[name] }
}

func TestNewLoggerFormats(t *testing.T) {
	for _, tc := range []struct {
		name     string
		vars     map[string]string
		onFC     bool
		wantJSON bool
	}{
		{"text off FC by default", nil, false, false},
		{"JSON on FC by default", nil, true, true},
		{"JSON when asked", map[string]string{"LOG_FORMAT": "JSON"}, false, true},
		{"text on FC when asked", map[string]string{"LOG_FORMAT": "text"}, true, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out bytes.Buffer
			log, err := NewLogger(env(tc.vars), &out, tc.onFC, nil)
			if err != nil {
				t.Fatal(err)
			}
			log.Info("hello")
			if got := json.Valid(bytes.TrimSpace(out.Bytes())); got != tc.wantJSON {
				t.Errorf("line %q: JSON = %v, want %v", out.String(), got, tc.wantJSON)
			}
		})
	}
}

func TestNewLoggerLevel(t *testing.T) {
	var out bytes.Buffer
	log, err := NewLogger(env(map[string]string{"LOG_LEVEL": "warn"}), &out, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	log.Info("quiet")
	log.Warn("loud")
	if strings.Contains(out.String(), "quiet") || !strings.Contains(out.String(), "loud") {
		t.Errorf("LOG_LEVEL=warn logged %q, want the warning alone", out.String())
	}
}

func TestSettingErrorsNameTheVariable(t *testing.T) {
	for _, tc := range []struct {
		name, value, want string
		read              func(getenv func(string) string) error
	}{
		{"LOG_LEVEL", "loud", `LOG_LEVEL: "loud" is not one of debug, info, warn, error`, func(g func(string) string) error {
			_, err := NewLogger(g, &bytes.Buffer{}, false, nil)
			return err
		}},
		{"LOG_FORMAT", "xml", `LOG_FORMAT: "xml" is not json or text`, func(g func(string) string) error {
			_, err := NewLogger(g, &bytes.Buffer{}, false, nil)
			return err
		}},
		{"POLL_TIMEOUT", "500ms", `POLL_TIMEOUT: "500ms" is not a duration of at least 1s, such as 60s`, func(g func(string) string) error {
			_, err := PollTimeout(g)
			return err
		}},
		{"POLL_TIMEOUT", "1500000h", `POLL_TIMEOUT: "1500000h" is more than the maximum, 24h`, func(g func(string) string) error {
			_, err := PollTimeout(g)
			return err
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.read(env(map[string]string{tc.name: tc.value}))
			if err == nil || err.Error() != tc.want {
				t.Errorf("error %v, want %q", err, tc.want)
			}
		})
	}
}

func TestPollTimeout(t *testing.T) {
	for _, tc := range []struct {
		value string
		want  time.Duration
	}{{"", DefaultPollTimeout}, {"90s", 90 * time.Second}, {"1s", time.Second}, {"24h", MaxPollTimeout}} {
		got, err := PollTimeout(env(map[string]string{"POLL_TIMEOUT": tc.value}))
		if err != nil || got != tc.want {
			t.Errorf("POLL_TIMEOUT=%q: %v, %v; want %v", tc.value, got, err, tc.want)
		}
	}
}

func TestCredentialsFromTheEnvironmentGiven(t *testing.T) {
	creds := CredentialsFrom(env(map[string]string{
		"ALIBABA_CLOUD_ACCESS_KEY_ID": "id", "ALIBABA_CLOUD_ACCESS_KEY_SECRET": "secret", "ALIBABA_CLOUD_SECURITY_TOKEN": "token",
	}))
	got, err := creds.Credentials(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if want := (credential.Credentials{AccessKeyID: "id", AccessKeySecret: "secret", SecurityToken: "token"}); got != want {
		t.Errorf("credentials %+v, want %+v", got, want)
	}
}

func TestOpenStateTellsBadConfigurationFromAnUnreachableStore(t *testing.T) {
	// A port nothing listens on: the store is configured but unreachable.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	for _, tc := range []struct {
		name            string
		vars            map[string]string
		wantUnavailable bool
	}{
		{"unknown scheme", map[string]string{"STATE_URL": "s3://bucket/x"}, false},
		{"OSS without a region", map[string]string{"STATE_URL": "oss://bucket/x"}, false},
		{"OSS not answering", map[string]string{"STATE_URL": "oss://bucket/x", "OSS_ENDPOINT": "http://" + addr, "OSS_REGION": "cn-shanghai"}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			creds := credential.Static{AccessKeyID: "id", AccessKeySecret: "secret"}
			_, err := OpenState(ctx, Setup{Getenv: env(tc.vars), Credentials: creds})
			if err == nil {
				t.Fatal("opened, want an error")
			}
			if !strings.HasPrefix(err.Error(), "STATE_URL: ") {
				t.Errorf("error %q does not start with the variable", err)
			}
			if got := errors.Is(err, ErrStateUnavailable); got != tc.wantUnavailable {
				t.Errorf("unavailable = %v, want %v: %v", got, tc.wantUnavailable, err)
			}
		})
	}
}

func TestOpenStateDefaultsBesideTheProcess(t *testing.T) {
	t.Chdir(t.TempDir())
	store, err := OpenState(context.Background(), Setup{Getenv: env(nil)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := store.Load(context.Background()); err != nil {
		t.Errorf("the default store %s cannot be read: %v", DefaultStateURL, err)
	}
}
