package exports

import (
	"fmt"
	"strings"

	"github.com/export-notifier/export-notifier/event"
	"github.com/export-notifier/export-notifier/exports/catalog"
)

// Codes of failures that do not come from Security Center's API. Codes the
// API returns (NoPermission, Throttling, ServerError, ...) pass through as
// they are.
const (
	// CodeTimeout: the context's deadline passed, or one attempt outlived
	// the read timeout.
	CodeTimeout = "Timeout"
	// CodeCanceled: the context was cancelled.
	CodeCanceled = "Canceled"
	// CodeConnectionFailed: the connection could not be made or broke.
	CodeConnectionFailed = "ConnectionFailed"
	// CodeInvalidResponse: the response could not be understood (not JSON,
	// no status, an unknown status).
	CodeInvalidResponse = "InvalidResponse"
	// CodeMissingCredentials: no credentials were found; the error wraps
	// credential.ErrMissing.
	CodeMissingCredentials = "MissingCredentials"
	// CodeInvalidExportRef: the reference cannot be asked about (see
	// event.Ref.Validate).
	CodeInvalidExportRef = "InvalidExportRef"
	// CodeExportFailed: Security Center reports that the export task itself
	// failed (suspEvent's ExportStatus "failed").
	CodeExportFailed = "ExportFailed"
)

// Error is every failure Get returns: what was asked, what Security Center
// (or the network) answered, and whether asking again may help.
type Error struct {
	Ref        event.Ref
	Code       string // API error code, or one of the Code* constants
	Message    string // the API's message, or a description of the failure
	HTTPStatus int    // 0 when no response arrived
	RequestID  string // Security Center's request ID, when it answered
	Retryable  bool   // whether a later attempt may succeed
	Attempts   int    // calls made, retries included
	Err        error  // the underlying error, if any

	// Start is, for a failure of Client.Start, the export it was asked to
	// start (Ref then holds only its kind); nil for Get.
	Start *event.StartSpec
	// MayHaveStarted, for a failure of Client.Start, says that the request
	// may have reached Security Center and started the export although no
	// ID came back (a 5xx, a timeout or a broken connection after sending,
	// an answer without an ID). It is false when Security Center refused
	// the call (4xx, Throttling) or nothing was sent.
	MayHaveStarted bool
}

// Error is one line naming the export, the code, the HTTP status and the
// request ID. It never holds credentials: messages come from the API or
// from this package.
func (e *Error) Error() string {
	var b strings.Builder
	if e.Start != nil {
		fmt.Fprintf(&b, "%s %s: %s", catalog.API(e.Start.Kind), e.Start, e.Code)
	} else {
		fmt.Fprintf(&b, "%s export %s: %s", event.DescribeAction(e.Ref.Kind), e.Ref, e.Code)
	}
	var details []string
	if e.HTTPStatus != 0 {
		details = append(details, fmt.Sprintf("HTTP %d", e.HTTPStatus))
	}
	if e.RequestID != "" {
		details = append(details, "request ID "+e.RequestID)
	}
	if e.Attempts > 1 {
		details = append(details, fmt.Sprintf("after %d attempts", e.Attempts))
	}
	if len(details) > 0 {
		b.WriteString(" (" + strings.Join(details, ", ") + ")")
	}
	if e.Message != "" {
		b.WriteString(": " + oneLine(e.Message))
	}
	if e.MayHaveStarted {
		b.WriteString("; the export may have started all the same")
	}
	return b.String()
}

// Unwrap returns the underlying error, so that errors.Is finds
// credential.ErrMissing or context.DeadlineExceeded.
func (e *Error) Unwrap() error { return e.Err }

// Failure is e as an event's failure.
func (e *Error) Failure() event.Failure {
	return event.Failure{Code: e.Code, Message: oneLine(e.Message), HTTPStatus: e.HTTPStatus}
}

// oneLine folds whitespace runs, newlines included, into single spaces
// and bounds the length, so that an error stays one readable log line.
func oneLine(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	const max = 300
	if len(s) > max {
		cut := max
		for cut > 0 && s[cut]&0xC0 == 0x80 { // do not split a UTF-8 sequence
			cut--
		}
		s = s[:cut] + "…"
	}
	return s
}

// retryableCode reports whether an API error code names a condition that
// passes: throttling, a busy or failing server.
func retryableCode(code string, status int) bool {
	switch {
	case code == "Throttling" || strings.HasPrefix(code, "Throttling."):
		return true
	case code == "ServiceUnavailable" || code == "InternalError" || code == "ServerError" || code == "RdCheckInnerError":
		return true
	case code == "SignatureNonceUsed": // the next attempt carries a new nonce
		return true
	case status == 429 || status >= 500:
		return true
	}
	return false
}
