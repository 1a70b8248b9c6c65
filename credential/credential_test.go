package credential

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
)

func TestContextCredentialsWin(t *testing.T) {
	t.Setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", "env-id")
	t.Setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "env-secret")
	sts := Credentials{AccessKeyID: "STS.id", AccessKeySecret: "sts-secret", SecurityToken: "token"}
	for name, p := range map[string]Provider{"default": Default(), "static": Static{AccessKeyID: "a", AccessKeySecret: "b"}} {
		got, err := p.Credentials(WithContext(context.Background(), sts))
		if err != nil || got != sts {
			t.Fatalf("%s: got %v, %v; want the context's STS credentials", name, got, err)
		}
	}
	got, err := Default().Credentials(context.Background())
	if err != nil || got.AccessKeyID != "env-id" || got.AccessKeySecret != "env-secret" {
		t.Fatalf("default chain: got %v, %v; want the environment's", got, err)
	}
}

func TestMissingCredentialsNameTheVariables(t *testing.T) {
	t.Setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", "")
	t.Setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "")
	t.Setenv("ALIBABA_CLOUD_ECS_METADATA_DISABLED", "true")
	t.Setenv("ALIBABA_CLOUD_PROFILE", "")
	t.Setenv("ALIBABA_CLOUD_CONFIG_FILE", "")
	t.Setenv("ALIBABA_CLOUD_CREDENTIALS_FILE", "")
	t.Setenv("HOME", t.TempDir())
	_, err := Default().Credentials(context.Background())
	if !errors.Is(err, ErrMissing) || !strings.Contains(err.Error(), "ALIBABA_CLOUD_ACCESS_KEY_ID") {
		t.Fatalf("err = %v, want ErrMissing naming the variables", err)
	}
	if _, err := (Static{}).Credentials(context.Background()); !errors.Is(err, ErrMissing) {
		t.Fatalf("empty static: err = %v, want ErrMissing", err)
	}
}

func TestSecretsDoNotPrint(t *testing.T) {
	c := Credentials{AccessKeyID: "LTAIid", AccessKeySecret: "s3cr3t", SecurityToken: "t0ken"}
	var logs bytes.Buffer
	slog.New(slog.NewJSONHandler(&logs, nil)).Info("using", "credentials", c)
	for _, out := range []string{fmt.Sprint(c), fmt.Sprintf("%v %+v %#v %s", c, c, c, c), logs.String()} {
		if strings.Contains(out, "s3cr3t") || strings.Contains(out, "t0ken") {
			t.Fatalf("secret printed: %s", out)
		}
		if !strings.Contains(out, "LTAIid") {
			t.Fatalf("the AccessKey ID should be shown to help debugging: %s", out)
		}
	}
}
