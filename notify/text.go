package notify

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/export-notifier/export-notifier/event"
)

// Summary is one line about ev for people: what happened to which export,
// and for completions the file, its rows and (with includeLink) the link.
func Summary(ev event.Event, includeLink bool) string {
	st := ev.Status
	var b strings.Builder
	switch ev.Type {
	case event.Completed:
		b.WriteString("Export ready: ")
		b.WriteString(st.Ref.String())
		if st.FileName != "" {
			b.WriteString(` "` + OneLine(st.FileName) + `"`)
		}
		fmt.Fprintf(&b, ", %s rows", Thousands(st.TotalCount))
		if includeLink && st.Link != "" {
			b.WriteString(", link ")
			b.WriteString(OneLine(st.Link))
		}
		for _, f := range FileFacts(ev, includeLink) {
			b.WriteString("; " + f[0] + ": " + f[1])
		}
	case event.Failed:
		b.WriteString("Export check failed: ")
		b.WriteString(st.Ref.String())
		if f := ev.Error; f != nil {
			b.WriteString(": ")
			b.WriteString(failureText(f))
		}
	case event.Stalled:
		b.WriteString("Export stalled: ")
		b.WriteString(st.Ref.String())
		if st.FileName != "" {
			b.WriteString(` "` + OneLine(st.FileName) + `"`)
		}
		fmt.Fprintf(&b, " is %s", ProgressText(st))
		b.WriteString(" and has made no progress")
	case event.Started:
		b.WriteString(StartedHeadline(ev))
		if st.FileName != "" {
			b.WriteString(` "` + OneLine(st.FileName) + `"`)
		}
	case event.Digest:
		if d := DigestOf(ev, includeLink); d != nil {
			b.WriteString(DigestHeadline(d))
		}
	case event.Running:
		b.WriteString(RunningHeadline(st))
		b.WriteString(" for ")
		b.WriteString(st.Ref.String())
		if st.FileName != "" {
			b.WriteString(` "` + OneLine(st.FileName) + `"`)
		}
	default:
		fmt.Fprintf(&b, "Export %s: %s", OneLine(string(ev.Type)), st.Ref.String())
	}
	return b.String()
}

// StartedHeadline is "Export started: asset:131240 (assetInstance)": the
// new export and, when the event says, the export type that was asked for.
func StartedHeadline(ev event.Event) string {
	s := "Export started: " + ev.Status.Ref.String()
	if what := startedType(ev.Start); what != "" {
		s += " (" + what + ")"
	}
	return s
}

// startedType is the export type (asset) or vulnerability type (vul) a
// start asked for, or "" when there is none to show.
func startedType(spec *event.StartSpec) string {
	switch {
	case spec == nil:
		return ""
	case spec.ExportType != "":
		return OneLine(spec.ExportType)
	case spec.Type != "":
		return OneLine(spec.Type)
	}
	return ""
}

// StartedAs is the whole request a start made, "asset/assetInstance (en)",
// or "" when the event does not say.
func StartedAs(spec *event.StartSpec) string {
	if spec == nil {
		return ""
	}
	return OneLine(spec.String())
}

// RunningHeadline is "Export running: 40% (12,000 of 30,000)".
func RunningHeadline(st event.Status) string {
	return "Export running: " + runningText(st)
}

// runningText is "40% (12,000 of 30,000)", or "0%" before Security Center
// knows how many entries there are.
func runningText(st event.Status) string {
	s := strconv.Itoa(st.Progress) + "%"
	if st.TotalCount > 0 {
		s += " (" + Thousands(st.CurrentCount) + " of " + Thousands(st.TotalCount) + ")"
	}
	return s
}

// StateText is the export's state for people: "init" is "waiting to
// start".
func StateText(st event.Status) string {
	switch st.State {
	case "", event.Init:
		return "waiting to start"
	}
	return OneLine(string(st.State))
}

// failureText is "Code (HTTP n): message" on one line.
func failureText(f *event.Failure) string {
	s := OneLine(f.Code)
	if s == "" {
		s = "error"
	}
	if f.HTTPStatus != 0 {
		s += " (HTTP " + strconv.Itoa(f.HTTPStatus) + ")"
	}
	if m := OneLine(f.Message); m != "" {
		s += ": " + m
	}
	return s
}

// neverRead is the progress of an export whose status was never seen:
// every check of it failed, so there is no state or count to show.
const neverRead = "never read: no status was ever received for it"

// ProgressText is "exporting at 40% (400 of 1,000 rows)", or neverRead.
func ProgressText(st event.Status) string {
	if st.State == "" {
		return neverRead
	}
	return fmt.Sprintf("%s at %d%% (%s of %s rows)", OneLine(string(st.State)), st.Progress, Thousands(st.CurrentCount), Thousands(st.TotalCount))
}

