package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/export-notifier/export-notifier/event"
	"github.com/export-notifier/export-notifier/internal/app"
	"github.com/export-notifier/export-notifier/state"
)

// statusReport is what status prints; with --json, as it is.
type statusReport struct {
	Location    string              `json:"location"`
	Version     int64               `json:"version"`
	Updated     *time.Time          `json:"updated,omitempty"`
	Pending     []statusExport      `json:"pending"`
	Finished    []statusTombstone   `json:"finished"`
	Undelivered []statusUndelivered `json:"undelivered"`
	Starts      []statusStart       `json:"starts"`
	Batches     []statusBatch       `json:"batches"`
}

type statusExport struct {
	Export       string      `json:"export"`
	Kind         event.Kind  `json:"kind"`
	ID           int64       `json:"exportId"`
	Account      int64       `json:"resourceDirectoryAccountId,omitempty"`
	Status       event.State `json:"status,omitempty"`
	Progress     int         `json:"progress"`
	CurrentCount int64       `json:"currentCount"`
	TotalCount   int64       `json:"totalCount"`
	FileName     string      `json:"fileName,omitempty"`
	Message      string      `json:"message,omitempty"`
	// LastError is the error code the last check failed with.
	LastError  string    `json:"lastError,omitempty"`
	FirstSeen  time.Time `json:"firstSeen"`
	LastChange time.Time `json:"lastChange"`
}

type statusTombstone struct {
	Export   string    `json:"export"`
	Status   string    `json:"status,omitempty"`
	Finished time.Time `json:"finished"`
}

type statusUndelivered struct {
	Export     string     `json:"export"`
	Event      string     `json:"event"`
	EventID    string     `json:"eventId"`
	Time       time.Time  `json:"time"`
	Sink       string     `json:"sink"`
	Attempts   int        `json:"attempts"`
	LastError  string     `json:"lastError,omitempty"`
	ClaimedBy  string     `json:"claimedBy,omitempty"`
	ClaimUntil *time.Time `json:"claimUntil,omitempty"`
}

// statusStart is an export a payload asked to start, and what came of it.
type statusStart struct {
	// Key names the start among the state's: the invocation, the
	// position in its payload and the spec.
	Key       string          `json:"key"`
	Spec      string          `json:"spec"`
	Request   event.StartSpec `json:"request"`
	Requested time.Time       `json:"requested"`
	ClaimedBy string          `json:"claimedBy,omitempty"`
	// Outcome is "started", "failed" or "unknown": the cycle that asked
	// Security Center has not recorded an answer (it is still running,
	// or it ended before it could).
	Outcome        string     `json:"outcome"`
	Settled        *time.Time `json:"settled,omitempty"`
	Export         string     `json:"export,omitempty"`
	RequestID      string     `json:"requestId,omitempty"`
	Error          string     `json:"error,omitempty"`
	MayHaveStarted bool       `json:"mayHaveStarted,omitempty"`
}

// The values of statusStart.Outcome.
const (
	startStarted = "started"
	startFailed  = "failed"
	startUnknown = "unknown"
)

