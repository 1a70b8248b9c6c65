package exports_test

import (
	"context"
	"errors"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/export-notifier/export-notifier/credential"
	"github.com/export-notifier/export-notifier/event"
	"github.com/export-notifier/export-notifier/exports"
	"github.com/export-notifier/export-notifier/internal/sassim"
)

var demoCreds = credential.Static{AccessKeyID: sassim.DemoAccessKeyID, AccessKeySecret: sassim.DemoAccessKeySecret}

// start serves a simulator and returns a client of it with fast retries.
func start(t testing.TB, opts sassim.Options, cfg exports.Config) (*sassim.Simulator, *exports.Client) {
	t.Helper()
	sim := sassim.New(opts)
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	cfg.Endpoint = srv.URL
	if cfg.Credentials == nil {
		cfg.Credentials = demoCreds
	}
	if cfg.BaseBackoff == 0 {
		cfg.BaseBackoff = time.Millisecond
	}
	if cfg.MaxBackoff == 0 {
		cfg.MaxBackoff = 5 * time.Millisecond
	}
	client, err := exports.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(client.Close)
	return sim, client
}

func TestGetFollowsAnExportToSuccess(t *testing.T) {
	sim, client := start(t, sassim.Options{}, exports.Config{})
	sim.Add(sassim.Export{Ref: event.Ref{Kind: event.Asset, ID: 131231}, Steps: 3, FileName: "assets.xlsx", TotalCount: 40})
	ref := event.Ref{Kind: event.Asset, ID: 131231}
	var states []event.State
	var last event.Status
	for range 3 {
		st, err := client.Get(context.Background(), ref)
		if err != nil {
			t.Fatal(err)
		}
		states = append(states, st.State)
		last = st
	}
	if want := []event.State{event.Init, event.Exporting, event.Success}; !equal(states, want) {
		t.Fatalf("states %v, want %v", states, want)
	}
	if last.FileName != "assets.xlsx" || last.TotalCount != 40 || last.CurrentCount != 40 || last.Progress != 100 {
		t.Errorf("final status %+v", last)
	}
	if !strings.HasPrefix(last.Link, "https://"+sassim.LinkHost+"/") || !strings.Contains(last.Link, "Signature=") {
		t.Errorf("link %q", last.Link)
	}
	if last.RequestID == "" || !strings.Contains(string(last.Raw), last.RequestID) {
		t.Errorf("request ID %q, raw %s", last.RequestID, last.Raw)
	}
	if last.Ref != ref {
		t.Errorf("ref %v, want %v", last.Ref, ref)
	}
}

func equal[T comparable](a, b []T) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestGetNormalisesEachKind(t *testing.T) {
	tests := []struct {
		kind       event.Kind
		action     string
		first      event.State // hc has no init; suspEvent says pending
		statusKey  string
		hasCurrent bool
	}{
		{event.Asset, "DescribeExportInfo", event.Init, `"ExportStatus"`, true},
		{event.Vul, "DescribeVulExportInfo", event.Init, `"ExportStatus"`, true},
		{event.HC, "DescribeHcExportInfo", event.Exporting, `"ResultStatus"`, true},
		{event.Warning, "DescribeWarningExportInfo", event.Init, `"ExportStatus"`, true},
		{event.SuspEvent, "DescribeSuspEventExportInfo", event.Init, `"ExportStatus"`, false},
	}
	for _, tt := range tests {
		t.Run(string(tt.kind), func(t *testing.T) {
			sim, client := start(t, sassim.Options{}, exports.Config{})
			ref := event.Ref{Kind: tt.kind, ID: 52}
			sim.Add(sassim.Export{Ref: ref, Steps: 3, TotalCount: 10, FileName: "f-" + string(tt.kind)})
			var got []event.Status
			for range 3 {
				st, err := client.Get(context.Background(), ref)
				if err != nil {
					t.Fatal(err)
				}
				got = append(got, st)
			}
			if got[0].State != tt.first || got[1].State != event.Exporting || got[2].State != event.Success {
				t.Fatalf("states %s, %s, %s; want %s, exporting, success", got[0].State, got[1].State, got[2].State, tt.first)
			}
			if got[1].Progress != 50 || (tt.hasCurrent && got[1].CurrentCount != 5) {
				t.Errorf("half way: progress %d, current %d; want 50 and 5", got[1].Progress, got[1].CurrentCount)
			}
			if st := got[2]; st.TotalCount != 10 || st.CurrentCount != 10 || st.FileName != "f-"+string(tt.kind) || st.Link == "" || st.Ref != ref {
				t.Errorf("final status %+v", st)
			}
			if !strings.Contains(string(got[2].Raw), tt.statusKey) {
				t.Errorf("raw %s lacks %s", got[2].Raw, tt.statusKey)
			}
			for _, c := range sim.Calls() {
				if c.Action != tt.action || c.Ref.Kind != tt.kind || c.Ref.ID != 52 || c.HTTPStatus != 200 {
					t.Errorf("call %+v, want %s of %s:52 answered 200", c, tt.action, tt.kind)
				}
			}
		})
	}
}

