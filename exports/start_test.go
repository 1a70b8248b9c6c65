package exports_test

import (
	"context"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/export-notifier/export-notifier/credential"
	"github.com/export-notifier/export-notifier/event"
	"github.com/export-notifier/export-notifier/exports"
	"github.com/export-notifier/export-notifier/internal/sassim"
)

func TestStartEachKindThenFollowItToSuccess(t *testing.T) {
	tests := []struct {
		spec       event.StartSpec
		action     string
		wantParams map[string]string
	}{
		{
			spec:       event.StartSpec{Kind: event.Asset, ExportType: "assetInstance", Lang: "en", Params: `{"extend":"1"}`},
			action:     "ExportRecord",
			wantParams: map[string]string{"ExportType": "assetInstance", "Lang": "en", "Params": `{"extend":"1"}`, "ResourceDirectoryAccountId": "111"},
		},
		{
			spec:       event.StartSpec{Kind: event.Vul, Type: "cve", Lang: "en", Dealed: "n", Necessity: "asap,later", GroupID: 8834224, CreateTsStart: 1696128144000},
			action:     "ExportVul",
			wantParams: map[string]string{"Type": "cve", "Lang": "en", "Dealed": "n", "Necessity": "asap,later", "GroupId": "8834224", "CreateTsStart": "1696128144000", "ResourceDirectoryAccountId": ""},
		},
		{
			spec:       event.StartSpec{Kind: event.SuspEvent, Levels: "serious,suspicious", Dealed: "N", TimeStart: "2026-11-01 00:00:00", GroupID: 7},
			action:     "ExportSuspEvents",
			wantParams: map[string]string{"Levels": "serious,suspicious", "Dealed": "N", "TimeStart": "2026-11-01 00:00:00", "GroupId": "7", "Lang": ""},
		},
	}
	for _, tt := range tests {
		t.Run(tt.spec.String(), func(t *testing.T) {
			sim, client := start(t, sassim.Options{Steps: 2}, exports.Config{Account: 111})
			ref, requestID, err := client.Start(context.Background(), tt.spec)
			if err != nil {
				t.Fatal(err)
			}
			started := sim.Started()
			if len(started) != 1 || ref.Kind != tt.spec.Kind || ref.ID != started[0].ID || ref.ID <= 0 {
				t.Fatalf("Start = %v; the simulator started %v", ref, started)
			}
			if ref.Account != 0 {
				t.Errorf("ref %v names the configured account; Get adds it, as for any reference that names none", ref)
			}
			calls := sim.Calls()
			if len(calls) != 1 || calls[0].Action != tt.action || calls[0].RequestID != requestID || requestID == "" {
				t.Fatalf("calls %+v, want one %s whose request ID %q Start returns", calls, tt.action, requestID)
			}
			for name, want := range tt.wantParams {
				if got := calls[0].Params.Get(name); got != want {
					t.Errorf("%s sent %s=%q, want %q", tt.action, name, got, want)
				}
			}
			// The usual watching follows the started export to success.
			var st event.Status
			for range 2 {
				if st, err = client.Get(context.Background(), ref); err != nil {
					t.Fatal(err)
				}
			}
			if st.State != event.Success || st.Link == "" || st.FileName == "" {
				t.Errorf("status after the simulator's steps: %+v", st)
			}
		})
	}
}

func TestStartUsesItsOwnMemberAccount(t *testing.T) {
	sim, client := start(t, sassim.Options{}, exports.Config{Account: 111})
	ref, _, err := client.Start(context.Background(), event.StartSpec{Kind: event.Asset, ExportType: "user", Account: 222})
	if err != nil {
		t.Fatal(err)
	}
	if ref.Account != 222 || sim.Calls()[0].Ref.Account != 222 {
		t.Errorf("ref %v, call %+v; want account 222", ref, sim.Calls()[0])
	}
}

