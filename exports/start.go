package exports

import (
	"context"
	"errors"
	"log/slog"
	"net/http/httptrace"
	"strings"
	"sync/atomic"

	sas "github.com/alibabacloud-go/sas-20181203/v8/client"
	"github.com/alibabacloud-go/tea/dara"

	"github.com/export-notifier/export-notifier/credential"
	"github.com/export-notifier/export-notifier/event"
	"github.com/export-notifier/export-notifier/exports/catalog"
	"github.com/export-notifier/export-notifier/internal/backoff"
)

// CodeInvalidStartSpec: the export to start fails catalog.Validate;
// nothing was sent.
const CodeInvalidStartSpec = "InvalidStartSpec"

// Start asks Security Center to start one export, with ExportRecord (asset),
// ExportVul (vul) or ExportSuspEvents (suspEvent) as spec.Kind says, and
// returns the new export's reference (spec's kind, the returned Id, spec's
// member account) and Security Center's request ID. An asset spec that
// names no member account is started for Config.Account, as Get asks about
// it. spec is validated before anything is sent.
//
// Starting is not idempotent: every call that reaches Security Center may
// start one more export. So Start retries only failures that surely started
// nothing: Throttling (Security Center refused the call before doing
// anything) and a connection that failed before the request was sent
// (refused, unreachable, a failed TLS handshake), with Get's backoff,
// MaxAttempts and deadline. Once the request may have been sent it is never
// sent again: a 5xx answer, a timeout, a connection broken after sending, or
// an answer without an ID is returned at once, its MayHaveStarted set,
// because the export may exist although its ID never came back. Other
// refusals (NoPermission, InvalidParameter, signature errors) are returned
// at once too, MayHaveStarted false.
//
// Every failure is an *Error whose Start is spec; its Retryable says
// whether starting again is safe and may help.
func (c *Client) Start(ctx context.Context, spec event.StartSpec) (event.Ref, string, error) {
	if spec.Kind == "" {
		spec.Kind = event.Asset
	}
	fail := func(e *Error) (event.Ref, string, error) {
		e.Ref, e.Start = event.Ref{Kind: spec.Kind}, &spec
		return event.Ref{}, e.RequestID, e
	}
	if err := catalog.Validate(spec); err != nil {
		return fail(&Error{Code: CodeInvalidStartSpec, Message: err.Error(), Err: err})
	}
	if spec.Accounts != "" {
		return fail(&Error{Code: CodeInvalidStartSpec, Message: "accounts: start one export per member account, each naming its resourceDirectoryAccountId"})
	}
	creds, err := c.cfg.Credentials.Credentials(ctx)
	if err != nil {
		e := &Error{Code: CodeMissingCredentials, Message: err.Error(), Err: err}
		if ctxErr := ctx.Err(); ctxErr != nil && !errors.Is(err, credential.ErrMissing) {
			e = contextError(event.Ref{}, ctxErr)
		}
		return fail(e)
	}
	// Starts are a few per cycle: a fresh SDK client each, not the pool's.
	sdk, err := c.newSAS(creds)
	if err != nil {
		return fail(&Error{Code: CodeMissingCredentials, Message: "the SDK refused the credentials: " + err.Error(), Err: err})
	}
	account := spec.Account
	if account == 0 && spec.Kind == event.Asset {
		account = c.cfg.Account
	}
	var id int64
	var requestID string
	describe := func() []slog.Attr {
		return []slog.Attr{slog.String("api", catalog.API(spec.Kind)), slog.String("start", spec.String())}
	}
	_, err = c.retry.Do(ctx, "Security Center call failed", describe, func(attempt int) (backoff.Verdict, error) {
		var e *Error
		if id, requestID, e = c.startOnce(ctx, sdk, spec, account); e != nil {
			e.Attempts = attempt
			if e.Code == CodeCanceled {
				e.Message = "the start was cancelled"
			}
			return verdict(e), e
		}
		return backoff.Verdict{}, nil
	})
	var e *Error
	if errors.As(err, &e) {
		return fail(e)
	}
	return event.Ref{Kind: spec.Kind, ID: id, Account: spec.Account}, requestID, nil
}