func TestGetSendsTheMemberAccountOnlyForAssets(t *testing.T) {
	sim, client := start(t, sassim.Options{}, exports.Config{Account: 111})
	refs := []event.Ref{
		{Kind: event.Asset, ID: 1},               // the configured account
		{Kind: event.Asset, ID: 2, Account: 222}, // its own
		{Kind: event.Vul, ID: 3},                 // none: the API takes none
	}
	for _, ref := range refs {
		st, err := client.Get(context.Background(), ref)
		if err != nil {
			t.Fatal(err)
		}
		if st.Ref != ref {
			t.Errorf("status ref %v, want %v as given", st.Ref, ref)
		}
	}
	calls := sim.Calls()
	want := []int64{111, 222, 0}
	for i, c := range calls {
		if c.Ref.Account != want[i] {
			t.Errorf("call %d (%v) sent account %d, want %d", i, c.Ref, c.Ref.Account, want[i])
		}
	}
}

func TestGetFaults(t *testing.T) {
	tests := []struct {
		name      string
		ref       event.Ref
		export    sassim.Export
		code      string
		status    int
		retryable bool
		calls     int // calls the simulator saw; the client makes at most 3
		succeeds  bool
	}{
		{name: "no permission is not retried", export: sassim.Export{Fault: sassim.Fault{Code: "NoPermission"}},
			code: "NoPermission", status: 403, calls: 1},
		{name: "resource directory check is not retried", export: sassim.Export{Fault: sassim.Fault{Code: "RdCheckNoPermission"}},
			code: "RdCheckNoPermission", status: 400, calls: 1},
		{name: "invalid parameter is not retried", export: sassim.Export{Fault: sassim.Fault{Code: "InvalidParameter"}},
			code: "InvalidParameter", status: 400, calls: 1},
		{name: "server error is retried until attempts run out", export: sassim.Export{Fault: sassim.Fault{Code: "ServerError"}},
			code: "ServerError", status: 500, retryable: true, calls: 3},
		{name: "resource directory inner error is retried", export: sassim.Export{Fault: sassim.Fault{Code: "RdCheckInnerError"}},
			code: "RdCheckInnerError", status: 500, retryable: true, calls: 3},
		{name: "throttling is retried then succeeds", export: sassim.Export{Steps: 1, Fault: sassim.Fault{Code: "Throttling", Times: 2}},
			calls: 3, succeeds: true},
		{name: "user throttling is retried", export: sassim.Export{Fault: sassim.Fault{Code: "Throttling.User"}},
			code: "Throttling.User", status: 400, retryable: true, calls: 3},
		{name: "service unavailable is retried then succeeds", export: sassim.Export{Steps: 1, Fault: sassim.Fault{Code: "ServiceUnavailable", Times: 1}},
			calls: 2, succeeds: true},
		{name: "a dropped connection is retried then succeeds", export: sassim.Export{Steps: 1, Fault: sassim.Fault{Drop: true, Times: 2}},
			calls: 3, succeeds: true},
		{name: "a connection dropped every time fails", export: sassim.Export{Fault: sassim.Fault{Drop: true}},
			code: exports.CodeConnectionFailed, retryable: true, calls: 3},
		{name: "garbage with 200 is an invalid response", export: sassim.Export{Fault: sassim.Fault{Body: "<html>hello</html>"}},
			code: exports.CodeInvalidResponse, status: 200, calls: 1},
		{name: "a gateway page with 502 is retried", export: sassim.Export{Fault: sassim.Fault{Body: "<html>Bad Gateway</html>", HTTPStatus: 502}},
			code: exports.CodeInvalidResponse, status: 502, retryable: true, calls: 3},
		{name: "a failed suspEvent export", ref: event.Ref{Kind: event.SuspEvent, ID: 9}, export: sassim.Export{Steps: 1, Fail: true},
			code: exports.CodeExportFailed, status: 200, calls: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sim, client := start(t, sassim.Options{}, exports.Config{MaxAttempts: 3})
			ref := tt.ref
			if ref.ID == 0 {
				ref = event.Ref{Kind: event.Asset, ID: 77}
			}
			tt.export.Ref = ref
			sim.Add(tt.export)
			st, err := client.Get(context.Background(), ref)
			if n := len(sim.Calls()); n != tt.calls {
				t.Errorf("simulator saw %d calls, want %d", n, tt.calls)
			}
			if tt.succeeds {
				if err != nil || st.State != event.Success {
					t.Fatalf("Get = %+v, %v; want success", st, err)
				}
				return
			}
			var e *exports.Error
			if !errors.As(err, &e) {
				t.Fatalf("Get error %v (%T), want *exports.Error", err, err)
			}
			if e.Code != tt.code || e.HTTPStatus != tt.status || e.Retryable != tt.retryable || e.Ref != ref {
				t.Errorf("error %+v; want code %s, HTTP %d, retryable %v", e, tt.code, tt.status, tt.retryable)
			}
			if e.Attempts != tt.calls {
				t.Errorf("attempts %d, want %d", e.Attempts, tt.calls)
			}
			if tt.status >= 400 && tt.code != exports.CodeInvalidResponse && e.RequestID == "" {
				t.Errorf("no request ID in %v", e)
			}
			msg := e.Error()
			if strings.Contains(msg, "\n") || !strings.Contains(msg, ref.String()) || !strings.Contains(msg, tt.code) {
				t.Errorf("message %q: want one line naming %s and %s", msg, ref, tt.code)
			}
			if f := e.Failure(); f.Code != tt.code || f.HTTPStatus != tt.status {
				t.Errorf("failure %+v", f)
			}
		})
	}
}

