// Package exports is export-notifier's Security Center (SAS, API version
// 2018-12-03) client: it asks about one export with Get and returns its
// status, normalised across the five Describe*ExportInfo APIs.
//
// # Kinds
//
// event.Asset uses DescribeExportInfo (the only one taking a resource
// directory member account), event.Vul DescribeVulExportInfo, event.HC
// DescribeHcExportInfo (which calls the status ResultStatus), event.Warning
// DescribeWarningExportInfo and event.SuspEvent DescribeSuspEventExportInfo
// (32-bit IDs, statuses pending/exporting/success/failed, no CurrentCount).
// Statuses become event.Init ("init", "pending"), event.Exporting and
// event.Success; "failed" is an Error with code ExportFailed.
//
// # Starting exports
//
// Start begins one export described by an event.StartSpec, with
// ExportRecord (asset), ExportVul (vul) or ExportSuspEvents (suspEvent), and
// returns its reference, which Get then follows. Starting is not
// idempotent, so Start retries only Throttling and connections that failed
// before the request was sent; any failure after the request may have
// arrived is returned with Error.MayHaveStarted set.
//
// # Endpoint and credentials
//
// Config.Region picks the endpoint from the SAS SDK's own region map
// (mainland regions to tds.cn-shanghai.aliyuncs.com, the rest to
// tds.ap-southeast-1.aliyuncs.com); Config.Endpoint overrides it and may use
// plain http only for a loopback host (the simulator, internal/sassim).
// Every call asks Config.Credentials for credentials, so the STS credentials
// FC puts in an invocation's context (credential.WithContext) sign that
// invocation's calls; an STS token goes out as x-acs-security-token. The
// SDK's client is not safe for concurrent use, so Client keeps a few idle
// ones per distinct credentials and lends one to each call; they all share
// one HTTP connection pool.
//
// # Errors
//
// Get returns *Error for every failure; match it with errors.As. Its Code
// is Security Center's error code (NoPermission, RdCheckNoPermission,
// Throttling, ServerError, SignatureDoesNotMatch, ...) or one of:
//
//   - Timeout: the context's deadline passed, or an attempt got no answer
//     within ConnectTimeout+ReadTimeout (wraps context.DeadlineExceeded when
//     it is the context's);
//   - Canceled: the context was cancelled;
//   - ConnectionFailed: no connection, or it broke before the answer;
//   - InvalidResponse: the answer was not export info (not JSON, no or an
//     unknown status);
//   - MissingCredentials: no credentials (wraps credential.ErrMissing);
//   - InvalidExportRef: the reference fails event.Ref.Validate;
//   - InvalidStartSpec: the export to start fails catalog.Validate;
//   - ExportFailed: the export task itself failed;
//   - HTTPnnn: an error answer without a code.
//
// Throttling (Throttling, Throttling.*), 5xx, SignatureNonceUsed, Timeout
// and ConnectionFailed are retried within Get, with exponential backoff and
// full jitter, never past the context's deadline. Other 4xx answers
// (NoPermission, RdCheckNoPermission, InvalidParameter, signature errors)
// are not.
package exports
