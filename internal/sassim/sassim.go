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
package sassim

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"strconv"
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
	// after its first call.
	Duration time.Duration
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

// apiError is a refusal: Security Center's code, message and status.
type apiError struct {
	status  int
	code    string
	message string
}

var actions = map[string]event.Kind{
	"DescribeExportInfo":          event.Asset,
	"DescribeVulExportInfo":       event.Vul,
	"DescribeHcExportInfo":        event.HC,
	"DescribeWarningExportInfo":   event.Warning,
	"DescribeSuspEventExportInfo": event.SuspEvent,
}

// DefaultHTTPStatus is the status Security Center answers code with.
func DefaultHTTPStatus(code string) int {
	switch {
	case code == "NoPermission", strings.HasPrefix(code, "Forbidden"):
		return http.StatusForbidden
	case code == "ServerError", code == "RdCheckInnerError", code == "InternalError", code == "UnknownError":
		return http.StatusInternalServerError
	case code == "ServiceUnavailable":
		return http.StatusServiceUnavailable
	case strings.HasSuffix(code, ".NotFound"):
		return http.StatusNotFound
	default: // RdCheckNoPermission, Throttling*, InvalidParameter, ...
		return http.StatusBadRequest
	}
}

func defaultMessage(code string) string {
	switch code {
	case "NoPermission":
		return "caller has no permission"
	case "RdCheckNoPermission":
		return "Resource directory account verification has no permission."
	case "ServerError":
		return "ServerError"
	case "RdCheckInnerError":
		return "Resource directory account service internal error."
	case "Throttling", "Throttling.User", "Throttling.Api":
		return "Request was denied due to request throttling."
	case "ServiceUnavailable":
		return "The request has failed due to a temporary failure of the server."
	default:
		return code
	}
}

// ServeHTTP answers one Security Center API request.
func (s *Simulator) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	now := s.opts.Now()
	call := Call{Time: now, RequestID: newRequestID(), Action: r.Header.Get("x-acs-action")}
	w.Header().Set("x-acs-request-id", call.RequestID)
	if !sleep(r, s.opts.Latency) {
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		return // the client went away
	}
	if apiErr := s.authenticate(r, body, now, &call); apiErr != nil {
		s.refuse(w, r, &call, apiErr)
		return
	}
	if s.limiter != nil && !s.limiter.AllowN(now, 1) {
		s.mu.Lock()
		s.throttled++
		s.mu.Unlock()
		s.refuse(w, r, &call, &apiError{http.StatusBadRequest, "Throttling", defaultMessage("Throttling")})
		return
	}
	kind, ok := actions[call.Action]
	startKind, starting := startActions[call.Action]
	if !ok && !starting {
		s.refuse(w, r, &call, &apiError{http.StatusNotFound, "InvalidAction.NotFound", "Specified api is not found, please check your url and method."})
		return
	}
	if v := r.Header.Get("x-acs-version"); v != APIVersion {
		s.refuse(w, r, &call, &apiError{http.StatusBadRequest, "InvalidVersion", fmt.Sprintf("Specified parameter Version %q is not valid.", v)})
		return
	}
	if starting {
		s.start(w, r, body, &call, startKind, now)
		return
	}
	ref, apiErr := readRef(r, body, kind)
	call.Ref = ref
	if apiErr != nil {
		s.refuse(w, r, &call, apiErr)
		return
	}
	s.answer(w, r, &call, now)
}

