package cli

import (
	"bytes"
	"context"
	"encoding/base64"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/export-notifier/export-notifier/event"
	"github.com/export-notifier/export-notifier/internal/sassim"
	"github.com/export-notifier/export-notifier/state"
)

// receiver is a webhook receiver that keeps what it is sent and answers
// with status and text, followed by the request's Authorization header
// when echoAuth is set.
type receiver struct {
	status   int
	text     string
	echoAuth bool
	mu       sync.Mutex
	bodies   []string
}

func (r *receiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	r.mu.Lock()
	r.bodies = append(r.bodies, string(body))
	r.mu.Unlock()
	w.WriteHeader(r.status)
	io.WriteString(w, r.text)
	if r.echoAuth {
		io.WriteString(w, "; you sent "+req.Header.Get("Authorization"))
	}
}

func (r *receiver) received() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return strings.Join(r.bodies, "\n")
}

// Secret values that come back inside text from elsewhere (Security
// Center's error messages, a receiver's answer) are scrubbed where that
// text comes in: the log, the cycle's result, the state, status --json and
// the events sent on show none of them.
func TestEchoedSecretsAppearNowhere(t *testing.T) {
	withoutAmbientCredentials(t)
	const token = "CAIS-sts-token-echoed-back+/="
	const password = "hunter2/webhook@password"
	tests := []struct {
		name   string
		secret string
		sim    sassim.Options
		export sassim.Export
		hook   *receiver
		user   *url.Userinfo
		want   map[string]string // where the echo shows, scrubbed
	}{
		{
			name:   "an STS token in Security Center's error message",
			secret: token,
			sim:    sassim.Options{SecurityToken: token},
			export: sassim.Export{Fault: sassim.Fault{HTTPStatus: 400,
				Body: `{"RequestId":"r-1","Code":"InvalidSecurityToken.Expired","Message":"Specified SecurityToken is expired: ` + token + `"}`}},
			hook: &receiver{status: http.StatusOK},
			want: map[string]string{"events sent": `"message":"Specified SecurityToken is expired: [redacted]"`},
		},
		{
			name:   "a webhook URL's password in the receiver's 401",
			secret: password,
			export: sassim.Export{Steps: 1},
			hook: &receiver{status: http.StatusUnauthorized, echoAuth: true,
				text: "bad credentials: password " + password + " in the URL as " + url.UserPassword("hook", password).String()},
			user: url.UserPassword("hook", password),
			want: map[string]string{"result": "HTTP 401 bad credentials: password [redacted] in the URL as [redacted]; you sent Basic [redacted]"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sim := sassim.New(tt.sim)
			ref := event.Ref{Kind: event.Asset, ID: 131231}
			tt.export.Ref = ref
			sim.Add(tt.export)
			hook := httptest.NewServer(tt.hook)
			defer hook.Close()
			hookURL, _ := url.Parse(hook.URL + "/hooks/export-notifier")
			hookURL.User = tt.user
			stateDir := t.TempDir()
			getenv := checkSimEnv(t, sim, map[string]string{
				"ALIBABA_CLOUD_SECURITY_TOKEN": tt.sim.SecurityToken,
				"EXPORT_IDS":                   ref.String(),
				"WEBHOOK_URL":                  hookURL.String(),
				"STATE_URL":                    "file://" + stateDir,
				"LOG_LEVEL":                    "debug",
				"POLL_TIMEOUT":                 "20s",
			})
			var stdout, stderr bytes.Buffer
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			code := Run(ctx, []string{"poll"}, Env{Stdout: &stdout, Stderr: &stderr, Getenv: getenv})
			st, err := state.Open(ctx, "file://"+stateDir, state.Options{})
			if err != nil {
				t.Fatal(err)
			}
			snap, err := st.Load(ctx)
			if err != nil {
				t.Fatal(err)
			}
			encoded, err := state.Encode(snap)
			if err != nil {
				t.Fatal(err)
			}
			_, status, _ := runStatusWith(t, map[string]string{"STATE_URL": "file://" + stateDir}, "--json")
			if code != ExitOK {
				t.Fatalf("poll exited %d: %s", code, stderr.String())
			}
			outputs := map[string]string{
				"log": stderr.String(), "result": stdout.String(), "state": string(encoded),
				"status --json": status, "events sent": tt.hook.received(),
			}
			for what, text := range outputs {
				if strings.Contains(text, tt.secret) || strings.Contains(text, url.PathEscape(tt.secret)) ||
					strings.Contains(text, base64.StdEncoding.EncodeToString([]byte("hook:"+tt.secret))) {
					t.Errorf("the %s holds the secret:\n%s", what, text)
				}
			}
			for what, want := range tt.want {
				if !strings.Contains(outputs[what], want) {
					t.Errorf("the %s does not say %q:\n%s", what, want, outputs[what])
				}
			}
		})
	}
}
