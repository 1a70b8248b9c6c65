package fcruntime

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Fake STS credentials; the function echoes the secret parts as digests only.
const (
	testKeyID  = "STS.NTest0000000000000000"
	testSecret = "test-secret-0123456789abcdef"
	testToken  = "CAIS-test-security-token"
)

func sha(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

func timerEvent(payload string) []byte {
	b, err := json.Marshal(map[string]string{
		"triggerTime": "2026-11-25T07:49:00Z",
		"triggerName": "every-5m",
		"payload":     payload,
	})
	if err != nil {
		panic(err)
	}
	return b
}

func fullInvocation(event []byte) Invocation {
	return Invocation{
		Event:           event,
		Timeout:         60 * time.Second,
		AccessKeyID:     testKeyID,
		AccessKeySecret: testSecret,
		SecurityToken:   testToken,
		Region:          "cn-shanghai",
		AccountID:       "1234567890123456",
		FunctionName:    "export-notifier",
		RetryCount:      2,
	}
}

// TestSDKServesInvocations runs the test function under the real SDK and
// invokes it as a timer trigger would: a success that sees the whole FC
// context, an error, a panic, and a success after the panic.
func TestSDKServesInvocations(t *testing.T) {
	srv := New()
	t.Cleanup(srv.Close)
	fn := startFunction(t, srv, "timer")

	t.Run("success sees the invocation's context", func(t *testing.T) {
		before := time.Now()
		res := invoke(t, srv, fullInvocation(timerEvent("131231, vul:52")))
		after := time.Now()
		if res.IsError {
			t.Fatalf("IsError, want a result: %s %s\nfunction output:\n%s", res.ErrorType, res.ErrorMessage, fn.out)
		}
		got := decode(t, res.Body)
		for key, want := range map[string]any{
			"hasFcContext":          true,
			"requestId":             res.RequestID,
			"accessKeyId":           testKeyID,
			"accessKeySecretSha256": sha(testSecret),
			"securityTokenSha256":   sha(testToken),
			"region":                "cn-shanghai",
			"accountId":             "1234567890123456",
			"functionName":          "export-notifier",
			"functionHandler":       FunctionHandler,
			"functionMemory":        FunctionMemory,
			"functionTimeout":       float64(60),
			"qualifier":             Qualifier,
			"retryCount":            float64(2),
			"hasPayload":            true,
			"payload":               "131231, vul:52",
			"triggerName":           "every-5m",
			"triggerTime":           "2026-11-25T07:49:00Z",
			"deadlineInFuture":      true,
		} {
			if got[key] != want {
				t.Errorf("%s = %#v, want %#v", key, got[key], want)
			}
		}
		if res.RequestID == "" {
			t.Errorf("Result.RequestID is empty")
		}
		deadline, _ := got["deadlineUnixMilli"].(float64)
		lo, hi := before.Add(60*time.Second).UnixMilli(), after.Add(60*time.Second).UnixMilli()
		if int64(deadline) < lo || int64(deadline) > hi {
			t.Errorf("context deadline %d ms, want between %d and %d (invocation time + timeout)", int64(deadline), lo, hi)
		}
		if bytes.Contains(res.Body, []byte(testSecret)) || bytes.Contains(res.Body, []byte(testToken)) {
			t.Errorf("the result carries a secret")
		}
	})

	t.Run("a bare payload object is lost on a TimerEvent handler", func(t *testing.T) {
		// A direct invocation may send the payload object itself: TimerEvent
		// ignores the unknown "exports" field and sees no payload at all.
		res := invoke(t, srv, fullInvocation([]byte(`{"exports": [131231, "vul:52"]}`)))
		if res.IsError {
			t.Fatalf("IsError: %s %s", res.ErrorType, res.ErrorMessage)
		}
		if got := decode(t, res.Body); got["hasPayload"] != false || got["payload"] != nil {
			t.Errorf("hasPayload = %v, payload = %v; want false, nil", got["hasPayload"], got["payload"])
		}
	})

	t.Run("returned error", func(t *testing.T) {
		res := invoke(t, srv, fullInvocation(timerEvent("fail")))
		if !res.IsError || res.ErrorMessage != "payload asked to fail" || res.ErrorType != "errorString" {
			t.Errorf("got IsError=%v message=%q type=%q, want true, %q, errorString", res.IsError, res.ErrorMessage, res.ErrorType, "payload asked to fail")
		}
	})

	t.Run("returned messages.InvokeResponse_Error sets errorType", func(t *testing.T) {
		res := invoke(t, srv, fullInvocation(timerEvent("typed-error")))
		if !res.IsError || res.ErrorMessage != "payload asked for a typed error" || res.ErrorType != "InvalidInput" {
			t.Errorf("got IsError=%v message=%q type=%q, want true, %q, InvalidInput", res.IsError, res.ErrorMessage, res.ErrorType, "payload asked for a typed error")
		}
	})

	t.Run("panic becomes an error", func(t *testing.T) {
		res := invoke(t, srv, fullInvocation(timerEvent("panic")))
		if !res.IsError || res.ErrorMessage != "payload asked to panic" || res.ErrorType != "string" {
			t.Errorf("got IsError=%v message=%q type=%q, want true, %q, string", res.IsError, res.ErrorMessage, res.ErrorType, "payload asked to panic")
		}
		var body struct {
			StackTrace []json.RawMessage `json:"stackTrace"`
		}
		if err := json.Unmarshal(res.Body, &body); err != nil || len(body.StackTrace) == 0 {
			t.Errorf("a panic's error body has no stackTrace (err %v): %s", err, res.Body)
		}
	})

	t.Run("the process serves on after a panic", func(t *testing.T) {
		res := invoke(t, srv, fullInvocation(timerEvent("after the panic")))
		if res.IsError {
			t.Fatalf("IsError: %s %s", res.ErrorType, res.ErrorMessage)
		}
		if got := decode(t, res.Body); got["payload"] != "after the panic" {
			t.Errorf("payload = %v", got["payload"])
		}
	})

	t.Run("missing credentials and metadata stay empty", func(t *testing.T) {
		res := invoke(t, srv, Invocation{Event: timerEvent("bare")})
		if res.IsError {
			t.Fatalf("IsError: %s %s", res.ErrorType, res.ErrorMessage)
		}
		got := decode(t, res.Body)
		for _, key := range []string{"accessKeyId", "accessKeySecretSha256", "securityTokenSha256", "region", "accountId", "functionName"} {
			if got[key] != "" {
				t.Errorf("%s = %#v, want empty", key, got[key])
			}
		}
		if got["functionTimeout"] != float64(DefaultTimeout/time.Second) {
			t.Errorf("functionTimeout = %v, want the default %v", got["functionTimeout"], DefaultTimeout)
		}
	})
}

// TestSDKConcurrentInvocations checks that overlapping invocations each get
// their own answer: the SDK runs each in its own goroutine.
func TestSDKConcurrentInvocations(t *testing.T) {
	srv := New()
	t.Cleanup(srv.Close)
	startFunction(t, srv, "timer")

	const n = 8
	var wg sync.WaitGroup
	results := make([]Result, n)
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() {
			results[i], errs[i] = srv.Invoke(context.Background(), fullInvocation(timerEvent(fmt.Sprintf("call-%d", i))))
		})
	}
	wg.Wait()
	seen := map[string]bool{}
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("invocation %d: %v", i, errs[i])
		}
		got := decode(t, results[i].Body)
		if want := fmt.Sprintf("call-%d", i); got["payload"] != want {
			t.Errorf("invocation %d got the answer for %v", i, got["payload"])
		}
		if got["requestId"] != results[i].RequestID || seen[results[i].RequestID] {
			t.Errorf("invocation %d: request ID %v (result's %s) not its own", i, got["requestId"], results[i].RequestID)
		}
		seen[results[i].RequestID] = true
	}
}