// authenticate checks the AccessKey, the STS token, the date, the body
// hash, the signature and the nonce, in that order.
func (s *Simulator) authenticate(r *http.Request, body []byte, now time.Time, call *Call) *apiError {
	call.SecurityToken = r.Header.Get("x-acs-security-token")
	call.Nonce = r.Header.Get("x-acs-signature-nonce")
	auth, ok := parseAuthorization(r.Header.Get("Authorization"))
	if !ok {
		return &apiError{http.StatusBadRequest, "IncompleteSignature", "The request signature does not conform to Aliyun standards: want an ACS3-HMAC-SHA256 Authorization header."}
	}
	call.AccessKeyID = auth.accessKeyID
	if auth.accessKeyID != s.opts.AccessKeyID {
		return &apiError{http.StatusNotFound, "InvalidAccessKeyId.NotFound", "Specified access key is not found."}
	}
	switch {
	case s.opts.SecurityToken == "" && call.SecurityToken != "":
		return &apiError{http.StatusBadRequest, "InvalidSecurityToken.MismatchWithAccessKey", "Specified security token mismatch with access key."}
	case s.opts.SecurityToken != "" && call.SecurityToken == "":
		return &apiError{http.StatusBadRequest, "InvalidSecurityToken.Malformed", "Specified security token is missing; STS credentials need it."}
	case s.opts.SecurityToken != "" && !hmac.Equal([]byte(call.SecurityToken), []byte(s.opts.SecurityToken)):
		return &apiError{http.StatusBadRequest, "InvalidSecurityToken.Malformed", "Specified SecurityToken is malformed."}
	}
	if missing := missingSignedHeader(r, auth.signedHeaders); missing != "" {
		return &apiError{http.StatusBadRequest, "IncompleteSignature", fmt.Sprintf("The request signature does not conform to Aliyun standards: header %s is not signed.", missing)}
	}
	date, err := time.Parse("2006-01-02T15:04:05Z", r.Header.Get("x-acs-date"))
	if err != nil {
		return &apiError{http.StatusBadRequest, "InvalidTimeStamp.Format", "Specified time stamp or date value is not well formatted."}
	}
	if d := now.Sub(date); d > MaxClockSkew || d < -MaxClockSkew {
		return &apiError{http.StatusBadRequest, "InvalidTimeStamp.Expired", "Specified time stamp or date value is expired."}
	}
	bodyHash := sha256.Sum256(body)
	payloadHash := hex.EncodeToString(bodyHash[:])
	if r.Header.Get("x-acs-content-sha256") != payloadHash {
		return &apiError{http.StatusBadRequest, "SignatureDoesNotMatch", "Specified x-acs-content-sha256 is not the SHA-256 of the body."}
	}
	want := expectedSignature(r, auth.signedHeaders, payloadHash, s.opts.AccessKeySecret)
	if !hmac.Equal([]byte(want), []byte(auth.signature)) {
		return &apiError{http.StatusBadRequest, "SignatureDoesNotMatch", "Specified signature is not matched with our calculation."}
	}
	if call.Nonce == "" {
		return &apiError{http.StatusBadRequest, "MissingSignatureNonce", "SignatureNonce is mandatory for this action."}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, used := s.nonces[call.Nonce]; used {
		return &apiError{http.StatusBadRequest, "SignatureNonceUsed", "Specified signature nonce was used already."}
	}
	if len(s.nonces) >= s.pruneAt { // a nonce older than the clock skew cannot come back with a valid date
		for n, t := range s.nonces {
			if now.Sub(t) > 2*MaxClockSkew {
				delete(s.nonces, n)
			}
		}
		// Scan again once as many nonces again have come: scanning on
		// every call while all are recent made each call cost O(calls).
		s.pruneAt = max(minNoncePrune, 2*len(s.nonces))
	}
	s.nonces[call.Nonce] = now
	return nil
}

// readRef reads ExportId and ResourceDirectoryAccountId from the query or
// a form body.
func readRef(r *http.Request, body []byte, kind event.Kind) (event.Ref, *apiError) {
	params := r.URL.Query()
	if strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
		form, err := url.ParseQuery(string(body))
		if err != nil {
			return event.Ref{Kind: kind}, &apiError{http.StatusBadRequest, "InvalidParameter", "The request body is not a valid form."}
		}
		for k, v := range form {
			params[k] = append(params[k], v...)
		}
	}
	ref := event.Ref{Kind: kind}
	raw := params.Get("ExportId")
	if raw == "" {
		return ref, &apiError{http.StatusBadRequest, "MissingExportId", "ExportId is mandatory for this action."}
	}
	bits := 64
	if kind == event.SuspEvent {
		bits = 32
	}
	id, err := strconv.ParseInt(raw, 10, bits)
	if err != nil || id <= 0 {
		return ref, &apiError{http.StatusBadRequest, "InvalidParameter", fmt.Sprintf("Specified parameter ExportId %q is not valid.", raw)}
	}
	ref.ID = id
	if raw := params.Get("ResourceDirectoryAccountId"); raw != "" {
		if kind != event.Asset {
			return ref, &apiError{http.StatusBadRequest, "InvalidParameter", "ResourceDirectoryAccountId is not a parameter of this action."}
		}
		account, err := strconv.ParseInt(raw, 10, 64)
		if err != nil || account <= 0 {
			return ref, &apiError{http.StatusBadRequest, "InvalidParameter", fmt.Sprintf("Specified parameter ResourceDirectoryAccountId %q is not valid.", raw)}
		}
		ref.Account = account
	}
	return ref, nil
}

