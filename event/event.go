// Package event defines what export-notifier's parts hand to one another:
// which Security Center export is meant (Ref), what Security Center last said
// about it (Status), and what people are told about it (Event).
//
// It is a leaf package: exports, state and notify all import it and nothing
// else of the project, so they never need to import each other.
package event

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Kind is the kind of data an export holds; each kind has its own
// Describe*ExportInfo API.
type Kind string

// The export kinds Security Center can report on.
const (
	Asset     Kind = "asset"     // DescribeExportInfo
	Vul       Kind = "vul"       // DescribeVulExportInfo
	HC        Kind = "hc"        // DescribeHcExportInfo
	Warning   Kind = "warning"   // DescribeWarningExportInfo
	SuspEvent Kind = "suspEvent" // DescribeSuspEventExportInfo
)

// Kinds lists every kind, in the order the documentation gives them.
func Kinds() []Kind { return []Kind{Asset, Vul, HC, Warning, SuspEvent} }

// DescribeAction is the Security Center API (and RAM action, with the
// yundun-sas: prefix) that reports on exports of kind k.
func DescribeAction(k Kind) string {
	switch k {
	case Vul:
		return "DescribeVulExportInfo"
	case HC:
		return "DescribeHcExportInfo"
	case Warning:
		return "DescribeWarningExportInfo"
	case SuspEvent:
		return "DescribeSuspEventExportInfo"
	default:
		return "DescribeExportInfo"
	}
}

// ParseKind returns the kind named by s; the empty string is Asset, the
// default kind.
func ParseKind(s string) (Kind, error) {
	if s == "" {
		return Asset, nil
	}
	for _, k := range Kinds() {
		if string(k) == s {
			return k, nil
		}
	}
	return "", fmt.Errorf("unknown export kind %s (want asset, vul, hc, warning or suspEvent)", Quote(s))
}

// Ref names one export: its kind, its ID, and the resource directory member
// account it belongs to (0 for the caller's own account).
type Ref struct {
	Kind    Kind  `json:"kind"`
	ID      int64 `json:"id"`
	Account int64 `json:"resourceDirectoryAccountId,omitempty"`
}

// String is the canonical form of r, "kind:id" or "kind:id@account"; it is
// also the key under which the state records the export.
func (r Ref) String() string {
	s := string(r.Kind) + ":" + strconv.FormatInt(r.ID, 10)
	if r.Account != 0 {
		s += "@" + strconv.FormatInt(r.Account, 10)
	}
	return s
}

// Validate reports whether Security Center could be asked about r: a known
// kind, a positive ID that fits the kind's API, and a member account only
// where the kind's API takes one. The error names r.
func (r Ref) Validate() error {
	if err := r.problem(); err != nil {
		return fmt.Errorf("export %s: %w", r, err)
	}
	return nil
}

func (r Ref) problem() error {
	if k, err := ParseKind(string(r.Kind)); err != nil || k != r.Kind {
		return fmt.Errorf("unknown export kind %s (want asset, vul, hc, warning or suspEvent)", Quote(string(r.Kind)))
	}
	if r.ID <= 0 {
		return fmt.Errorf("the ID must be a positive number")
	}
	if r.Kind == SuspEvent && r.ID > math.MaxInt32 {
		return fmt.Errorf("suspEvent export IDs are 32-bit (at most %d)", math.MaxInt32)
	}
	if r.Account < 0 {
		return fmt.Errorf("the resource directory account ID must be a positive number")
	}
	if r.Account != 0 && r.Kind != Asset {
		return fmt.Errorf("only asset exports take a resource directory account (DescribeExportInfo); %s exports do not", r.Kind)
	}
	return nil
}

// ParseRef parses one export reference: "131231", "vul:52",
// "131231@16670360956" or "asset:131231@16670360956".
func ParseRef(s string) (Ref, error) {
	item := strings.TrimSpace(s)
	if item == "" {
		return Ref{}, fmt.Errorf("empty export reference")
	}
	rest := item
	var r Ref
	if kind, after, ok := strings.Cut(rest, ":"); ok {
		k, err := ParseKind(kind)
		if err != nil || kind == "" {
			return Ref{}, fmt.Errorf("export %s: unknown export kind %s (want asset, vul, hc, warning or suspEvent)", Quote(item), Quote(kind))
		}
		r.Kind, rest = k, after
	} else {
		r.Kind = Asset
	}
	id, account, hasAccount := strings.Cut(rest, "@")
	n, err := strconv.ParseInt(id, 10, 64)
	if err != nil {
		return Ref{}, fmt.Errorf("export %s: the ID %s is not a number", Quote(item), Quote(id))
	}
	r.ID = n
	if hasAccount {
		a, err := strconv.ParseInt(account, 10, 64)
		if err != nil || a <= 0 {
			return Ref{}, fmt.Errorf("export %s: the resource directory account %s is not a positive number", Quote(item), Quote(account))
		}
		r.Account = a
	}
	if err := r.problem(); err != nil {
		return Ref{}, fmt.Errorf("export %s: %w", Quote(item), err)
	}
	return r, nil
}

