package exports

import (
	"context"
	"errors"
	"fmt"
	"strings"

	sas "github.com/alibabacloud-go/sas-20181203/v8/client"
	"github.com/alibabacloud-go/tea/dara"

	"github.com/export-notifier/export-notifier/event"
)

// response is the part of every Describe*ExportInfo response that matters.
type response struct {
	status                         *string
	progress, current, total       *int32
	fileName, link, message, reqID *string
}

func (c *Client) call(ctx context.Context, sdk *sas.Client, ref event.Ref, account int64) (*response, error) {
	switch ref.Kind {
	case event.Vul:
		r, err := sdk.DescribeVulExportInfoWithContext(ctx, &sas.DescribeVulExportInfoRequest{ExportId: new(ref.ID)}, c.runtime)
		if err != nil || r == nil || r.Body == nil {
			return nil, orEmpty(err)
		}
		b := r.Body
		return &response{b.ExportStatus, b.Progress, b.CurrentCount, b.TotalCount, b.FileName, b.Link, b.Message, b.RequestId}, nil
	case event.HC:
		r, err := sdk.DescribeHcExportInfoWithContext(ctx, &sas.DescribeHcExportInfoRequest{ExportId: new(ref.ID)}, c.runtime)
		if err != nil || r == nil || r.Body == nil {
			return nil, orEmpty(err)
		}
		b := r.Body // hc names its status ResultStatus and has no Message
		return &response{b.ResultStatus, b.Progress, b.CurrentCount, b.TotalCount, b.FileName, b.Link, nil, b.RequestId}, nil
	case event.Warning:
		r, err := sdk.DescribeWarningExportInfoWithContext(ctx, &sas.DescribeWarningExportInfoRequest{ExportId: new(ref.ID)}, c.runtime)
		if err != nil || r == nil || r.Body == nil {
			return nil, orEmpty(err)
		}
		b := r.Body
		return &response{b.ExportStatus, b.Progress, b.CurrentCount, b.TotalCount, b.FileName, b.Link, b.Message, b.RequestId}, nil
	case event.SuspEvent:
		r, err := sdk.DescribeSuspEventExportInfoWithContext(ctx, &sas.DescribeSuspEventExportInfoRequest{ExportId: new(int32(ref.ID))}, c.runtime)
		if err != nil || r == nil || r.Body == nil {
			return nil, orEmpty(err)
		}
		b := r.Body // suspEvent has no CurrentCount and no Message
		return &response{b.ExportStatus, b.Progress, nil, b.TotalCount, b.FileName, b.Link, nil, b.RequestId}, nil
	default:
		req := &sas.DescribeExportInfoRequest{ExportId: new(ref.ID)}
		if account != 0 {
			req.ResourceDirectoryAccountId = new(account)
		}
		r, err := sdk.DescribeExportInfoWithContext(ctx, req, c.runtime)
		if err != nil || r == nil || r.Body == nil {
			return nil, orEmpty(err)
		}
		b := r.Body
		return &response{b.ExportStatus, b.Progress, b.CurrentCount, b.TotalCount, b.FileName, b.Link, b.Message, b.RequestId}, nil
	}
}

var errEmptyResponse = errors.New("the response has no body")

func orEmpty(err error) error {
	if err != nil {
		return err
	}
	return errEmptyResponse
}

// normalise turns one kind's response into an event.Status.
func normalise(ref event.Ref, r *response, rec *recording) (event.Status, *Error) {
	st := event.Status{
		Ref:          ref,
		Progress:     int(dara.Int32Value(r.progress)),
		CurrentCount: int64(dara.Int32Value(r.current)),
		TotalCount:   int64(dara.Int32Value(r.total)),
		FileName:     dara.StringValue(r.fileName),
		Link:         dara.StringValue(r.link),
		Message:      dara.StringValue(r.message),
		RequestID:    dara.StringValue(r.reqID),
		Raw:          bytesClone(rec.body.Bytes()),
	}
	if st.RequestID == "" {
		st.RequestID = rec.requestID
	}
	raw := dara.StringValue(r.status)
	switch strings.ToLower(strings.TrimSpace(raw)) {
	case "init", "pending":
		st.State = event.Init
	case "exporting":
		st.State = event.Exporting
	case "success":
		st.State = event.Success
		if r.current == nil { // suspEvent: all rows are exported once it succeeds
			st.CurrentCount = st.TotalCount
		}
	case "failed":
		return event.Status{}, &Error{Ref: ref, Code: CodeExportFailed, RequestID: st.RequestID,
			Message: "Security Center reports that the export task failed; start a new export"}
	case "":
		return event.Status{}, &Error{Ref: ref, Code: CodeInvalidResponse, RequestID: st.RequestID,
			Message: "the response holds no export status"}
	default:
		return event.Status{}, &Error{Ref: ref, Code: CodeInvalidResponse, RequestID: st.RequestID,
			Message: fmt.Sprintf("unknown export status %q", oneLine(raw))}
	}
	return st, nil
}

func bytesClone(b []byte) []byte {
	if len(b) == 0 {
		return nil
	}
	return append([]byte(nil), b...)
}

// describeAPI names the API that Get calls for kind, for logs.
func describeAPI(kind event.Kind) string {
	switch kind {
	case event.Vul:
		return "DescribeVulExportInfo"
	case event.HC:
		return "DescribeHcExportInfo"
	case event.Warning:
		return "DescribeWarningExportInfo"
	case event.SuspEvent:
		return "DescribeSuspEventExportInfo"
	default:
		return "DescribeExportInfo"
	}
}
