package sassim

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/export-notifier/export-notifier/event"
)

// answer serves an authenticated call about call.Ref: a fault, or the
// export's next step.
func (s *Simulator) answer(w http.ResponseWriter, r *http.Request, call *Call, now time.Time) {
	s.mu.Lock()
	key := exportKey{call.Ref.Kind, call.Ref.ID}
	st, ok := s.exports[key]
	if !ok {
		st = &exportState{spec: Export{Ref: event.Ref{Kind: call.Ref.Kind, ID: call.Ref.ID}}}
		s.exports[key] = st
	}
	if apiErr := s.otherAccount(st, call.Ref.Account); apiErr != nil {
		s.mu.Unlock()
		s.refuse(w, r, call, apiErr)
		return
	}
	st.asked++
	fault := st.spec.Fault
	faulty := fault.Times == 0 || st.asked <= fault.Times
	if !faulty {
		fault = Fault{}
	}
	s.mu.Unlock()

	if !sleep(r, fault.Latency) {
		return
	}
	if s.misbehave(w, r, call, fault) {
		return
	}

	s.mu.Lock()
	st.served++
	if st.firstSeen.IsZero() {
		st.firstSeen = now
	}
	info := s.progress(st, now)
	s.mu.Unlock()

	body := info.body(call.Ref, call.RequestID, now)
	call.HTTPStatus, call.Status = http.StatusOK, info.status
	w.Header().Set("Content-Type", "application/json;charset=utf-8")
	w.WriteHeader(http.StatusOK)
	w.Write(body)
	s.record(*call)
}

// progressInfo is where an export stands at one call.
type progressInfo struct {
	state      event.State
	status     string // as the kind's API spells it
	progress   int
	current    int64
	total      int64
	fileName   string
	failed     bool
	gmtCreated time.Time
}

// progress computes st's state; s.mu is held.
func (s *Simulator) progress(st *exportState, now time.Time) progressInfo {
	spec := st.spec
	steps := spec.Steps
	if steps <= 0 {
		steps = s.opts.Steps
	}
	var fraction float64
	switch {
	case spec.Duration > 0 && !spec.StartAt.IsZero():
		fraction = spec.Shape.fractionAt(now.Sub(spec.StartAt), spec.Duration)
	case spec.Duration > 0:
		fraction = spec.Shape.fractionAt(now.Sub(st.firstSeen), spec.Duration)
		if st.served == 1 {
			fraction = 0
		}
	case steps <= 1:
		fraction = 1
	default:
		fraction = float64(st.served-1) / float64(steps-1)
	}
	fraction = math.Min(fraction, 1)
	if spec.Stuck || (spec.Fail && spec.Ref.Kind != event.SuspEvent) {
		fraction = 0
		if st.served > 1 {
			fraction = 0.01 // exporting, visibly, and no further
		}
	}
	p := progressInfo{
		total:      spec.TotalCount,
		fileName:   spec.FileName,
		gmtCreated: st.firstSeen,
	}
	if p.total <= 0 {
		p.total = 100 + spec.Ref.ID%900
	}
	if p.fileName == "" {
		p.fileName = defaultFileName(spec.Ref, st.firstSeen)
	}
	switch {
	case fraction >= 1 && spec.Fail:
		p.state, p.failed, p.progress = event.Exporting, true, 100
	case fraction >= 1:
		p.state, p.progress, p.current = event.Success, 100, p.total
	case !spec.StartAt.IsZero() && now.Before(spec.StartAt):
		p.state = event.Init
	case spec.StartAt.IsZero() && st.served <= 1 && fraction < 1:
		p.state = event.Init
	default:
		p.state = event.Exporting
		p.progress = int(fraction * 100)
		p.current = int64(fraction * float64(p.total))
	}
	p.status = string(p.state)
	switch {
	case p.failed:
		p.status = "failed"
	case spec.Ref.Kind == event.SuspEvent && p.state == event.Init:
		p.status = "pending"
	case spec.Ref.Kind == event.HC && p.state == event.Init:
		p.status = "exporting" // hc reports only exporting and success
	}
	return p
}

func defaultFileName(ref event.Ref, created time.Time) string {
	stamp := created.UTC().Format("20060102")
	switch ref.Kind {
	case event.Vul:
		return fmt.Sprintf("vul_export_%s_%d.xlsx", stamp, ref.ID)
	case event.HC:
		return fmt.Sprintf("health_check_export_%s_%d.xlsx", stamp, ref.ID)
	case event.Warning:
		return fmt.Sprintf("warning_export_%s_%d.xlsx", stamp, ref.ID)
	case event.SuspEvent:
		return fmt.Sprintf("suspicious_event_%s_%d.zip", stamp, ref.ID)
	default:
		return fmt.Sprintf("asset_export_%s_%d.xlsx", stamp, ref.ID)
	}
}

// LinkHost is the fake OSS host download links point at.
const LinkHost = "sassim-exports.oss-cn-shanghai.example.invalid"

// link is a presigned-looking OSS URL for fileName.
func link(fileName string, now time.Time) string {
	expires := strconv.FormatInt(now.Add(time.Hour).Unix(), 10)
	mac := hmac.New(sha256.New, []byte("sassim-link"))
	mac.Write([]byte(fileName + expires))
	q := url.Values{
		"Expires":        {expires},
		"OSSAccessKeyId": {"STS.sassimDownload"},
		"Signature":      {base64.StdEncoding.EncodeToString(mac.Sum(nil)[:20])},
	}
	return "https://" + LinkHost + "/exports/" + url.PathEscape(fileName) + "?" + q.Encode()
}

// body is the JSON answer of the kind's API.
func (p progressInfo) body(ref event.Ref, requestID string, now time.Time) []byte {
	m := map[string]any{
		"RequestId": requestID,
		"Id":        ref.ID,
		"Progress":  p.progress,
		"FileName":  p.fileName,
	}
	if p.state != event.Init {
		m["TotalCount"] = p.total
	}
	if p.state == event.Success {
		m["Link"] = link(p.fileName, now)
	}
	switch ref.Kind {
	case event.HC:
		m["ResultStatus"] = p.status
		m["CurrentCount"] = p.current
		m["GmtCreate"] = p.gmtCreated.UnixMilli()
	case event.SuspEvent:
		m["ExportStatus"] = p.status
		m["Type"] = "suspiciousEvent"
		m["GmtCreate"] = p.gmtCreated.UnixMilli()
		m["GmtModified"] = now.UnixMilli()
		m["Properties"] = "id,eventSubType,eventDetail,level,status,ip,instanceName,desc,lastTime,operateTime,note"
	default:
		m["ExportStatus"] = p.status
		m["CurrentCount"] = p.current
		if p.state == event.Success {
			m["Message"] = "success"
		}
	}
	b, _ := json.Marshal(m) // strings and numbers only
	return b
}
