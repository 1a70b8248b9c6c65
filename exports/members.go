package exports

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"

	openapiutil "github.com/alibabacloud-go/darabonba-openapi/v2/utils"
	sas "github.com/alibabacloud-go/sas-20181203/v8/client"
	"github.com/alibabacloud-go/tea/dara"

	"github.com/export-notifier/export-notifier/event"
	"github.com/export-notifier/export-notifier/internal/backoff"
)

// membersAction is the API that lists the member accounts of Security
// Center's multi-account management.
const membersAction = "DescribeMonitorAccounts"

// Members lists the resource directory member accounts the caller manages
// in Security Center's multi-account management (DescribeMonitorAccounts),
// sorted, each once. Like Get it retries throttling, 5xx answers and
// transport failures within ctx's deadline; a failure is a *MembersError.
func (c *Client) Members(ctx context.Context) ([]int64, error) {
	fail := func(e *Error) ([]int64, error) { return nil, &MembersError{Err: e} }
	creds, err := c.cfg.Credentials.Credentials(ctx)
	if err != nil {
		e := &Error{Code: CodeMissingCredentials, Message: err.Error(), Err: err}
		if ctxErr := ctx.Err(); ctxErr != nil {
			e = contextError(event.Ref{}, ctxErr)
		}
		return fail(e)
	}
	sdk, err := c.newSAS(creds)
	if err != nil {
		return fail(&Error{Code: CodeMissingCredentials, Message: "the SDK refused the credentials: " + err.Error(), Err: err})
	}
	var ids []int64
	describe := func() []slog.Attr { return []slog.Attr{slog.String("api", membersAction)} }
	_, err = c.retry.Do(ctx, "Security Center call failed", describe, func(attempt int) (backoff.Verdict, error) {
		var e *Error
		if ids, e = c.membersOnce(ctx, sdk); e != nil {
			e.Attempts = attempt
			return verdict(e), e
		}
		return backoff.Verdict{}, nil
	})
	var e *Error
	if errors.As(err, &e) {
		return fail(e)
	}
	return ids, nil
}

// membersOnce makes one DescribeMonitorAccounts call, bounded by the
// connect and read timeouts on top of ctx.
func (c *Client) membersOnce(ctx context.Context, sdk *sas.Client) ([]int64, *Error) {
	var rec recording
	callCtx, cancel := context.WithTimeout(withRecording(ctx, &rec), c.cfg.ConnectTimeout+c.cfg.ReadTimeout)
	defer cancel()
	// The SDK has no context-taking DescribeMonitorAccounts: this is its
	// DescribeMonitorAccountsWithOptions, with ctx.
	params := &openapiutil.Params{
		Action: dara.String(membersAction), Version: dara.String("2018-12-03"), Protocol: dara.String("HTTPS"),
		Pathname: dara.String("/"), Method: dara.String("POST"), AuthType: dara.String("AK"), Style: dara.String("RPC"),
		ReqBodyType: dara.String("formData"), BodyType: dara.String("json"),
	}
	body, err := sdk.CallApiWithCtx(callCtx, params, &openapiutil.OpenApiRequest{}, c.runtime)
	resp := &sas.DescribeMonitorAccountsResponse{}
	if err == nil {
		err = dara.Convert(body, &resp)
	}
	if err != nil {
		return nil, scrubbed(classify(ctx, callCtx, event.Ref{}, &rec, err), c.cfg.Secrets.Secrets())
	}
	var texts []string
	if resp.Body != nil {
		texts = dara.StringSliceValue(resp.Body.AccountIds)
		for _, info := range resp.Body.AccountIdInfos {
			texts = append(texts, dara.StringValue(info.AccountId))
		}
	}
	ids := make([]int64, 0, len(texts))
	for _, t := range texts {
		id, err := strconv.ParseInt(t, 10, 64)
		if err != nil || id <= 0 {
			return nil, &Error{Code: CodeInvalidResponse, HTTPStatus: rec.status, RequestID: rec.requestID,
				Message: "the answer lists " + event.Quote(t) + ", not an account ID"}
		}
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return slices.Compact(ids), nil
}

// MembersError is why the member accounts could not be listed.
type MembersError struct{ Err *Error }

// Error reads like "DescribeMonitorAccounts: NoPermission (HTTP 403,
// request ID ...): caller has no permission".
func (e *MembersError) Error() string {
	var details []string
	if e.Err.HTTPStatus != 0 {
		details = append(details, fmt.Sprintf("HTTP %d", e.Err.HTTPStatus))
	}
	if e.Err.RequestID != "" {
		details = append(details, "request ID "+e.Err.RequestID)
	}
	if e.Err.Attempts > 1 {
		details = append(details, fmt.Sprintf("after %d attempts", e.Err.Attempts))
	}
	s := membersAction + ": " + e.Err.Code
	if len(details) > 0 {
		s += " (" + strings.Join(details, ", ") + ")"
	}
	if e.Err.Message != "" {
		s += ": " + oneLine(e.Err.Message)
	}
	return s
}

func (e *MembersError) Unwrap() error { return e.Err }