// TestSDKTimeout checks that an invocation the function does not finish by
// its deadline fails as on FC, and that the next one is served.
func TestSDKTimeout(t *testing.T) {
	srv := New()
	t.Cleanup(srv.Close)
	startFunction(t, srv, "timer")

	hang := fullInvocation(timerEvent("hang"))
	hang.Timeout = time.Second
	res := invoke(t, srv, hang)
	if !res.IsError || res.ErrorType != ErrorTypeTimeout || res.ErrorMessage != "Function timed out after 1 seconds" {
		t.Errorf("got IsError=%v type=%q message=%q, want a %s", res.IsError, res.ErrorType, res.ErrorMessage, ErrorTypeTimeout)
	}
	res = invoke(t, srv, fullInvocation(timerEvent("next")))
	if res.IsError {
		t.Fatalf("the invocation after a timeout failed: %s %s", res.ErrorType, res.ErrorMessage)
	}
}

// TestSDKEventTypes shows how each handler event type receives the forms of
// event the function may get: one process per event type serves its cases.
func TestSDKEventTypes(t *testing.T) {
	type eventCase struct {
		event        string
		wantEvent    string // echoed event, when the handler ran
		wantErrType  string // errorType, when the SDK could not decode the event
		wantErrInMsg string
	}
	for _, tc := range []struct {
		mode  string
		cases []eventCase
	}{
		{"bytes", []eventCase{
			{event: string(timerEvent("131231")), wantEvent: string(timerEvent("131231"))},
			{event: `{"exports": [131231]}`, wantEvent: `{"exports": [131231]}`},
			{event: `131231, vul:52`, wantEvent: `131231, vul:52`},
			{event: ``, wantEvent: ``},
		}},
		{"rawjson", []eventCase{
			{event: `{"exports": [131231]}`, wantEvent: `{"exports": [131231]}`},
			{event: `131231, vul:52`, wantErrType: "SyntaxError", wantErrInMsg: "invalid character"},
			{event: ``, wantErrType: "SyntaxError", wantErrInMsg: "unexpected end of JSON input"},
		}},
		{"timer", []eventCase{
			{event: `"131231"`, wantErrType: "UnmarshalTypeError", wantErrInMsg: "events.TimerEvent"},
			{event: ``, wantErrType: "SyntaxError", wantErrInMsg: "unexpected end of JSON input"},
		}},
	} {
		t.Run(tc.mode, func(t *testing.T) {
			srv := New()
			t.Cleanup(srv.Close)
			startFunction(t, srv, tc.mode)
			for _, c := range tc.cases {
				res := invoke(t, srv, fullInvocation([]byte(c.event)))
				if c.wantErrType != "" {
					if !res.IsError || res.ErrorType != c.wantErrType || !strings.Contains(res.ErrorMessage, c.wantErrInMsg) {
						t.Errorf("event %q: got IsError=%v type=%q message=%q, want %s mentioning %q", c.event, res.IsError, res.ErrorType, res.ErrorMessage, c.wantErrType, c.wantErrInMsg)
					}
					continue
				}
				if res.IsError {
					t.Errorf("event %q: IsError: %s %s", c.event, res.ErrorType, res.ErrorMessage)
					continue
				}
				if got := decode(t, res.Body)["event"]; got != c.wantEvent {
					t.Errorf("handler saw %q, want %q", got, c.wantEvent)
				}
			}
		})
	}
}

