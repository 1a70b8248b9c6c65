package sassim

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/export-notifier/export-notifier/event"
)

var actions = map[string]event.Kind{
	"DescribeExportInfo":          event.Asset,
	"DescribeVulExportInfo":       event.Vul,
	"DescribeHcExportInfo":        event.HC,
	"DescribeWarningExportInfo":   event.Warning,
	"DescribeSuspEventExportInfo": event.SuspEvent,
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
	listing := call.Action == "DescribeMonitorAccounts"
	if !ok && !starting && !listing {
		s.refuse(w, r, &call, &apiError{http.StatusNotFound, "InvalidAction.NotFound", "Specified api is not found, please check your url and method."})
		return
	}
	if v := r.Header.Get("x-acs-version"); v != APIVersion {
		s.refuse(w, r, &call, &apiError{http.StatusBadRequest, "InvalidVersion", fmt.Sprintf("Specified parameter Version %q is not valid.", v)})
		return
	}
	if listing {
		s.describeMembers(w, &call)
		return
	}
	if starting {
		s.start(w, r, body, &call, startKind, now)
		return
	}
	ref, apiErr := readRef(r, body, kind)
	call.Ref = ref
	if apiErr == nil {
		apiErr = s.checkMember(ref.Account)
	}
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