// runStatus prints what the state holds: the exports still watched, the
// tombstones of finished ones, each event not yet accepted by a sink, and
// the exports payloads asked to start.
// Download links are left out: anyone holding one can download the file.
func runStatus(ctx context.Context, args []string, env Env) int {
	flags := newFlags("status", "status [--json]",
		"Prints what the state at STATE_URL (default "+app.DefaultStateURL+") holds:\n"+
			"pending exports, their last status, undelivered events per sink, and\n"+
			"the exports payloads asked to start, with what came of each, and the\n"+
			"batches of member accounts' exports with their progress.",
		"status",
		"STATE_URL=oss://bucket/prefix status --json")
	asJSON := flags.Bool("json", false, "print JSON instead of tables")
	if code, done := parseFlags(flags, args, env); done {
		return code
	}
	getenv := env.Getenv
	if getenv == nil {
		getenv = func(string) string { return "" }
	}
	st, err := app.OpenState(ctx, app.Setup{Getenv: getenv, Credentials: app.CredentialsFrom(getenv)})
	if err != nil {
		fmt.Fprintf(env.Stderr, "export-notifier status: %v\n", err)
		if errors.Is(err, state.ErrConfig) {
			return ExitUsage
		}
		return ExitFailed
	}
	snap, err := st.Load(ctx)
	if err != nil {
		fmt.Fprintf(env.Stderr, "export-notifier status: %v\n", err)
		return ExitFailed
	}
	report := newStatusReport(st.Location(), snap)
	if *asJSON {
		enc := json.NewEncoder(env.Stdout)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		if err := enc.Encode(report); err != nil {
			fmt.Fprintf(env.Stderr, "export-notifier status: %v\n", err)
			return ExitFailed
		}
		return ExitOK
	}
	if err := report.writeTables(env.Stdout, time.Now()); err != nil {
		fmt.Fprintf(env.Stderr, "export-notifier status: %v\n", err)
		return ExitFailed
	}
	return ExitOK
}

func newStatusReport(location string, s *state.Snapshot) statusReport {
	r := statusReport{
		Location:    location,
		Version:     s.Version,
		Pending:     []statusExport{},
		Finished:    []statusTombstone{},
		Undelivered: []statusUndelivered{},
		Starts:      []statusStart{},
	}
	if !s.Updated.IsZero() {
		r.Updated = &s.Updated
	}
	for _, e := range s.Pending() {
		r.Pending = append(r.Pending, statusExport{
			Export: e.Ref.String(), Kind: e.Ref.Kind, ID: e.Ref.ID, Account: e.Ref.Account,
			Status: e.Status.State, Progress: e.Status.Progress,
			CurrentCount: e.Status.CurrentCount, TotalCount: e.Status.TotalCount,
			FileName: e.Status.FileName, Message: e.Status.Message, LastError: e.LastError,
			FirstSeen: e.FirstSeen, LastChange: e.LastChange,
		})
	}
	for key, e := range s.Exports {
		if !e.Finished.IsZero() {
			r.Finished = append(r.Finished, statusTombstone{Export: key, Status: string(e.Status.State), Finished: e.Finished})
		}
	}
	slices.SortFunc(r.Finished, func(a, b statusTombstone) int { return strings.Compare(a.Export, b.Export) })
	for _, d := range s.Undelivered() {
		del := s.Delivery(d)
		u := statusUndelivered{
			Export: d.ExportKey, Event: d.EventKey, EventID: d.Event.ID, Time: d.Event.Time, Sink: d.Sink,
			Attempts: del.Attempts, LastError: del.LastError, ClaimedBy: del.ClaimedBy,
		}
		if !del.ClaimUntil.IsZero() {
			until := del.ClaimUntil
			u.ClaimUntil = &until
		}
		r.Undelivered = append(r.Undelivered, u)
	}
	for key, rec := range s.Starts {
		r.Starts = append(r.Starts, newStatusStart(key, rec))
	}
	slices.SortFunc(r.Starts, func(a, b statusStart) int {
		if c := a.Requested.Compare(b.Requested); c != 0 {
			return c
		}
		return strings.Compare(a.Key, b.Key)
	})
	r.Batches = newStatusBatches(s)
	return r
}

func newStatusStart(key string, rec *state.StartRecord) statusStart {
	st := statusStart{
		Key: key, Spec: rec.Spec.String(), Request: rec.Spec, Requested: rec.Requested, ClaimedBy: rec.ClaimedBy,
		Outcome: startUnknown, RequestID: rec.RequestID,
	}
	if rec.Settled.IsZero() {
		return st
	}
	settled := rec.Settled
	st.Settled = &settled
	if rec.Error != "" {
		st.Outcome, st.Error, st.MayHaveStarted = startFailed, rec.Error, rec.MayHaveStarted
	} else {
		st.Outcome, st.Export = startStarted, rec.Ref.String()
	}
	return st
}

