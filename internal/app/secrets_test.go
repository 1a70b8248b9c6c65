package app

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/export-notifier/export-notifier/credential"
	"github.com/export-notifier/export-notifier/event"
	"github.com/export-notifier/export-notifier/handler"
	"github.com/export-notifier/export-notifier/internal/sassim"
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

// On FC the STS token comes with each invocation, in the context: the
// cycle learns it when it signs with it, and from then on Security
// Center's echo of it is scrubbed from the log and the result.
func TestACycleScrubsTheInvocationsToken(t *testing.T) {
	const token = "CAIS-invocation-sts-token"
	sim := sassim.New(sassim.Options{SecurityToken: token})
	ref := event.Ref{Kind: event.Asset, ID: 131231}
	sim.Add(sassim.Export{Ref: ref, Fault: sassim.Fault{HTTPStatus: 400,
		Body: `{"RequestId":"r-1","Code":"InvalidSecurityToken.Expired","Message":"Specified SecurityToken is expired: ` + token + `"}`}})
	srv := httptest.NewServer(sim)
	defer srv.Close()
	getenv := env(map[string]string{"SAS_ENDPOINT": srv.URL, "EXPORT_IDS": ref.String(), "STATE_URL": "memory://"})
	secrets := NewSecrets(getenv)
	var logged bytes.Buffer
	log, err := NewLogger(getenv, &logged, true, secrets)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	ctx = credential.WithContext(ctx, credential.Credentials{
		AccessKeyID: sassim.DemoAccessKeyID, AccessKeySecret: sassim.DemoAccessKeySecret, SecurityToken: token})
	cycle, err := NewCycle(ctx, Setup{Getenv: getenv, Credentials: credential.Default(), Console: io.Discard, Log: log, OnFC: true, Secrets: secrets})
	if err != nil {
		t.Fatal(err)
	}
	res, err := cycle.Run(ctx, handler.Options{})
	if err != nil {
		t.Fatal(err)
	}
	result, _ := json.Marshal(res)
	for what, text := range map[string]string{"log": logged.String(), "result": string(result)} {
		if strings.Contains(text, token) {
			t.Errorf("the %s holds the token: %s", what, text)
		}
	}
	if !strings.Contains(logged.String(), "Specified SecurityToken is expired: [redacted]") {
		t.Errorf("the log does not show Security Center's message, scrubbed: %s", logged.String())
	}
}
