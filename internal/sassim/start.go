package sassim

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/export-notifier/export-notifier/event"
	"github.com/export-notifier/export-notifier/exports/catalog"
)

// startActions maps the APIs that start exports to the kind of export
// each starts (and whose Describe*ExportInfo then reports on it).
var startActions = map[string]event.Kind{
	"ExportRecord":     event.Asset,
	"ExportVul":        event.Vul,
	"ExportSuspEvents": event.SuspEvent,
}

// FirstStartedID is the ID the first started export gets; later ones
// count up from it, skipping IDs already scripted or asked about.
const FirstStartedID = 500001

// starts is the simulator's record of ExportRecord, ExportVul and
// ExportSuspEvents calls; Simulator.mu guards it.
type starts struct {
	fault   Fault
	asked   int // starts since the fault was scripted
	nextID  int64
	started []event.Ref
}

// FailStarts scripts what goes wrong when exports are started (ExportRecord,
// ExportVul, ExportSuspEvents): f.Times limits the fault to the next Times
// starts, 0 means every start; Fault{} clears it.
//
// Starting is not idempotent, and the simulator shows why: a fault whose
// code answers below 500 (Throttling, NoPermission, InvalidParameter, ...)
// refuses before anything is started, while a 5xx code, a dropped
// connection, a garbage Body or Latency happen after the export was
// registered, as when Security Center started it and the answer was lost.
// Such an export is in Started and progresses like any other, although the
// caller never learnt its ID.
func (s *Simulator) FailStarts(f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.starts.fault, s.starts.asked = f, 0
}

// Started returns the exports started so far, in order, those whose answer
// a fault lost included.
func (s *Simulator) Started() []event.Ref {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.starts.started)
}

// start serves an authenticated ExportRecord, ExportVul or
// ExportSuspEvents call: it checks the parameters, registers a new export
// of kind that then progresses like an unscripted one (Options.Steps), and
// answers its Id, FileName and RequestId.
func (s *Simulator) start(w http.ResponseWriter, r *http.Request, body []byte, call *Call, kind event.Kind, now time.Time) {
	call.Ref = event.Ref{Kind: kind}
	params, apiErr := requestParams(r, body)
	call.Params = params
	if apiErr == nil {
		apiErr = checkStartParams(call.Action, params)
	}
	if apiErr != nil {
		s.refuse(w, r, call, apiErr)
		return
	}
	if raw := params.Get("ResourceDirectoryAccountId"); raw != "" {
		call.Ref.Account, _ = strconv.ParseInt(raw, 10, 64) // checked above
	}
	if apiErr := s.checkMember(call.Ref.Account); apiErr != nil {
		s.refuse(w, r, call, apiErr)
		return
	}

	fault, status, fileName, refused := s.claimStart(call, kind, params, now)
	if refused {
		s.refuse(w, r, call, &apiError{status, fault.Code, defaultMessage(fault.Code)})
		return
	}
	if !sleep(r, fault.Latency) {
		s.record(*call) // registered, but the caller went away first
		return
	}
	if s.misbehave(w, r, call, fault) {
		return
	}
	s.answerStarted(w, call, fileName)
}

// claimStart takes the scripted fault of this start, if any, and unless
// the fault refuses the call before anything starts, registers the new
// export; it returns the fault, its HTTP status and the file name.
func (s *Simulator) claimStart(call *Call, kind event.Kind, params url.Values, now time.Time) (f Fault, status int, fileName string, refused bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.starts.asked++
	f = s.starts.fault
	if f.Times != 0 && s.starts.asked > f.Times {
		f = Fault{}
	}
	status = f.HTTPStatus
	if status == 0 && f.Code != "" {
		status = DefaultHTTPStatus(f.Code)
	}
	if f.Code != "" && status < http.StatusInternalServerError {
		return f, status, "", true
	}
	call.Ref.ID = s.newExportID(kind)
	fileName = startedFileName(kind, params, call.Ref.ID, now)
	s.exports[exportKey{kind, call.Ref.ID}] = &exportState{spec: Export{Ref: call.Ref, FileName: fileName}}
	s.starts.started = append(s.starts.started, call.Ref)
	return f, status, fileName, false
}

