package sassim

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// apiError is a refusal: Security Center's code, message and status.
type apiError struct {
	status  int
	code    string
	message string
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

// misbehave answers as f scripts, when it scripts a dropped connection, an
// error or a body that is not Security Center's, and reports whether it
// did.
func (s *Simulator) misbehave(w http.ResponseWriter, r *http.Request, call *Call, f Fault) bool {
	switch {
	case f.Drop:
		s.record(*call)
		panic(http.ErrAbortHandler) // net/http closes the connection without an answer
	case f.Code != "":
		status := f.HTTPStatus
		if status == 0 {
			status = DefaultHTTPStatus(f.Code)
		}
		s.refuse(w, r, call, &apiError{status, f.Code, defaultMessage(f.Code)})
		return true
	case f.Body != "":
		status := f.HTTPStatus
		if status == 0 {
			status = http.StatusOK
		}
		call.HTTPStatus = status
		w.Header().Set("Content-Type", "text/html;charset=utf-8")
		w.WriteHeader(status)
		io.WriteString(w, f.Body)
		s.record(*call)
		return true
	}
	return false
}