// TestProtocol drives the API with a plain HTTP client, as the SDK does.
func TestProtocol(t *testing.T) {
	srv := New()
	t.Cleanup(srv.Close)
	base := "http://" + srv.Addr() + "/" + APIVersion + "/runtime/invocation/"

	type answer struct {
		res Result
		err error
	}
	invokeAsync := func(in Invocation) <-chan answer {
		ch := make(chan answer, 1)
		go func() {
			res, err := srv.Invoke(context.Background(), in)
			ch <- answer{res, err}
		}()
		return ch
	}

	t.Run("next waits for an invocation and carries its metadata", func(t *testing.T) {
		got := make(chan *http.Response, 1)
		go func() {
			resp, err := http.Get(base + "next")
			if err != nil {
				t.Error(err)
				close(got)
				return
			}
			got <- resp
		}()
		select {
		case <-got:
			t.Fatal("next answered with nothing queued")
		case <-time.After(50 * time.Millisecond):
		}
		in := fullInvocation([]byte(`{"raw": true}`))
		in.Timeout = 1500 * time.Millisecond
		done := invokeAsync(in)
		resp := <-got
		if resp == nil {
			t.FailNow()
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || string(body) != `{"raw": true}` {
			t.Fatalf("next: %d %q", resp.StatusCode, body)
		}
		h := resp.Header
		for name, want := range map[string]string{
			"x-fc-function-timeout":  "2", // rounded up to whole seconds
			"x-fc-access-key-id":     testKeyID,
			"x-fc-access-key-secret": testSecret,
			"x-fc-security-token":    testToken,
			"x-fc-region":            "cn-shanghai",
			"x-fc-account-id":        "1234567890123456",
			"x-fc-function-name":     "export-notifier",
			"x-fc-function-handler":  FunctionHandler,
			"x-fc-function-memory":   FunctionMemory,
			"x-fc-qualifier":         Qualifier,
			"x-fc-retry-count":       "2",
			"x-fc-function-type":     "0",
		} {
			if got := h.Get(name); got != want {
				t.Errorf("%s = %q, want %q", name, got, want)
			}
		}
		if _, err := strconv.ParseInt(h.Get("x-fc-function-deadline"), 10, 64); err != nil {
			t.Errorf("x-fc-function-deadline %q is not epoch milliseconds", h.Get("x-fc-function-deadline"))
		}
		id := h.Get("x-fc-request-id")
		if id == "" {
			t.Fatal("no x-fc-request-id")
		}

		if code := post(t, base+id+"/response", `{"ok": true}`); code != http.StatusOK {
			t.Fatalf("POST response: %d", code)
		}
		a := <-done
		if a.err != nil || a.res.IsError || string(a.res.Body) != `{"ok": true}` || a.res.RequestID != id {
			t.Errorf("Invoke = %+v, %v", a.res, a.err)
		}
		if code := post(t, base+id+"/response", `{"again": true}`); code != http.StatusNotFound {
			t.Errorf("a second answer: %d, want 404", code)
		}
		if code := post(t, base+id+"/error", `{}`); code != http.StatusNotFound {
			t.Errorf("an error after the answer: %d, want 404", code)
		}
	})

	t.Run("an error body that is not JSON is kept as the message", func(t *testing.T) {
		done := invokeAsync(Invocation{Event: []byte("x")})
		id := nextID(t, base)
		if code := post(t, base+id+"/error", "plain failure"); code != http.StatusOK {
			t.Fatalf("POST error: %d", code)
		}
		a := <-done
		if a.err != nil || !a.res.IsError || a.res.ErrorMessage != "plain failure" || a.res.ErrorType != "" {
			t.Errorf("Invoke = %+v, %v", a.res, a.err)
		}
	})

	t.Run("bad requests", func(t *testing.T) {
		for _, tc := range []struct {
			method, path string
			want         int
		}{
			{http.MethodPost, "no-such-id/response", http.StatusNotFound},
			{http.MethodPost, "next", http.StatusMethodNotAllowed},
			{http.MethodGet, "some-id/response", http.StatusMethodNotAllowed},
			{http.MethodPost, "some-id/result", http.StatusNotFound},
			{http.MethodGet, "../../2016-08-15/proxy", http.StatusNotFound},
		} {
			req, _ := http.NewRequest(tc.method, base+tc.path, strings.NewReader("{}"))
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tc.want {
				t.Errorf("%s %s: %d, want %d", tc.method, tc.path, resp.StatusCode, tc.want)
			}
		}
	})

	t.Run("Invoke returns when its context ends", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if _, err := srv.Invoke(ctx, Invocation{Event: []byte("x")}); !errors.Is(err, context.Canceled) {
			t.Errorf("err = %v, want context.Canceled", err)
		}
	})
}