func (r statusReport) writeTables(w io.Writer, now time.Time) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	if r.Version == 0 {
		fmt.Fprintf(tw, "state %s: empty (no cycle has committed yet)\n", r.Location)
		return tw.Flush()
	}
	fmt.Fprintf(tw, "state %s: version %d, committed %s (%s ago)\n", r.Location, r.Version, r.Updated.Local().Format(time.DateTime), statusAgo(now, *r.Updated))
	fmt.Fprintf(tw, "%d pending, %d finished (kept to suppress repeats), %d undelivered", len(r.Pending), len(r.Finished), len(r.Undelivered))
	if len(r.Starts) > 0 {
		fmt.Fprintf(tw, ", %d started by payloads", len(r.Starts))
	}
	fmt.Fprint(tw, "\n\n")

	if len(r.Pending) > 0 {
		fmt.Fprintln(tw, "EXPORT\tSTATUS\tPROGRESS\tCOUNT\tFILE\tFIRST SEEN\tLAST CHANGE\tLAST ERROR")
		for _, e := range r.Pending {
			fmt.Fprintf(tw, "%s\t%s\t%d%%\t%s\t%s\t%s ago\t%s ago\t%s\n", e.Export, statusDash(string(e.Status)), e.Progress,
				statusCount(e.CurrentCount, e.TotalCount), statusDash(e.FileName), statusAgo(now, e.FirstSeen), statusAgo(now, e.LastChange),
				statusDash(e.LastError))
		}
		fmt.Fprintln(tw)
	}
	if len(r.Undelivered) > 0 {
		fmt.Fprintln(tw, "UNDELIVERED\tEVENT\tSINK\tATTEMPTS\tCLAIM\tLAST ERROR")
		for _, u := range r.Undelivered {
			claim := "-"
			if u.ClaimedBy != "" && u.ClaimUntil != nil {
				if u.ClaimUntil.After(now) {
					claim = fmt.Sprintf("%s for %s", u.ClaimedBy, u.ClaimUntil.Sub(now).Round(time.Second))
				} else {
					claim = fmt.Sprintf("%s (expired)", u.ClaimedBy)
				}
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\t%s\n", u.Export, u.Event, u.Sink, u.Attempts, claim, statusDash(statusOneLine(u.LastError)))
		}
		if len(r.Starts) > 0 {
			fmt.Fprintln(tw)
		}
	}
	if len(r.Starts) > 0 {
		fmt.Fprintln(tw, "STARTS\tREQUESTED\tOUTCOME")
		for _, st := range r.Starts {
			fmt.Fprintf(tw, "%s\t%s ago\t%s\n", st.Spec, statusAgo(now, st.Requested), st.outcomeText())
		}
	}
	writeBatches(tw, r.Batches, now)
	return tw.Flush()
}

// outcomeText says in a few words what came of a start.
func (st statusStart) outcomeText() string {
	switch st.Outcome {
	case startStarted:
		return "started as " + st.Export
	case startFailed:
		text := "failed: " + statusOneLine(st.Error)
		if st.MayHaveStarted {
			text += " (may have started)"
		}
		return text
	}
	return "outcome unknown"
}

func statusCount(current, total int64) string {
	if total == 0 {
		return strconv.FormatInt(current, 10)
	}
	return strconv.FormatInt(current, 10) + "/" + strconv.FormatInt(total, 10)
}

func statusDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// statusOneLine keeps a table row on one line, and short.
func statusOneLine(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > 80 {
		s = string(r[:79]) + "…"
	}
	return s
}

func statusAgo(now, t time.Time) string {
	d := now.Sub(t)
	switch {
	case d < 0:
		return "0s"
	case d < time.Minute:
		return d.Round(time.Second).String()
	case d < 48*time.Hour:
		return d.Round(time.Minute).String()
	}
	return strconv.Itoa(int(d.Hours()/24)) + "d"
}