func TestStartNeverRetriesOnceTheRequestMayHaveArrived(t *testing.T) {
	tests := []struct {
		name   string
		fault  sassim.Fault
		code   string
		status int
	}{
		{"a server error", sassim.Fault{Code: "ServerError", Times: 1}, "ServerError", 500},
		{"service unavailable", sassim.Fault{Code: "ServiceUnavailable", Times: 1}, "ServiceUnavailable", 503},
		{"a connection dropped after sending", sassim.Fault{Drop: true, Times: 1}, exports.CodeConnectionFailed, 0},
		{"a gateway page", sassim.Fault{Body: "<html>Bad Gateway</html>", HTTPStatus: 502, Times: 1}, exports.CodeInvalidResponse, 502},
		{"garbage with 200", sassim.Fault{Body: "<html>hello</html>", Times: 1}, exports.CodeInvalidResponse, 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sim, client := start(t, sassim.Options{}, exports.Config{MaxAttempts: 4})
			sim.FailStarts(tt.fault)
			spec := event.StartSpec{Kind: event.Asset, ExportType: "assetInstance", Lang: "en"}
			ref, _, err := client.Start(context.Background(), spec)
			var e *exports.Error
			if !errors.As(err, &e) {
				t.Fatalf("Start = %v, %v; want an *exports.Error", ref, err)
			}
			if n := len(sim.Calls()); n != 1 {
				t.Fatalf("the simulator saw %d calls, want exactly 1: a start that may have arrived is never sent again", n)
			}
			if e.Code != tt.code || e.HTTPStatus != tt.status || e.Attempts != 1 || e.Retryable || !e.MayHaveStarted {
				t.Errorf("error %+v; want %s, HTTP %d, 1 attempt, not retryable, may have started", e, tt.code, tt.status)
			}
			if e.Start == nil || *e.Start != spec || e.Ref.Kind != event.Asset {
				t.Errorf("error names %v / %v, want the spec", e.Start, e.Ref)
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, "ExportRecord asset/assetInstance (en): "+tt.code) || !strings.Contains(msg, "may have started") {
				t.Errorf("message %q", msg)
			}
			// Why: the simulator did start it, and the caller never learnt the ID.
			if len(sim.Started()) != 1 {
				t.Errorf("started %v; the simulator registers the export before such faults", sim.Started())
			}
		})
	}
}

func TestStartDoesNotRetryATimeoutAfterSending(t *testing.T) {
	sim, client := start(t, sassim.Options{}, exports.Config{ReadTimeout: 50 * time.Millisecond, MaxAttempts: 4})
	sim.FailStarts(sassim.Fault{Latency: 2 * time.Second})
	_, _, err := client.Start(context.Background(), event.StartSpec{Kind: event.Vul, Type: "cve"})
	var e *exports.Error
	if !errors.As(err, &e) || e.Code != exports.CodeTimeout || e.Attempts != 1 || !e.MayHaveStarted {
		t.Fatalf("Start error %+v, want one Timeout that may have started", err)
	}
	if !strings.HasPrefix(err.Error(), "ExportVul vul/cve: Timeout") {
		t.Errorf("message %q", err)
	}
	// The simulator saw the request (it answers only after the latency).
	deadline := time.Now().Add(5 * time.Second)
	for len(sim.Calls()) == 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := len(sim.Started()); n != 1 {
		t.Errorf("started %d exports, want 1", n)
	}
}

func TestStartRetriesThrottling(t *testing.T) {
	for _, code := range []string{"Throttling", "Throttling.User"} {
		t.Run(code, func(t *testing.T) {
			sim, client := start(t, sassim.Options{}, exports.Config{MaxAttempts: 4})
			sim.FailStarts(sassim.Fault{Code: code, Times: 2})
			ref, _, err := client.Start(context.Background(), event.StartSpec{Kind: event.SuspEvent, Levels: "serious"})
			if err != nil {
				t.Fatal(err)
			}
			if n := len(sim.Calls()); n != 3 {
				t.Errorf("the simulator saw %d calls, want 3 (two throttled)", n)
			}
			if started := sim.Started(); len(started) != 1 || started[0] != ref {
				t.Errorf("started %v, Start returned %v; want exactly that one", started, ref)
			}
		})
	}
	t.Run("until attempts run out", func(t *testing.T) {
		sim, client := start(t, sassim.Options{}, exports.Config{MaxAttempts: 3})
		sim.FailStarts(sassim.Fault{Code: "Throttling"})
		_, _, err := client.Start(context.Background(), event.StartSpec{ExportType: "user"})
		var e *exports.Error
		if !errors.As(err, &e) || e.Code != "Throttling" || e.Attempts != 3 || !e.Retryable || e.MayHaveStarted {
			t.Fatalf("Start error %+v, want Throttling after 3 attempts, safe to retry", err)
		}
		if len(sim.Calls()) != 3 || len(sim.Started()) != 0 {
			t.Errorf("%d calls, %d started; want 3 and 0", len(sim.Calls()), len(sim.Started()))
		}
	})
}

func TestStartDoesNotRetryRefusals(t *testing.T) {
	for _, code := range []string{"NoPermission", "InvalidParameter", "RdCheckNoPermission"} {
		t.Run(code, func(t *testing.T) {
			sim, client := start(t, sassim.Options{}, exports.Config{MaxAttempts: 4})
			sim.FailStarts(sassim.Fault{Code: code})
			_, _, err := client.Start(context.Background(), event.StartSpec{ExportType: "user"})
			var e *exports.Error
			if !errors.As(err, &e) || e.Code != code || e.Attempts != 1 || e.Retryable || e.MayHaveStarted || e.RequestID == "" {
				t.Fatalf("Start error %+v, want %s once, with a request ID, refused before starting", err, code)
			}
			if len(sim.Calls()) != 1 {
				t.Errorf("%d calls, want 1", len(sim.Calls()))
			}
		})
	}
}