func TestGetIsRefusedWithWrongCredentials(t *testing.T) {
	tests := []struct {
		name   string
		creds  credential.Credentials
		code   string
		status int
	}{
		{"wrong secret", credential.Credentials{AccessKeyID: sassim.DemoAccessKeyID, AccessKeySecret: "not-the-secret"}, "SignatureDoesNotMatch", 400},
		{"unknown AccessKey", credential.Credentials{AccessKeyID: "LTAIunknown", AccessKeySecret: sassim.DemoAccessKeySecret}, "InvalidAccessKeyId.NotFound", 404},
		{"token where none is expected", credential.Credentials{AccessKeyID: sassim.DemoAccessKeyID, AccessKeySecret: sassim.DemoAccessKeySecret, SecurityToken: "sts-token"}, "InvalidSecurityToken.MismatchWithAccessKey", 400},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sim, client := start(t, sassim.Options{}, exports.Config{Credentials: credential.Static(tt.creds)})
			_, err := client.Get(context.Background(), event.Ref{Kind: event.Asset, ID: 1})
			var e *exports.Error
			if !errors.As(err, &e) || e.Code != tt.code || e.HTTPStatus != tt.status || e.Retryable || e.RequestID == "" {
				t.Fatalf("Get error %+v, want %s (HTTP %d) with a request ID, not retried", err, tt.code, tt.status)
			}
			if len(sim.Calls()) != 1 {
				t.Errorf("%d calls, want 1", len(sim.Calls()))
			}
			if strings.Contains(err.Error(), tt.creds.AccessKeySecret) || (tt.creds.SecurityToken != "" && strings.Contains(err.Error(), tt.creds.SecurityToken)) {
				t.Errorf("error %q holds a secret", err)
			}
		})
	}
}