// answer serves an authenticated call about call.Ref: a fault, or the
// export's next step.
func (s *Simulator) answer(w http.ResponseWriter, r *http.Request, call *Call, now time.Time) {
	s.mu.Lock()
	key := exportKey{call.Ref.Kind, call.Ref.ID}
	st, ok := s.exports[key]
	if !ok {
		st = &exportState{spec: Export{Ref: event.Ref{Kind: call.Ref.Kind, ID: call.Ref.ID}}}
		s.exports[key] = st
	}
	st.asked++
	fault := st.spec.Fault
	faulty := fault.Times == 0 || st.asked <= fault.Times
	if !faulty {
		fault = Fault{}
	}
	s.mu.Unlock()

	if !sleep(r, fault.Latency) {
		return
	}
	switch {
	case fault.Drop:
		s.record(*call)
		panic(http.ErrAbortHandler) // net/http closes the connection without an answer
	case fault.Code != "":
		status := fault.HTTPStatus
		if status == 0 {
			status = DefaultHTTPStatus(fault.Code)
		}
		s.refuse(w, r, call, &apiError{status, fault.Code, defaultMessage(fault.Code)})
		return
	case fault.Body != "":
		status := fault.HTTPStatus
		if status == 0 {
			status = http.StatusOK
		}
		call.HTTPStatus = status
		w.Header().Set("Content-Type", "text/html;charset=utf-8")
		w.WriteHeader(status)
		io.WriteString(w, fault.Body)
		s.record(*call)
		return
	}

	s.mu.Lock()
	st.served++
	if st.firstSeen.IsZero() {
		st.firstSeen = now
	}
	info := s.progress(st, now)
	s.mu.Unlock()

	body := info.body(call.Ref, call.RequestID, now)
	call.HTTPStatus, call.Status = http.StatusOK, info.status
	w.Header().Set("Content-Type", "application/json;charset=utf-8")
	w.WriteHeader(http.StatusOK)
	w.Write(body)
	s.record(*call)
}

// progressInfo is where an export stands at one call.
type progressInfo struct {
	state      event.State
	status     string // as the kind's API spells it
	progress   int
	current    int64
	total      int64
	fileName   string
	failed     bool
	gmtCreated time.Time
}

// progress computes st's state; s.mu is held.
func (s *Simulator) progress(st *exportState, now time.Time) progressInfo {
	spec := st.spec
	steps := spec.Steps
	if steps <= 0 {
		steps = s.opts.Steps
	}
	var fraction float64
	switch {
	case spec.Duration > 0:
		fraction = float64(now.Sub(st.firstSeen)) / float64(spec.Duration)
		if st.served == 1 {
			fraction = 0
		}
	case steps <= 1:
		fraction = 1
	default:
		fraction = float64(st.served-1) / float64(steps-1)
	}
	fraction = math.Min(fraction, 1)
	if spec.Stuck || (spec.Fail && spec.Ref.Kind != event.SuspEvent) {
		fraction = 0
		if st.served > 1 {
			fraction = 0.01 // exporting, visibly, and no further
		}
	}
	p := progressInfo{
		total:      spec.TotalCount,
		fileName:   spec.FileName,
		gmtCreated: st.firstSeen,
	}
	if p.total <= 0 {
		p.total = 100 + spec.Ref.ID%900
	}
	if p.fileName == "" {
		p.fileName = defaultFileName(spec.Ref, st.firstSeen)
	}
	switch {
	case fraction >= 1 && spec.Fail:
		p.state, p.failed, p.progress = event.Exporting, true, 100
	case fraction >= 1:
		p.state, p.progress, p.current = event.Success, 100, p.total
	case st.served <= 1 && fraction < 1:
		p.state = event.Init
	default:
		p.state = event.Exporting
		p.progress = int(fraction * 100)
		p.current = int64(fraction * float64(p.total))
	}
	p.status = string(p.state)
	switch {
	case p.failed:
		p.status = "failed"
	case spec.Ref.Kind == event.SuspEvent && p.state == event.Init:
		p.status = "pending"
	case spec.Ref.Kind == event.HC && p.state == event.Init:
		p.status = "exporting" // hc reports only exporting and success
	}
	return p
}

