// Package sassim is a Security Center (SAS 2018-12-03) simulator: a real
// HTTP server that the unchanged SAS SDK talks to, for tests, benchmarks and
// demos.
//
// It serves the five Describe*ExportInfo actions, each export moving from
// init through exporting (Progress and CurrentCount growing) to success
// with a FileName, a TotalCount and a presigned-looking Link on a fake OSS
// host. Unscripted export IDs succeed after Options.Steps calls; Add
// scripts an export's pace and faults (an API error code with its HTTP
// status for the first N calls, added latency, a dropped connection).
//
// Like Security Center it checks every request's ACS3-HMAC-SHA256
// signature, recomputed from the request as received; the AccessKey; the
// STS token when one is configured; the date; and that no nonce is used
// twice. It rejects with Security Center's codes and HTTP statuses
// (InvalidAccessKeyId.NotFound 404, SignatureDoesNotMatch 400,
// InvalidSecurityToken.* 400, SignatureNonceUsed 400, ...) and JSON error
// bodies carrying RequestId, Code and Message. Every call is recorded
// (Calls), rejected ones included.
//
// It also starts exports (ExportRecord, ExportVul, ExportSuspEvents): each
// start registers a new export under a new ID, which then progresses like
// an unscripted one; FailStarts scripts faults for starts.
//
// For multi-account management, SetMembers gives it the member accounts
// that DescribeMonitorAccounts lists, some of which it may refuse with
// RdCheckNoPermission when a start or a Describe call names them.
package sassim

import (
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/export-notifier/export-notifier/event"
)

// Demo credentials: the simulator accepts these unless Options says
// otherwise. They are not Alibaba Cloud credentials.
const (
	DemoAccessKeyID     = "sassim-demo-access-key-id"
	DemoAccessKeySecret = "sassim-demo-access-key-secret"
)

// APIVersion is the Security Center API version served.
const APIVersion = "2018-12-03"

// DefaultSteps is how many calls an unscripted export takes to succeed when
// Options.Steps is zero.
const DefaultSteps = 3

// MaxClockSkew is how far a request's x-acs-date may be from the
// simulator's clock.
const MaxClockSkew = 15 * time.Minute

// Options configure a Simulator.
type Options struct {
	// AccessKeyID and AccessKeySecret are the one AccessKey accepted;
	// empty means DemoAccessKeyID and DemoAccessKeySecret.
	AccessKeyID, AccessKeySecret string
	// SecurityToken, when set, must come with every request (as STS
	// credentials do); when empty, a request carrying a token is refused.
	SecurityToken string
	// Latency is added to every call.
	Latency time.Duration
	// Steps is how many calls an unscripted export takes to succeed; 0
	// means DefaultSteps.
	Steps int
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// OnCall, when set, is told about every call once it is answered (the
	// CLI logs them). It must not call back into the Simulator.
	OnCall func(Call)
	// MaxQPS, when positive, is Security Center's flow control: calls
	// beyond this rate are refused with Throttling (HTTP 400). The budget
	// refills at MaxQPS a second and holds at most one second's worth (at
	// least one call), so a client pacing itself at MaxQPS is never
	// refused while a burst above it is. Throttled counts the refusals.
	MaxQPS float64
}

// Export scripts one export. Exports are matched by kind and ID.
type Export struct {
	Ref event.Ref
	// Steps is how many successful calls the export takes to succeed
	// (the first reports init, the last success); 0 means Options.Steps.
	Steps int
	// Duration, when set, replaces Steps: the export succeeds this long
	// after StartAt, or after its first call when StartAt is zero, its
	// progress growing over time as Shape says.
	Duration time.Duration
	// StartAt, with Duration, is when the export starts: before it, it
	// reports init (pending for suspEvent) at 0%, whoever asks.
	StartAt time.Time
	// Shape is how a timed export's progress grows: Linear by default.
	Shape Shape
	// FileName and TotalCount default to values derived from the ID.
	FileName   string
	TotalCount int64
	// Stuck keeps the export from finishing: after its first call (init)
	// it reports exporting, at the same progress and count, forever.
	Stuck bool
	// Fail ends the export as "failed" instead of success; only the
	// suspEvent API has that status, so other kinds are Stuck instead.
	Fail  bool
	Fault Fault
}

