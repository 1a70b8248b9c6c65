// Package fcruntime is a local Function Compute runtime API for tests: a
// process started with FC_RUNTIME_API set to Server.Addr and calling
// fc.Start (github.com/aliyun/fc-runtime-go-sdk v0.3.1) serves the
// invocations that Server.Invoke queues, as it would on FC.
//
// It speaks what that SDK speaks:
//
//   - GET /2020-11-11/runtime/invocation/next blocks until an invocation is
//     queued (the SDK retries a failed next at once, without backoff, so
//     waiting never errors) and answers 200 with the raw event as the body
//     and the invocation's metadata in x-fc-* headers;
//   - POST /2020-11-11/runtime/invocation/{id}/response completes it with the
//     handler's JSON result;
//   - POST /2020-11-11/runtime/invocation/{id}/error completes it with
//     {"errorMessage", "errorType", "stackTrace"}.
//
// An invocation that is not completed by its deadline ends, as on FC, with
// an error result (ErrorType "FunctionTimeout"); a late answer is refused.
// The server logs nothing, so the credentials it hands out appear nowhere.
package fcruntime

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"time"
)

// APIVersion is the path prefix of the runtime API the SDK calls.
const APIVersion = "2020-11-11"

// DefaultTimeout applies to an Invocation whose Timeout is zero; it is the
// timeout s.yaml gives the function.
const DefaultTimeout = 60 * time.Second

// Values of the function's own metadata headers; the SDK passes them to the
// handler in fccontext.FcContext.Function and .Service.
const (
	FunctionHandler = "main"
	FunctionMemory  = "128"
	Qualifier       = "LATEST"
)

// maxResultBytes caps a response or error body, far above FC's own limit.
const maxResultBytes = 32 << 20

// ErrClosed is returned by Invoke once the server is closed.
var ErrClosed = errors.New("fcruntime: server closed")

// ErrorTypeTimeout is the ErrorType of an invocation that the function did
// not complete before its deadline.
const ErrorTypeTimeout = "FunctionTimeout"

// Invocation is one call of the function, as FC would make it.
type Invocation struct {
	// Event is the body the function receives: a timer event
	// ({"triggerTime", "triggerName", "payload"}) or, for a direct
	// invocation, any bytes at all.
	Event []byte
	// Timeout sets the deadline (now + Timeout) and x-fc-function-timeout;
	// zero means DefaultTimeout. FC sends the timeout in whole seconds:
	// it is rounded up.
	Timeout time.Duration
	// The function role's STS credentials. Empty ones are not sent.
	AccessKeyID, AccessKeySecret, SecurityToken string
	// Region, AccountID and FunctionName become x-fc-region,
	// x-fc-account-id and x-fc-function-name; empty ones are not sent.
	Region, AccountID, FunctionName string
	// RetryCount is how often FC already retried this invocation.
	RetryCount int
}

// Result is how the function completed an invocation.
type Result struct {
	// RequestID is the invocation's x-fc-request-id.
	RequestID string
	// Body is what the function posted: its JSON result, or the JSON error.
	Body []byte
	// IsError reports a completion through /error (a returned error, a panic,
	// an event the handler could not decode) or a timeout.
	IsError bool
	// ErrorMessage and ErrorType are the error body's errorMessage and
	// errorType. The SDK sets errorType to the Go type name of the returned
	// error ("errorString" for errors.New, "wrapError" for fmt.Errorf with
	// %w) or of the panic value ("string" for panic("...")).
	ErrorMessage, ErrorType string
}

// Server is a runtime API for one function; several processes may poll it,
// as several instances of one function would. Its methods are safe for
// concurrent use.
type Server struct {
	queue  chan *invocation
	closed chan struct{}
	once   sync.Once
	http   *httptest.Server

	mu       sync.Mutex
	inflight map[string]*invocation // by request ID, queued or running
}