func defaultFileName(ref event.Ref, created time.Time) string {
	stamp := created.UTC().Format("20060102")
	switch ref.Kind {
	case event.Vul:
		return fmt.Sprintf("vul_export_%s_%d.xlsx", stamp, ref.ID)
	case event.HC:
		return fmt.Sprintf("health_check_export_%s_%d.xlsx", stamp, ref.ID)
	case event.Warning:
		return fmt.Sprintf("warning_export_%s_%d.xlsx", stamp, ref.ID)
	case event.SuspEvent:
		return fmt.Sprintf("suspicious_event_%s_%d.zip", stamp, ref.ID)
	default:
		return fmt.Sprintf("asset_export_%s_%d.xlsx", stamp, ref.ID)
	}
}

// LinkHost is the fake OSS host download links point at.
const LinkHost = "sassim-exports.oss-cn-shanghai.example.invalid"

// link is a presigned-looking OSS URL for fileName.
func link(fileName string, now time.Time) string {
	expires := strconv.FormatInt(now.Add(time.Hour).Unix(), 10)
	mac := hmac.New(sha256.New, []byte("sassim-link"))
	mac.Write([]byte(fileName + expires))
	q := url.Values{
		"Expires":        {expires},
		"OSSAccessKeyId": {"STS.sassimDownload"},
		"Signature":      {base64.StdEncoding.EncodeToString(mac.Sum(nil)[:20])},
	}
	return "https://" + LinkHost + "/exports/" + url.PathEscape(fileName) + "?" + q.Encode()
}

// body is the JSON answer of the kind's API.
func (p progressInfo) body(ref event.Ref, requestID string, now time.Time) []byte {
	m := map[string]any{
		"RequestId": requestID,
		"Id":        ref.ID,
		"Progress":  p.progress,
		"FileName":  p.fileName,
	}
	if p.state != event.Init {
		m["TotalCount"] = p.total
	}
	if p.state == event.Success {
		m["Link"] = link(p.fileName, now)
	}
	switch ref.Kind {
	case event.HC:
		m["ResultStatus"] = p.status
		m["CurrentCount"] = p.current
		m["GmtCreate"] = p.gmtCreated.UnixMilli()
	case event.SuspEvent:
		m["ExportStatus"] = p.status
		m["Type"] = "suspiciousEvent"
		m["GmtCreate"] = p.gmtCreated.UnixMilli()
		m["GmtModified"] = now.UnixMilli()
		m["Properties"] = "id,eventSubType,eventDetail,level,status,ip,instanceName,desc,lastTime,operateTime,note"
	default:
		m["ExportStatus"] = p.status
		m["CurrentCount"] = p.current
		if p.state == event.Success {
			m["Message"] = "success"
		}
	}
	b, _ := json.Marshal(m) // strings and numbers only
	return b
}

// refuse answers an error the way Security Center does.
func (s *Simulator) refuse(w http.ResponseWriter, r *http.Request, call *Call, e *apiError) {
	call.HTTPStatus, call.Code = e.status, e.code
	body, _ := json.Marshal(map[string]string{
		"RequestId": call.RequestID,
		"HostId":    r.Host,
		"Code":      e.code,
		"Message":   e.message,
		"Recommend": "https://api.aliyun.com/troubleshoot?q=" + url.QueryEscape(e.code) + "&product=Sas",
	})
	w.Header().Set("Content-Type", "application/json;charset=utf-8")
	w.WriteHeader(e.status)
	w.Write(body)
	s.record(*call)
}

func (s *Simulator) record(c Call) {
	s.mu.Lock()
	s.calls = append(s.calls, c)
	s.mu.Unlock()
	if s.opts.OnCall != nil {
		s.opts.OnCall(c)
	}
}

// sleep waits d unless the client goes away first; it reports whether the
// request is still wanted.
func sleep(r *http.Request, d time.Duration) bool {
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-r.Context().Done():
		return false
	}
}

// newRequestID is a request ID shaped like Security Center's.
func newRequestID() string {
	var b [16]byte
	rand.Read(b[:])
	h := strings.ToUpper(hex.EncodeToString(b[:]))
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}
