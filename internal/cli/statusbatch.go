package cli

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/export-notifier/export-notifier/state"
)

// statusBatch is the exports one start item started, one per member
// account, and how far they got.
type statusBatch struct {
	Key       string         `json:"key"`
	Spec      string         `json:"spec"`
	Requested time.Time      `json:"requested"`
	Accounts  int            `json:"accounts"`
	Ready     int            `json:"ready"`
	Failed    int            `json:"failed"`
	Pending   int            `json:"pending"`
	Members   []statusMember `json:"members"`
}

type statusMember struct {
	Account int64             `json:"account"`
	State   state.MemberState `json:"state"`
	Export  string            `json:"export,omitempty"`
	// Progress is the export's, while it is pending.
	Progress int    `json:"progress"`
	Code     string `json:"code,omitempty"`
}

func newStatusBatches(s *state.Snapshot) []statusBatch {
	out := []statusBatch{}
	for _, b := range s.Batches() {
		sb := statusBatch{Key: b.Key, Requested: b.Requested, Accounts: len(b.Starts)}
		if len(b.Starts) > 0 {
			spec := b.Starts[0].Spec
			spec.Account = 0
			sb.Spec = spec.String()
		}
		for _, m := range s.Members(b) {
			sm := statusMember{Account: m.Account, State: m.State, Code: m.Code}
			if m.Start.Ref.ID != 0 {
				sm.Export = m.Start.Ref.String()
			}
			if m.Export != nil {
				sm.Progress = m.Export.Status.Progress
			}
			switch m.State {
			case state.MemberReady:
				sb.Ready++
			case state.MemberFailed:
				sb.Failed++
			default:
				sb.Pending++
			}
			sb.Members = append(sb.Members, sm)
		}
		out = append(out, sb)
	}
	return out
}

// progressText reads like "11 of 12 ready, 1 failed".
func (b statusBatch) progressText() string {
	parts := []string{fmt.Sprintf("%d of %d ready", b.Ready, b.Accounts)}
	if b.Failed > 0 {
		parts = append(parts, strconv.Itoa(b.Failed)+" failed")
	}
	if b.Pending > 0 {
		parts = append(parts, strconv.Itoa(b.Pending)+" pending")
	}
	return strings.Join(parts, ", ")
}

func writeBatches(w io.Writer, batches []statusBatch, now time.Time) {
	if len(batches) == 0 {
		return
	}
	fmt.Fprintln(w, "\nBATCH\tREQUESTED\tPROGRESS")
	for _, b := range batches {
		fmt.Fprintf(w, "%s for %d member accounts\t%s ago\t%s\n", b.Spec, b.Accounts, statusAgo(now, b.Requested), b.progressText())
	}
}