func TestGetCarriesTheSTSTokenFromTheContext(t *testing.T) {
	sts := credential.Credentials{AccessKeyID: "STS.invocation", AccessKeySecret: "sts-secret", SecurityToken: "sts-token-of-this-invocation"}
	sim, client := start(t, sassim.Options{AccessKeyID: sts.AccessKeyID, AccessKeySecret: sts.AccessKeySecret, SecurityToken: sts.SecurityToken},
		exports.Config{Credentials: credential.Static{AccessKeyID: "LTAIstatic", AccessKeySecret: "static-secret"}})
	ctx := credential.WithContext(context.Background(), sts)
	if _, err := client.Get(ctx, event.Ref{Kind: event.Vul, ID: 5}); err != nil {
		t.Fatal(err)
	}
	calls := sim.Calls()
	if len(calls) != 1 || calls[0].AccessKeyID != sts.AccessKeyID || calls[0].SecurityToken != sts.SecurityToken {
		t.Fatalf("calls %+v, want one signed by %s carrying its token", calls, sts.AccessKeyID)
	}

	// Without the context's credentials the static ones sign, and the
	// simulator, expecting STS, refuses them.
	_, err := client.Get(context.Background(), event.Ref{Kind: event.Vul, ID: 5})
	var e *exports.Error
	if !errors.As(err, &e) || e.Code != "InvalidAccessKeyId.NotFound" {
		t.Fatalf("Get without STS credentials: %v, want InvalidAccessKeyId.NotFound", err)
	}

	// The right AccessKey without its token is refused too.
	noToken := sts
	noToken.SecurityToken = ""
	_, err = client.Get(credential.WithContext(context.Background(), noToken), event.Ref{Kind: event.Vul, ID: 5})
	if !errors.As(err, &e) || e.Code != "InvalidSecurityToken.Malformed" || e.HTTPStatus != 400 {
		t.Fatalf("Get without the token: %v, want InvalidSecurityToken.Malformed", err)
	}
}

func TestGetWithoutCredentials(t *testing.T) {
	sim, client := start(t, sassim.Options{}, exports.Config{Credentials: credential.Static{}})
	_, err := client.Get(context.Background(), event.Ref{Kind: event.Asset, ID: 1})
	var e *exports.Error
	if !errors.As(err, &e) || e.Code != exports.CodeMissingCredentials || !errors.Is(err, credential.ErrMissing) {
		t.Fatalf("Get error %v, want MissingCredentials wrapping credential.ErrMissing", err)
	}
	if !strings.Contains(err.Error(), "ALIBABA_CLOUD_ACCESS_KEY_ID") {
		t.Errorf("error %q does not say what to set", err)
	}
	if n := len(sim.Calls()); n != 0 {
		t.Errorf("%d calls made without credentials", n)
	}
}