// invocation is an Invocation on its way through the server.
type invocation struct {
	Invocation
	id       string
	deadline time.Time
	timeout  time.Duration
	done     chan outcome // receives exactly one outcome; buffered
}

// New starts a runtime API on a loopback port. Close it when done, after
// stopping the function processes that poll it (the SDK polls again at once
// when the server goes away).
func New() *Server {
	s := NewHandler()
	s.http = httptest.NewServer(s)
	return s
}

// NewHandler returns a Server that is not listening: serve it with your own
// http.Server or httptest.Server (Addr is then empty).
func NewHandler() *Server {
	return &Server{
		queue:    make(chan *invocation),
		closed:   make(chan struct{}),
		inflight: map[string]*invocation{},
	}
}

// Addr is the host:port to put in the function's FC_RUNTIME_API.
func (s *Server) Addr() string {
	if s.http == nil {
		return ""
	}
	return s.http.Listener.Addr().String()
}

// Close ends every waiting Invoke with ErrClosed, releases blocked next
// requests and stops the listener started by New.
func (s *Server) Close() {
	s.once.Do(func() {
		close(s.closed)
		s.mu.Lock()
		for id, inv := range s.inflight {
			delete(s.inflight, id)
			inv.done <- outcome{err: ErrClosed}
		}
		s.mu.Unlock()
		if s.http != nil {
			s.http.Close()
		}
	})
}

// Invoke queues one invocation and waits until a function process completes
// it, its deadline passes, ctx ends or the server closes. A completion through
// /error, or a timeout, is a Result with IsError set, not an error: the error
// return is for an invocation that never completed (ctx ended, server
// closed). A function's answer after that is refused with 404, which the SDK
// only logs.
func (s *Server) Invoke(ctx context.Context, in Invocation) (Result, error) {
	timeout := in.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	id, err := newRequestID()
	if err != nil {
		return Result{}, err
	}
	inv := &invocation{
		Invocation: in,
		id:         id,
		deadline:   time.Now().Add(timeout),
		timeout:    timeout,
		done:       make(chan outcome, 1),
	}
	s.mu.Lock()
	select {
	case <-s.closed:
		s.mu.Unlock()
		return Result{}, ErrClosed
	default:
	}
	s.inflight[id] = inv
	s.mu.Unlock()

	timer := time.NewTimer(timeout)
	defer timer.Stop()
	queue := s.queue
	for {
		select {
		case queue <- inv:
			queue = nil // a function process has it: wait for its answer
		case o := <-inv.done:
			return o.Result, o.err
		case <-timer.C:
			// FC fails an invocation at its deadline, whatever the function
			// does later; unless the answer arrived at this very moment.
			msg := fmt.Sprintf("Function timed out after %d seconds", timeoutSeconds(timeout))
			s.finish(id, outcome{Result: Result{RequestID: id, IsError: true, ErrorMessage: msg, ErrorType: ErrorTypeTimeout}})
			o := <-inv.done
			return o.Result, o.err
		case <-ctx.Done():
			if s.remove(id) != nil {
				return Result{}, fmt.Errorf("fcruntime: invocation %s: %w", id, ctx.Err())
			}
			o := <-inv.done // completed at this very moment
			return o.Result, o.err
		}
	}
}

// outcome is how an invocation ended for its Invoke.
type outcome struct {
	Result
	err error
}

// remove takes an invocation out of flight, returning nil if it was not.
func (s *Server) remove(id string) *invocation {
	s.mu.Lock()
	defer s.mu.Unlock()
	inv, ok := s.inflight[id]
	if !ok {
		return nil
	}
	delete(s.inflight, id)
	return inv
}

// finish delivers o to the invocation's Invoke if it was still in flight,
// and reports whether it was: each invocation ends exactly once.
func (s *Server) finish(id string, o outcome) bool {
	inv := s.remove(id)
	if inv == nil {
		return false
	}
	inv.done <- o
	return true
}