// TestClose checks that closing releases a waiting Invoke and a blocked next.
func TestClose(t *testing.T) {
	srv := New()
	base := "http://" + srv.Addr() + "/" + APIVersion + "/runtime/invocation/"

	nextDone := make(chan int, 1)
	go func() {
		resp, err := http.Get(base + "next")
		if err != nil {
			nextDone <- -1
			return
		}
		resp.Body.Close()
		nextDone <- resp.StatusCode
	}()
	// The Invoke may or may not be handed to that next before Close: either
	// way it must end with ErrClosed.
	invokeDone := make(chan error, 1)
	go func() {
		_, err := srv.Invoke(context.Background(), Invocation{Event: []byte("x")})
		invokeDone <- err
	}()
	time.Sleep(20 * time.Millisecond)
	srv.Close()
	if err := <-invokeDone; !errors.Is(err, ErrClosed) {
		t.Errorf("Invoke after Close: %v, want ErrClosed", err)
	}
	if code := <-nextDone; code != http.StatusOK && code != http.StatusServiceUnavailable && code != -1 {
		t.Errorf("next after Close: %d", code)
	}
	if _, err := srv.Invoke(context.Background(), Invocation{}); !errors.Is(err, ErrClosed) {
		t.Errorf("Invoke on a closed server: %v, want ErrClosed", err)
	}
	srv.Close() // a second Close is harmless
}