func TestGetRejectsBadReferences(t *testing.T) {
	sim, client := start(t, sassim.Options{}, exports.Config{})
	for _, ref := range []event.Ref{{Kind: event.Asset, ID: 0}, {Kind: "nope", ID: 1}, {Kind: event.Vul, ID: 1, Account: 5}, {Kind: event.SuspEvent, ID: 1 << 40}} {
		_, err := client.Get(context.Background(), ref)
		var e *exports.Error
		if !errors.As(err, &e) || e.Code != exports.CodeInvalidExportRef {
			t.Errorf("Get(%v) = %v, want InvalidExportRef", ref, err)
		}
	}
	if n := len(sim.Calls()); n != 0 {
		t.Errorf("%d calls made for bad references", n)
	}
}

func TestGetRespectsTheDeadline(t *testing.T) {
	t.Run("a slow answer", func(t *testing.T) {
		sim, client := start(t, sassim.Options{}, exports.Config{})
		sim.Add(sassim.Export{Ref: event.Ref{Kind: event.Asset, ID: 3}, Fault: sassim.Fault{Latency: time.Minute}})
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		defer cancel()
		begun := time.Now()
		_, err := client.Get(ctx, event.Ref{Kind: event.Asset, ID: 3})
		var e *exports.Error
		if !errors.As(err, &e) || e.Code != exports.CodeTimeout || !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Get error %v, want Timeout wrapping context.DeadlineExceeded", err)
		}
		if waited := time.Since(begun); waited > 30*time.Second {
			t.Fatalf("Get waited %s for a one-minute answer despite a 100ms deadline", waited)
		}
	})
	t.Run("no retry that would end after it", func(t *testing.T) {
		sim, client := start(t, sassim.Options{}, exports.Config{BaseBackoff: time.Hour, MaxBackoff: time.Hour})
		sim.Add(sassim.Export{Ref: event.Ref{Kind: event.Asset, ID: 4}, Fault: sassim.Fault{Code: "Throttling"}})
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_, err := client.Get(ctx, event.Ref{Kind: event.Asset, ID: 4})
		var e *exports.Error
		if !errors.As(err, &e) || e.Code != "Throttling" || e.Attempts != 1 {
			t.Fatalf("Get error %+v, want Throttling after 1 attempt", err)
		}
		if ctx.Err() != nil {
			t.Fatalf("Get waited out the deadline instead of returning the last error")
		}
		if n := len(sim.Calls()); n != 1 {
			t.Errorf("%d calls, want 1", n)
		}
	})
	t.Run("a cancelled context", func(t *testing.T) {
		sim, client := start(t, sassim.Options{}, exports.Config{})
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		_, err := client.Get(ctx, event.Ref{Kind: event.Asset, ID: 5})
		var e *exports.Error
		if !errors.As(err, &e) || e.Code != exports.CodeCanceled || !errors.Is(err, context.Canceled) {
			t.Fatalf("Get error %v, want Canceled", err)
		}
		if n := len(sim.Calls()); n != 0 {
			t.Errorf("%d calls served for a cancelled context", n)
		}
	})
}

func TestGetIsSafeForConcurrentUse(t *testing.T) {
	sim, client := start(t, sassim.Options{Steps: 1}, exports.Config{})
	const n = 64
	errs := make(chan error, n)
	for i := range n {
		go func() {
			ctx := context.Background()
			if i%2 == 1 { // two distinct credentials, so two SDK clients in use at once
				ctx = credential.WithContext(ctx, credential.Credentials(demoCreds))
			}
			st, err := client.Get(ctx, event.Ref{Kind: event.Kinds()[i%5], ID: int64(i + 1)})
			if err == nil && st.State != event.Success {
				err = errors.New("not success: " + string(st.State))
			}
			errs <- err
		}()
	}
	for range n {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
	if got := len(sim.Calls()); got != n {
		t.Errorf("%d calls, want %d", got, n)
	}
}

func BenchmarkGet(b *testing.B) {
	_, client := start(b, sassim.Options{Steps: 1}, exports.Config{})
	ref := event.Ref{Kind: event.Asset, ID: 131231}
	ctx := context.Background()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := client.Get(ctx, ref); err != nil {
				b.Fatal(err)
			}
		}
	})
}