func TestStartRetriesAConnectionRefusedBeforeSending(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close() // nothing listens there now: connections are refused
	client, err := exports.New(exports.Config{
		Endpoint: "http://" + addr, Credentials: demoCreds, MaxAttempts: 3,
		BaseBackoff: time.Millisecond, MaxBackoff: 5 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	_, _, err = client.Start(context.Background(), event.StartSpec{ExportType: "user"})
	var e *exports.Error
	if !errors.As(err, &e) || e.Code != exports.CodeConnectionFailed || e.Attempts != 3 || !e.Retryable || e.MayHaveStarted {
		t.Fatalf("Start error %+v, want ConnectionFailed after 3 attempts, nothing started", err)
	}
	if strings.Contains(err.Error(), "may have started") {
		t.Errorf("message %q says it may have started", err)
	}
}

func TestStartRefusesBadSpecsWithoutACall(t *testing.T) {
	sim, client := start(t, sassim.Options{}, exports.Config{})
	for _, spec := range []event.StartSpec{
		{Kind: event.Asset},
		{Kind: event.Asset, ExportType: "everything"},
		{Kind: event.Vul, Type: "linux"},
		{Kind: event.Vul, Type: "cve", Lang: "fr"},
		{Kind: event.SuspEvent, Levels: "high"},
		{Kind: event.HC},
		{Kind: "disk", ExportType: "user"},
	} {
		_, _, err := client.Start(context.Background(), spec)
		var e *exports.Error
		if !errors.As(err, &e) || e.Code != exports.CodeInvalidStartSpec || e.Retryable || e.MayHaveStarted {
			t.Errorf("Start(%v) = %v, want InvalidStartSpec", spec, err)
		}
	}
	if n := len(sim.Calls()); n != 0 {
		t.Errorf("%d calls made for bad specs", n)
	}
}

func TestStartSignsWithTheContextsSTSCredentials(t *testing.T) {
	sts := credential.Credentials{AccessKeyID: "STS.invocation", AccessKeySecret: "sts-secret", SecurityToken: "sts-token-of-this-invocation"}
	sim, client := start(t, sassim.Options{AccessKeyID: sts.AccessKeyID, AccessKeySecret: sts.AccessKeySecret, SecurityToken: sts.SecurityToken},
		exports.Config{Credentials: credential.Static{AccessKeyID: "LTAIstatic", AccessKeySecret: "static-secret"}})
	if _, _, err := client.Start(credential.WithContext(context.Background(), sts), event.StartSpec{ExportType: "user"}); err != nil {
		t.Fatal(err)
	}
	if c := sim.Calls()[0]; c.AccessKeyID != sts.AccessKeyID || c.SecurityToken != sts.SecurityToken {
		t.Errorf("call %+v, want it signed with the context's STS credentials", c)
	}
	// The static ones are refused, and the secret stays out of the error.
	_, _, err := client.Start(context.Background(), event.StartSpec{ExportType: "user"})
	var e *exports.Error
	if !errors.As(err, &e) || e.Code != "InvalidAccessKeyId.NotFound" || e.MayHaveStarted || strings.Contains(err.Error(), "static-secret") {
		t.Fatalf("Start with the static credentials: %v", err)
	}
}

func TestStartWithoutCredentials(t *testing.T) {
	sim, client := start(t, sassim.Options{}, exports.Config{Credentials: credential.Static{}})
	_, _, err := client.Start(context.Background(), event.StartSpec{ExportType: "user"})
	var e *exports.Error
	if !errors.As(err, &e) || e.Code != exports.CodeMissingCredentials || !errors.Is(err, credential.ErrMissing) {
		t.Fatalf("Start error %v, want MissingCredentials", err)
	}
	if len(sim.Calls()) != 0 {
		t.Errorf("calls made without credentials")
	}
}

func TestStartIsCancelled(t *testing.T) {
	sim, client := start(t, sassim.Options{}, exports.Config{})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, _, err := client.Start(ctx, event.StartSpec{ExportType: "user"})
	var e *exports.Error
	if !errors.As(err, &e) || e.MayHaveStarted || !errors.Is(err, context.Canceled) {
		t.Fatalf("Start with a cancelled context: %+v", err)
	}
	if len(sim.Started()) != 0 {
		t.Errorf("a cancelled start started %v", sim.Started())
	}
}
