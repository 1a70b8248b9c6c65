package exports

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"

	openapi "github.com/alibabacloud-go/darabonba-openapi/v2/client"
	"github.com/alibabacloud-go/tea/dara"

	"github.com/export-notifier/export-notifier/event"
	"github.com/export-notifier/export-notifier/internal/netguard"
	"github.com/export-notifier/export-notifier/scrub"
)

// classify turns whatever the SDK returned into an *Error.
func classify(ctx, callCtx context.Context, ref event.Ref, rec *recording, err error) *Error {
	e := &Error{Ref: ref, Err: err, HTTPStatus: rec.status, RequestID: rec.requestID}
	var (
		throttling *openapi.ThrottlingError
		client     *openapi.ClientError
		server     *openapi.ServerError
	)
	switch {
	case errors.As(err, &throttling):
		fillAPI(e, throttling.StatusCode, throttling.Code, throttling.RequestId, throttling.Data)
		e.Retryable = true
		return e
	case errors.As(err, &client):
		fillAPI(e, client.StatusCode, client.Code, client.RequestId, client.Data)
		e.Retryable = retryableCode(e.Code, e.HTTPStatus)
		return e
	case errors.As(err, &server):
		fillAPI(e, server.StatusCode, server.Code, server.RequestId, server.Data)
		e.Retryable = true
		return e
	}
	if ctxErr := ctx.Err(); ctxErr != nil {
		ce := contextError(ref, ctxErr)
		ce.HTTPStatus, ce.RequestID = e.HTTPStatus, e.RequestID
		return ce
	}
	if callCtx.Err() != nil {
		e.Code, e.Retryable = CodeTimeout, true
		e.Message = "no answer within the connect and read timeouts"
		e.Err = fmt.Errorf("%w", context.DeadlineExceeded)
		return e
	}
	var (
		netErr  net.Error
		refused *netguard.NotLoopbackError
	)
	switch {
	case errors.As(err, &refused):
		// Checked first: the *url.Error around it is a net.Error too.
		e.Code, e.Retryable = CodeConnectionFailed, false
		e.Message = refused.Error()
	case errors.As(err, &netErr) && netErr.Timeout():
		e.Code, e.Retryable = CodeTimeout, true
		e.Message = "no answer within the connect and read timeouts"
	case errors.As(err, &netErr), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		e.Code, e.Retryable = CodeConnectionFailed, true
		e.Message = "the connection failed or broke: " + transportMessage(err)
	default:
		e.Code = CodeInvalidResponse
		e.Retryable = rec.status == 429 || rec.status >= 500
		switch {
		case rec.status >= 400:
			e.Message = fmt.Sprintf("HTTP %d with a body that is not a Security Center error: %q", rec.status, snippet(rec.body.Bytes()))
		case rec.status != 0:
			e.Message = "the response is not valid export info: " + oneLine(err.Error())
		default:
			e.Message = oneLine(err.Error())
		}
	}
	return e
}

// scrubbed removes the known secret values from what e says: its message
// comes from Security Center, which may echo a token it was sent, and its
// Err from the SDK, which may quote the response. e is changed in place.
func scrubbed(e *Error, secrets *scrub.Secrets) *Error {
	if e != nil {
		e.Message = secrets.String(e.Message)
		e.Err = secrets.Error(e.Err)
	}
	return e
}

// transportMessage describes a transport failure without the URL, which
// the error from net/http repeats.
func transportMessage(err error) string {
	var opErr *net.OpError
	if errors.As(err, &opErr) {
		return oneLine(opErr.Error())
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return "the server closed the connection without an answer"
	}
	msg := err.Error()
	if i := strings.LastIndex(msg, "\": "); i >= 0 { // *url.Error: Op "URL": cause
		msg = msg[i+3:]
	}
	return oneLine(msg)
}

func snippet(b []byte) string {
	const max = 120
	if len(b) > max {
		b = b[:max]
	}
	return oneLine(string(b))
}

func fillAPI(e *Error, status *int, code, requestID *string, data map[string]interface{}) {
	if s := dara.IntValue(status); s != 0 {
		e.HTTPStatus = s
	}
	e.Code = dara.StringValue(code)
	if e.Code == "" {
		e.Code = fmt.Sprintf("HTTP%d", e.HTTPStatus)
	}
	if id := dara.StringValue(requestID); id != "" {
		e.RequestID = id
	}
	// The SDK's own Message is decorated ("code: 403, ... request id: ...");
	// the API's is in the body.
	for _, key := range []string{"Message", "message"} {
		if m, ok := data[key].(string); ok && m != "" {
			e.Message = m
			return
		}
	}
}

func contextError(ref event.Ref, err error) *Error {
	if errors.Is(err, context.Canceled) {
		return &Error{Ref: ref, Code: CodeCanceled, Message: "the check was cancelled", Err: err}
	}
	return &Error{Ref: ref, Code: CodeTimeout, Message: "the deadline passed before Security Center answered", Err: err}
}
