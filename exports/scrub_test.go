package exports_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/export-notifier/export-notifier/event"
	"github.com/export-notifier/export-notifier/exports"
	"github.com/export-notifier/export-notifier/internal/sassim"
	"github.com/export-notifier/export-notifier/scrub"
)

// Security Center may echo what it was sent, an STS token say, in its
// error message: every secret value the process knows is removed from the
// message before the error leaves the client, whatever form it has.
func TestSecurityCenterMessagesLoseKnownSecrets(t *testing.T) {
	const token = "CAIS-sts-token-of-the-invocation+/="
	for _, tt := range []struct{ name, echoed string }{
		{"as sent", token},
		{"query-escaped", "CAIS-sts-token-of-the-invocation%2B%2F%3D"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			live := new(scrub.Live)
			live.Add(token)
			sim, client := start(t, sassim.Options{}, exports.Config{MaxAttempts: 1, Secrets: live})
			ref := event.Ref{Kind: event.Asset, ID: 77}
			sim.Add(sassim.Export{Ref: ref, Fault: sassim.Fault{HTTPStatus: 400,
				Body: `{"RequestId":"r-1","Code":"InvalidSecurityToken.Expired","Message":"Specified SecurityToken is expired: ` + tt.echoed + `"}`}})
			_, err := client.Get(context.Background(), ref)
			var e *exports.Error
			if !errors.As(err, &e) || e.Code != "InvalidSecurityToken.Expired" {
				t.Fatalf("Get error %v, want InvalidSecurityToken.Expired", err)
			}
			for what, text := range map[string]string{"error": e.Error(), "message": e.Message, "failure": e.Failure().Message, "cause": e.Err.Error()} {
				if strings.Contains(text, "sts-token") {
					t.Errorf("the %s holds the token: %q", what, text)
				}
			}
			if !strings.Contains(e.Message, "Specified SecurityToken is expired: "+scrub.Redacted) {
				t.Errorf("message %q, want Security Center's words with the token redacted", e.Message)
			}
		})
	}
}