// --- helpers ---

func invoke(t *testing.T, srv *Server, in Invocation) Result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	res, err := srv.Invoke(ctx, in)
	if err != nil {
		t.Fatalf("Invoke: %v", err)
	}
	return res
}

func decode(t *testing.T, body []byte) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(body, &m); err != nil {
		t.Fatalf("result %q is not a JSON object: %v", body, err)
	}
	return m
}

func post(t *testing.T, url, body string) int {
	t.Helper()
	resp, err := http.Post(url, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func nextID(t *testing.T, base string) string {
	t.Helper()
	resp, err := http.Get(base + "next")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.Header.Get("x-fc-request-id")
}

// function is a running build of testdata/fn.
type function struct {
	out *syncBuffer
}

// startFunction builds testdata/fn and runs it against srv as FC would run
// the go1 binary; it is killed when the test ends, before srv closes.
func startFunction(t *testing.T, srv *Server, mode string) *function {
	t.Helper()
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the go tool is needed to build testdata/fn: %v", err)
	}
	bin := filepath.Join(t.TempDir(), "fn")
	build := exec.Command(goTool, "build", "-o", bin, "./testdata/fn")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build testdata/fn: %v\n%s", err, out)
	}
	fn := &function{out: &syncBuffer{}}
	cmd := exec.Command(bin)
	cmd.Env = append(os.Environ(), "FC_RUNTIME_API="+srv.Addr(), "FN_EVENT="+mode)
	cmd.Stdout, cmd.Stderr = fn.out, fn.out
	if err := cmd.Start(); err != nil {
		t.Fatalf("start testdata/fn: %v", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		select {
		case err := <-exited:
			t.Errorf("the function process exited early (%v):\n%s", err, fn.out)
		default:
			_ = cmd.Process.Kill()
			<-exited
		}
		if t.Failed() {
			t.Logf("function output:\n%s", fn.out)
		}
	})
	return fn
}

// syncBuffer collects a process's output while the test reads it.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
