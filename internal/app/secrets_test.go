package app

import (
	"bytes"
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/export-notifier/export-notifier/credential"
)

func TestSecretsHoldsEverySecretSetting(t *testing.T) {
	vars := map[string]string{
		"WEBHOOK_URL":                     "https://hook:pa55word-of-hook@hooks.example.com/hooks/abcdef123?token=query-token-1",
		"WEBHOOK_HEADERS":                 "Authorization=Bearer header-token-2",
		"SLACK_BOT_TOKEN":                 "xoxb-slack-token-3",
		"ALIBABA_CLOUD_ACCESS_KEY_SECRET": "access-key-secret-4",
		"ALIBABA_CLOUD_SECURITY_TOKEN":    "sts-token-5",
		"SAS_REGION":                      "cn-hangzhou", // not secret
		"EXPORT_IDS":                      "131231",      // not secret
	}
	got := Secrets(env(vars))
	for _, want := range []string{"pa55word-of-hook", "/hooks/abcdef123", "query-token-1", "Bearer header-token-2", "header-token-2", "xoxb-slack-token-3", "access-key-secret-4", "sts-token-5"} {
		if !slices.Contains(got, want) {
			t.Errorf("Secrets lacks %q: %q", want, got)
		}
	}
	for _, not := range []string{"cn-hangzhou", "131231", "hooks.example.com"} {
		if slices.Contains(got, not) {
			t.Errorf("Secrets holds %q, which is no secret", not)
		}
	}
}

// Credentials fetched after start (an invocation's STS token, a RAM role's)
// are scrubbed from log lines written after they were handed out, as the
// environment's secrets are from the start.
func TestTheLoggerScrubsSecretsLearntWhileRunning(t *testing.T) {
	vars := map[string]string{"WEBHOOK_SECRET": "whsec-signing-secret"}
	secrets := NewSecrets(env(vars))
	var out bytes.Buffer
	log, err := NewLogger(env(vars), &out, true, secrets)
	if err != nil {
		t.Fatal(err)
	}
	fetched := credential.Static{AccessKeyID: "STS.fetched-key-id", AccessKeySecret: "fetched-key-secret", SecurityToken: "fetched-sts-token"}
	creds := LearnCredentials(fetched, secrets)
	if _, err := creds.Credentials(context.Background()); err != nil {
		t.Fatal(err)
	}
	log.Warn("Security Center said: token fetched-sts-token expired", "echo", "secret fetched-key-secret and whsec-signing-secret")
	for _, secret := range []string{"whsec-signing-secret", "fetched-key-secret", "fetched-sts-token", "STS.fetched-key-id"} {
		if strings.Contains(out.String(), secret) {
			t.Errorf("the log shows %q: %s", secret, out.String())
		}
	}
	if !strings.Contains(out.String(), "token [redacted] expired") {
		t.Errorf("the log lost what was around the secret: %s", out.String())
	}
}