// Fault is what goes wrong when an export is asked about.
type Fault struct {
	// Code is an API error code answered instead of the export's info;
	// HTTPStatus defaults to the code's usual status (NoPermission 403,
	// RdCheckNoPermission 400, ServerError 500, Throttling 400, ...).
	Code       string
	HTTPStatus int
	// Times limits the fault to the first Times calls; 0 means every call.
	Times int
	// Latency is added to each faulty call.
	Latency time.Duration
	// Drop closes the connection without an answer.
	Drop bool
	// Body, when set, is answered verbatim (HTTPStatus, default 200) in
	// place of JSON, to exercise a client's handling of garbage.
	Body string
}

// Call is one request the simulator served.
type Call struct {
	Action        string
	Ref           event.Ref // zero when the request was refused before it was read
	AccessKeyID   string
	SecurityToken string
	Nonce         string
	HTTPStatus    int    // 0 when the connection was dropped
	Code          string // error code answered, empty on success
	Status        string // export status answered, on success
	RequestID     string
	Time          time.Time
	// Params are a start's request parameters (ExportType, Lang, ...);
	// nil for the Describe*ExportInfo actions.
	Params url.Values
}

// Simulator is a Security Center endpoint; serve it with net/http or
// httptest. It is safe for concurrent use.
type Simulator struct {
	opts Options

	limiter *rate.Limiter // nil without Options.MaxQPS

	mu        sync.Mutex
	exports   map[exportKey]*exportState
	nonces    map[string]time.Time
	pruneAt   int // prune the nonces once this many are held
	calls     []Call
	throttled int
	starts    starts // ExportRecord, ExportVul, ExportSuspEvents (start.go)
	members   Members
}

type exportKey struct {
	kind event.Kind
	id   int64
}

type exportState struct {
	spec      Export
	served    int // successful answers, which move the export on
	asked     int // every call, faults included
	firstSeen time.Time
}

// New returns a simulator with opts' defaults filled in.
func New(opts Options) *Simulator {
	if opts.AccessKeyID == "" && opts.AccessKeySecret == "" {
		opts.AccessKeyID, opts.AccessKeySecret = DemoAccessKeyID, DemoAccessKeySecret
	}
	if opts.Steps <= 0 {
		opts.Steps = DefaultSteps
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	s := &Simulator{opts: opts, exports: map[exportKey]*exportState{}, nonces: map[string]time.Time{}, pruneAt: minNoncePrune}
	if opts.MaxQPS > 0 {
		s.limiter = rate.NewLimiter(rate.Limit(opts.MaxQPS), max(1, int(opts.MaxQPS)))
	}
	return s
}

// minNoncePrune is how many nonces are held before old ones are pruned.
const minNoncePrune = 4096

// Add scripts an export, replacing any earlier script or progress of the
// same kind and ID. It is safe while serving.
func (s *Simulator) Add(e Export) {
	if e.Ref.Kind == "" {
		e.Ref.Kind = event.Asset
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.exports[exportKey{e.Ref.Kind, e.Ref.ID}] = &exportState{spec: e}
}

// Throttled returns how many calls were refused for exceeding
// Options.MaxQPS.
func (s *Simulator) Throttled() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.throttled
}

// Calls returns a copy of the calls served so far, in order.
func (s *Simulator) Calls() []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Call(nil), s.calls...)
}

func (s *Simulator) record(c Call) {
	s.mu.Lock()
	s.calls = append(s.calls, c)
	s.mu.Unlock()
	if s.opts.OnCall != nil {
		s.opts.OnCall(c)
	}
}

// newRequestID is a request ID shaped like Security Center's.
func newRequestID() string {
	var b [16]byte
	rand.Read(b[:])
	h := strings.ToUpper(hex.EncodeToString(b[:]))
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}