// State is an export's progress as Security Center reports it.
type State string

// The states an export moves through.
const (
	Init      State = "init"
	Exporting State = "exporting"
	Success   State = "success"
)

// Status is what Security Center last said about an export, normalised
// across the kinds' APIs.
type Status struct {
	Ref
	State        State  `json:"status"`
	Progress     int    `json:"progress"`
	CurrentCount int64  `json:"currentCount"`
	TotalCount   int64  `json:"totalCount"`
	FileName     string `json:"fileName,omitempty"`
	Link         string `json:"link,omitempty"`
	Message      string `json:"message,omitempty"`
	RequestID    string `json:"requestId,omitempty"`
	// Raw is the API's response body, for debugging; it holds the link.
	Raw []byte `json:"-"`
}

// Type is what happened to an export, as people are told.
type Type string

// The event types. NOTIFY_ON names them by these values.
const (
	Completed Type = "completed" // the status became success
	Failed    Type = "failed"    // checking the export failed after retries
	Stalled   Type = "stalled"   // no progress for STALL_AFTER
	// Started: a scheduled payload started the export. The Status holds
	// the new export's Ref and what else is known (State Init, the request
	// ID); Event.Start says what was asked for.
	Started Type = "started"
)

// Running describes an export in progress. It is transient: it is never
// stored, never an entry of NOTIFY_ON (ParseType refuses it, Types leaves
// it out), and only ever rendered as the first state of a message that
// updates itself (notify.Updater), which a later event of another type
// replaces.
const Running Type = "running"

// Types lists every event type that can be stored and named in NOTIFY_ON;
// Running is not one.
func Types() []Type { return []Type{Completed, Failed, Stalled, Started} }

// ParseType returns the event type named by s, one of Types.
func ParseType(s string) (Type, error) {
	names := make([]string, 0, len(Types()))
	for _, t := range Types() {
		if string(t) == s {
			return t, nil
		}
		names = append(names, string(t))
	}
	return "", fmt.Errorf("unknown event type %s (want %s or %s)", Quote(s), strings.Join(names[:len(names)-1], ", "), names[len(names)-1])
}

// CloudEventType is the CloudEvents "type" attribute of events of type t.
func (t Type) CloudEventType() string { return "export-notifier.export." + string(t) }

// Failure describes why checking an export failed.
type Failure struct {
	Code       string `json:"code"`
	Message    string `json:"message"`
	HTTPStatus int    `json:"httpStatus,omitempty"`
}

// Event is one thing people are told about one export.
type Event struct {
	// ID is stable for the event across cycles and retries (see NewID), so
	// receivers can deduplicate.
	ID     string    `json:"id"`
	Type   Type      `json:"type"`
	Time   time.Time `json:"time"`
	Region string    `json:"region,omitempty"`
	Status Status    `json:"export"`
	Error  *Failure  `json:"error,omitempty"`
	// Start, for Started events, is what the payload asked to start.
	Start *StartSpec `json:"start,omitempty"`
	// Resolves, on a Completed event, are the incidents the export's
	// earlier failed and stalled events opened, which the completion
	// closes in incident tools; empty when it never failed or stalled.
	Resolves []Incident `json:"resolves,omitempty"`
	// Archive, for Completed events with ARCHIVE_URL set, is where the
	// file was copied; Status.Link then links to the copy.
	Archive *Archive `json:"archive,omitempty"`
	// Digest, for Digest events, is the batch's summary; Status is then
	// the batch's first started export, which the digest is kept with.
	Digest *BatchDigest `json:"digest,omitempty"`
}

// Incident is what an incident tool was told about one export: its
// failures (whatever their codes) are one incident, its stall another.
type Incident struct {
	Type  Type      `json:"type"`           // Failed or Stalled
	Code  string    `json:"code,omitempty"` // the last failure's error code
	Since time.Time `json:"since"`          // when its first event was decided
}

// Key names the event among the events of its export: the type, and for
// failures the error code, since each distinct code is told once; a
// digest is "digest", or "digest:partial".
func (e Event) Key() string {
	if e.Type == Digest {
		return digestKey(e.Digest)
	}
	return Key(e.Type, e.Error)
}

// Key names an event of type t with failure f among its export's events.
func Key(t Type, f *Failure) string {
	if t == Failed && f != nil {
		return string(t) + ":" + f.Code
	}
	return string(t)
}

// NewID derives the stable ID of the event with the given key about ref.
func NewID(ref Ref, key string) string {
	sum := sha256.Sum256([]byte(ref.String() + "|" + key))
	return "evt_" + hex.EncodeToString(sum[:12])
}