// answerStarted answers a start that succeeded with the new export's Id.
func (s *Simulator) answerStarted(w http.ResponseWriter, call *Call, fileName string) {
	answer, _ := json.Marshal(map[string]any{ // strings and numbers only
		"RequestId": call.RequestID,
		"Id":        call.Ref.ID,
		"FileName":  fileName,
	})
	call.HTTPStatus = http.StatusOK
	w.Header().Set("Content-Type", "application/json;charset=utf-8")
	w.WriteHeader(http.StatusOK)
	w.Write(answer)
	s.record(*call)
}

// newExportID returns an ID no export of kind has; s.mu is held.
func (s *Simulator) newExportID(kind event.Kind) int64 {
	if s.starts.nextID == 0 {
		s.starts.nextID = FirstStartedID
	}
	for {
		id := s.starts.nextID
		s.starts.nextID++
		if _, taken := s.exports[exportKey{kind, id}]; !taken {
			return id
		}
	}
}

// startedFileName is the file name Security Center gives a started
// export: the export type (or vul type) and the date, as its examples show.
func startedFileName(kind event.Kind, params url.Values, id int64, now time.Time) string {
	stamp := now.UTC().Format("20060102")
	switch kind {
	case event.Vul:
		return fmt.Sprintf("%s_%s_%d.xlsx", params.Get("Type"), stamp, id)
	case event.SuspEvent:
		return fmt.Sprintf("suspicious_event_%s_%d.zip", stamp, id)
	default:
		return fmt.Sprintf("%s_%s_%d.xlsx", params.Get("ExportType"), stamp, id)
	}
}

// requestParams merges the query and a form body.
func requestParams(r *http.Request, body []byte) (url.Values, *apiError) {
	params := r.URL.Query()
	if strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
		form, err := url.ParseQuery(string(body))
		if err != nil {
			return params, &apiError{http.StatusBadRequest, "InvalidParameter", "The request body is not a valid form."}
		}
		for k, v := range form {
			params[k] = append(params[k], v...)
		}
	}
	return params, nil
}

// checkStartParams refuses what Security Center would: a missing required
// parameter, an unknown enumerated value, a parameter of another action.
func checkStartParams(action string, params url.Values) *apiError {
	invalid := func(name string) *apiError {
		return &apiError{http.StatusBadRequest, "InvalidParameter", fmt.Sprintf("Specified parameter %s %q is not valid.", name, params.Get(name))}
	}
	missing := func(name string) *apiError {
		return &apiError{http.StatusBadRequest, "MissingParameter", fmt.Sprintf("The input parameter %q that is mandatory for processing this request is not supplied.", name)}
	}
	if lang := params.Get("Lang"); lang != "" && lang != "zh" && lang != "en" {
		return invalid("Lang")
	}
	if params.Has("ResourceDirectoryAccountId") {
		if action != "ExportRecord" {
			return &apiError{http.StatusBadRequest, "InvalidParameter", "ResourceDirectoryAccountId is not a parameter of this action."}
		}
		if n, err := strconv.ParseInt(params.Get("ResourceDirectoryAccountId"), 10, 64); err != nil || n <= 0 {
			return invalid("ResourceDirectoryAccountId")
		}
	}
	switch action {
	case "ExportRecord":
		t := params.Get("ExportType")
		switch {
		case t == "":
			return missing("ExportType")
		case !slices.Contains(catalog.ExportTypes(), t):
			return invalid("ExportType")
		case t == "virusScanExport" && params.Get("ExportFileType") != "virusScanExport":
			return invalid("ExportFileType")
		}
		if p := params.Get("Params"); p != "" && !json.Valid([]byte(p)) {
			return invalid("Params")
		}
	case "ExportVul":
		t := params.Get("Type")
		switch {
		case t == "":
			return missing("Type")
		case !slices.Contains(catalog.VulTypes(), t):
			return invalid("Type")
		}
	}
	return nil
}