// startOnce makes one start call, bounded by the connect and read timeouts
// on top of ctx, and decides whether the failure, if any, may be retried.
func (c *Client) startOnce(ctx context.Context, sdk *sas.Client, spec event.StartSpec, account int64) (int64, string, *Error) {
	var rec recording
	// The request may have reached Security Center once its headers are
	// written: before that the server cannot have acted on it.
	var sent atomic.Bool
	trace := &httptrace.ClientTrace{WroteHeaders: func() { sent.Store(true) }}
	callCtx, cancel := context.WithTimeout(httptrace.WithClientTrace(withRecording(ctx, &rec), trace), c.cfg.ConnectTimeout+c.cfg.ReadTimeout)
	defer cancel()
	id, requestID, err := callStart(callCtx, sdk, c.runtime, spec, account)
	if requestID == "" {
		requestID = rec.requestID
	}
	if err != nil {
		e := scrubbed(classify(ctx, callCtx, event.Ref{Kind: spec.Kind}, &rec, err), c.cfg.Secrets.Secrets())
		switch {
		case isThrottling(e.Code):
			e.Retryable, e.MayHaveStarted = true, false
		case e.HTTPStatus >= 400 && e.HTTPStatus < 500 && e.Code != CodeInvalidResponse:
			e.Retryable, e.MayHaveStarted = false, false // Security Center refused it
		case !sent.Load():
			e.Retryable = e.Retryable && (e.Code == CodeConnectionFailed || e.Code == CodeTimeout)
			e.MayHaveStarted = false
		default:
			e.Retryable, e.MayHaveStarted = false, true
		}
		return 0, requestID, e
	}
	if id <= 0 {
		return 0, requestID, &Error{Code: CodeInvalidResponse, HTTPStatus: rec.status, RequestID: requestID,
			Message: "the answer holds no export ID: " + c.cfg.Secrets.Secrets().String(snippet(rec.body.Bytes())), MayHaveStarted: true}
	}
	return id, requestID, nil
}

func isThrottling(code string) bool {
	return code == "Throttling" || strings.HasPrefix(code, "Throttling.")
}

// callStart calls the API that starts spec's kind of export, its request
// filled from the kind's table, and returns the new export's ID and the
// request ID the answer holds.
func callStart(ctx context.Context, sdk *sas.Client, runtime *dara.RuntimeOptions, spec event.StartSpec, account int64) (int64, string, error) {
	spec.Account = account
	switch spec.Kind {
	case event.Vul:
		req := &sas.ExportVulRequest{}
		if err := fillRequest(req, spec); err != nil {
			return 0, "", err
		}
		r, err := sdk.ExportVulWithContext(ctx, req, runtime)
		if err != nil || r == nil || r.Body == nil {
			return 0, "", orEmpty(err)
		}
		return dara.Int64Value(r.Body.Id), dara.StringValue(r.Body.RequestId), nil
	case event.SuspEvent:
		req := &sas.ExportSuspEventsRequest{}
		if err := fillRequest(req, spec); err != nil {
			return 0, "", err
		}
		r, err := sdk.ExportSuspEventsWithContext(ctx, req, runtime)
		if err != nil || r == nil || r.Body == nil {
			return 0, "", orEmpty(err)
		}
		return int64(dara.Int32Value(r.Body.Id)), dara.StringValue(r.Body.RequestId), nil
	default:
		req := &sas.ExportRecordRequest{}
		if err := fillRequest(req, spec); err != nil {
			return 0, "", err
		}
		r, err := sdk.ExportRecordWithContext(ctx, req, runtime)
		if err != nil || r == nil || r.Body == nil {
			return 0, "", orEmpty(err)
		}
		return dara.Int64Value(r.Body.Id), dara.StringValue(r.Body.RequestId), nil
	}
}