// AccountText is the account an export belongs to, for people: its ID, or
// "own account".
func AccountText(st event.Status) string {
	if st.Account == 0 {
		return "own account"
	}
	return strconv.FormatInt(st.Account, 10)
}

// RegionText is the Security Center region of ev, or "unknown".
func RegionText(ev event.Event) string {
	if ev.Region == "" {
		return "unknown"
	}
	return ev.Region
}

// Hint says what to do about a failure with the given error code, or ""
// when there is nothing useful to say.
func Hint(kind event.Kind, code string) string {
	lower := strings.ToLower(code)
	switch {
	case code == "NoPermission" || strings.HasPrefix(code, "Forbidden"):
		return fmt.Sprintf("Grant yundun-sas:%s to the function's role (or the RAM identity the CLI runs as).", event.DescribeAction(kind))
	case code == "RdCheckNoPermission":
		return "The account is not a resource directory member the caller may read: check the export's @account and RESOURCE_DIRECTORY_ACCOUNT_ID, and that the caller is the directory's management or delegated administrator account."
	case strings.HasPrefix(code, "Throttling"):
		return "Security Center is throttling the calls: lower POLL_QPS (or POLL_CONCURRENCY)."
	case code == "ServerError" || code == "InternalError" || code == "ServiceUnavailable" || code == "RdCheckInnerError":
		return "An error on Security Center's side; the next cycle checks again."
	case strings.HasPrefix(code, "InvalidAccessKeyId") || code == "SignatureDoesNotMatch" || strings.HasPrefix(code, "InvalidSecurityToken"):
		return "The credentials were refused: check the AccessKey or the function's role."
	case strings.Contains(lower, "timeout") || strings.Contains(lower, "timedout") ||
		strings.Contains(lower, "connect") || strings.Contains(lower, "network") ||
		strings.Contains(lower, "transport") || strings.Contains(lower, "dns"):
		return "Security Center could not be reached: check the network path to its endpoint (SAS_REGION, SAS_ENDPOINT, the function's VPC and internet access)."
	}
	return ""
}

// Thousands formats n with comma separators: 1234567 is "1,234,567".
func Thousands(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	if neg {
		s = s[1:]
	}
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// SampleEvent is a made-up but realistic event of type t, for previews and
// for trying templates.
func SampleEvent(t event.Type) event.Event {
	st := event.Status{
		Ref:          event.Ref{Kind: event.HC, ID: 131231},
		State:        event.Success,
		Progress:     100,
		CurrentCount: 1234,
		TotalCount:   1234,
		FileName:     "health_check_export_20171123",
		Link:         "https://sas-export-cn-shanghai.oss-cn-shanghai.aliyuncs.com/health_check_export_20171123.zip?Expires=1795596540&OSSAccessKeyId=LTAI-sample&Signature=sample%3D",
		RequestID:    "2C0B5BC5-0E2C-5C80-A6B1-9F1E3CE2D4A7",
	}
	ev := event.Event{Type: t, Time: time.Date(2026, 11, 25, 7, 49, 0, 0, time.UTC), Region: "cn-shanghai", Status: st}
	switch t {
	case event.Digest:
		return SampleDigest(12, false)
	case event.Failed:
		ev.Status = event.Status{Ref: event.Ref{Kind: event.Asset, ID: 131232, Account: 16670360956}, State: event.Exporting, Progress: 40, CurrentCount: 400, TotalCount: 1000, RequestID: st.RequestID}
		ev.Error = &event.Failure{Code: "NoPermission", Message: "You are not authorized to do this operation.", HTTPStatus: 403}
	case event.Stalled:
		ev.Status.State = event.Exporting
		ev.Status.Progress = 40
		ev.Status.CurrentCount = 400
		ev.Status.Link = ""
	case event.Started:
		ev.Status = event.Status{Ref: event.Ref{Kind: event.Asset, ID: 131240}, State: event.Init, RequestID: st.RequestID}
		ev.Start = &event.StartSpec{Kind: event.Asset, ExportType: "assetInstance", Lang: "en"}
	case event.Running:
		// Transient: never stored, so it has no ID.
		ev.Status = event.Status{Ref: event.Ref{Kind: event.Asset, ID: 131240}, State: event.Exporting, Progress: 40,
			CurrentCount: 12000, TotalCount: 30000, RequestID: st.RequestID}
		return ev
	}
	ev.ID = event.NewID(ev.Status.Ref, ev.Key())
	return ev
}