// ServeHTTP serves the runtime API.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rest, ok := strings.CutPrefix(r.URL.Path, "/"+APIVersion+"/runtime/invocation/")
	if !ok {
		http.NotFound(w, r)
		return
	}
	if rest == "next" {
		if r.Method != http.MethodGet {
			w.Header().Set("Allow", http.MethodGet)
			http.Error(w, "next takes GET", http.StatusMethodNotAllowed)
			return
		}
		s.next(w, r)
		return
	}
	id, outcome, ok := strings.Cut(rest, "/")
	if !ok || id == "" || (outcome != "response" && outcome != "error") {
		http.NotFound(w, r)
		return
	}
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, outcome+" takes POST", http.StatusMethodNotAllowed)
		return
	}
	s.complete(w, r, id, outcome == "error")
}

// next hands the next queued invocation to a function process.
func (s *Server) next(w http.ResponseWriter, r *http.Request) {
	var inv *invocation
	select {
	case inv = <-s.queue:
	case <-r.Context().Done():
		return
	case <-s.closed:
		http.Error(w, "runtime API closed", http.StatusServiceUnavailable)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "application/octet-stream")
	h.Set("x-fc-request-id", inv.id)
	h.Set("x-fc-function-deadline", strconv.FormatInt(inv.deadline.UnixMilli(), 10))
	h.Set("x-fc-function-timeout", strconv.Itoa(timeoutSeconds(inv.timeout)))
	h.Set("x-fc-function-handler", FunctionHandler)
	h.Set("x-fc-function-memory", FunctionMemory)
	h.Set("x-fc-qualifier", Qualifier)
	h.Set("x-fc-retry-count", strconv.Itoa(inv.RetryCount))
	h.Set("x-fc-function-type", "0") // an ordinary invocation, not a lifecycle hook
	for name, value := range map[string]string{
		"x-fc-access-key-id":     inv.AccessKeyID,
		"x-fc-access-key-secret": inv.AccessKeySecret,
		"x-fc-security-token":    inv.SecurityToken,
		"x-fc-region":            inv.Region,
		"x-fc-account-id":        inv.AccountID,
		"x-fc-function-name":     inv.FunctionName,
	} {
		if value != "" {
			h.Set(name, value)
		}
	}
	h.Set("Content-Length", strconv.Itoa(len(inv.Event)))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(inv.Event) // a process that went away leaves the invocation to time out, as on FC
}

// errorBody is what the SDK posts to /error.
type errorBody struct {
	ErrorMessage string `json:"errorMessage"`
	ErrorType    string `json:"errorType"`
}

// complete records a function's answer to an invocation.
func (s *Server) complete(w http.ResponseWriter, r *http.Request, id string, isError bool) {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxResultBytes+1))
	if err != nil {
		http.Error(w, "read body: "+err.Error(), http.StatusBadRequest)
		return
	}
	if len(body) > maxResultBytes {
		http.Error(w, "body too large", http.StatusRequestEntityTooLarge)
		return
	}
	res := Result{RequestID: id, Body: body, IsError: isError}
	if isError {
		var eb errorBody
		if err := json.NewDecoder(bytes.NewReader(body)).Decode(&eb); err == nil {
			res.ErrorMessage, res.ErrorType = eb.ErrorMessage, eb.ErrorType
		} else {
			res.ErrorMessage = string(body)
		}
	}
	if !s.finish(id, outcome{Result: res}) {
		http.Error(w, "no invocation "+id+" in flight (unknown, already completed, or timed out)", http.StatusNotFound)
		return
	}
	w.WriteHeader(http.StatusOK)
}

// timeoutSeconds is the whole number of seconds FC would report, at least 1.
func timeoutSeconds(d time.Duration) int {
	return max(1, int((d+time.Second-1)/time.Second))
}

// newRequestID makes an ID shaped like FC's (a UUID).
func newRequestID() (string, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("fcruntime: request ID: %w", err)
	}
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32], nil
}
