package state

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/export-notifier/export-notifier/event"
)

// CurrentSchema is the schema version Commit writes. Decode reads every
// schema from 1 to CurrentSchema and refuses newer ones, which a newer
// release of export-notifier wrote.
//
// Schema 2 added the records of exports started by a payload ("starts").
const CurrentSchema = 2

// The encoding is JSON, compact and stable: its own field names, not those
// of package event, so that a change there cannot silently change what is
// stored. References are stored once per export and restored into the
// statuses; empty fields are left out, since the whole snapshot is
// rewritten on every commit.
type wireSnapshot struct {
	Schema  *int         `json:"schema"`
	Version int64        `json:"version"`
	Updated time.Time    `json:"updated"`
	Commit  string       `json:"commit,omitempty"`
	Parent  string       `json:"parent,omitempty"`
	Exports []wireExport `json:"exports"`
	Starts  []wireStart  `json:"starts,omitempty"`
}

type wireStart struct {
	Key            string          `json:"key"`
	Spec           json.RawMessage `json:"spec"`
	Requested      time.Time       `json:"requested"`
	ClaimedBy      string          `json:"claimedBy"`
	Settled        *time.Time      `json:"settled,omitempty"`
	Kind           event.Kind      `json:"kind,omitempty"`
	ID             int64           `json:"id,omitempty"`
	Account        int64           `json:"account,omitempty"`
	RequestID      string          `json:"requestId,omitempty"`
	Error          string          `json:"error,omitempty"`
	MayHaveStarted bool            `json:"mayHaveStarted,omitempty"`
}

type wireExport struct {
	Kind       event.Kind             `json:"kind"`
	ID         int64                  `json:"id"`
	Account    int64                  `json:"account,omitempty"`
	Status     wireStatus             `json:"status"`
	FirstSeen  time.Time              `json:"firstSeen"`
	LastChange time.Time              `json:"lastChange"`
	Finished   *time.Time             `json:"finished,omitempty"`
	Events     []wireEvent            `json:"events,omitempty"`
	Messages   map[string]wireMessage `json:"messages,omitempty"`
}

type wireMessage struct {
	Handle     string     `json:"handle,omitempty"`
	ClaimedBy  string     `json:"claimedBy,omitempty"`
	ClaimUntil *time.Time `json:"claimUntil,omitempty"`
	Shown      string     `json:"shown,omitempty"`
}

type wireStatus struct {
	State        event.State `json:"state,omitempty"`
	Progress     int         `json:"progress,omitempty"`
	CurrentCount int64       `json:"current,omitempty"`
	TotalCount   int64       `json:"total,omitempty"`
	FileName     string      `json:"file,omitempty"`
	Link         string      `json:"link,omitempty"`
	Message      string      `json:"message,omitempty"`
	RequestID    string      `json:"requestId,omitempty"`
}

type wireEvent struct {
	ID         string                  `json:"id"`
	Type       event.Type              `json:"type"`
	Time       time.Time               `json:"time"`
	Region     string                  `json:"region,omitempty"`
	Status     wireStatus              `json:"status"`
	Error      *wireFailure            `json:"error,omitempty"`
	Start      json.RawMessage         `json:"start,omitempty"`
	Deliveries map[string]wireDelivery `json:"sinks"`
}

type wireFailure struct {
	Code       string `json:"code"`
	Message    string `json:"message,omitempty"`
	HTTPStatus int    `json:"http,omitempty"`
}

type wireDelivery struct {
	ClaimedBy   string     `json:"claimedBy,omitempty"`
	ClaimUntil  *time.Time `json:"claimUntil,omitempty"`
	DeliveredAt *time.Time `json:"delivered,omitempty"`
	Attempts    int        `json:"attempts,omitempty"`
	LastError   string     `json:"error,omitempty"`
}

// Encode returns the encoding of s, written with CurrentSchema.
func Encode(s *Snapshot) ([]byte, error) {
	schema := CurrentSchema
	w := wireSnapshot{Schema: &schema, Version: s.Version, Updated: s.Updated, Commit: s.id, Parent: s.parent, Exports: make([]wireExport, 0, len(s.Exports))}
	for _, k := range sortedKeys(s.Exports) {
		e := s.Exports[k]
		if k != e.Ref.String() {
			return nil, fmt.Errorf("export %s is filed under the key %q", e.Ref, k)
		}
		we := wireExport{
			Kind: e.Ref.Kind, ID: e.Ref.ID, Account: e.Ref.Account,
			Status:    toWireStatus(e.Status),
			FirstSeen: e.FirstSeen, LastChange: e.LastChange,
			Finished: timePtr(e.Finished),
		}
		for sink, m := range e.Messages {
			if we.Messages == nil {
				we.Messages = make(map[string]wireMessage, len(e.Messages))
			}
			we.Messages[sink] = wireMessage{Handle: m.Handle, ClaimedBy: m.ClaimedBy, ClaimUntil: timePtr(m.ClaimUntil), Shown: m.Shown}
		}
		for _, vk := range sortedKeys(e.Events) {
			r := e.Events[vk]
			if vk != r.Event.Key() {
				return nil, fmt.Errorf("export %s: event %s is filed under the key %q", e.Ref, r.Event.Key(), vk)
			}
			wv := wireEvent{
				ID: r.Event.ID, Type: r.Event.Type, Time: r.Event.Time, Region: r.Event.Region,
				Status:     toWireStatus(r.Event.Status),
				Deliveries: make(map[string]wireDelivery, len(r.Deliveries)),
			}
			if f := r.Event.Error; f != nil {
				wv.Error = &wireFailure{Code: f.Code, Message: f.Message, HTTPStatus: f.HTTPStatus}
			}
			if r.Event.Start != nil {
				spec, err := json.Marshal(r.Event.Start)
				if err != nil {
					return nil, fmt.Errorf("export %s: event %s: %w", e.Ref, vk, err)
				}
				wv.Start = spec
			}
			for sink, d := range r.Deliveries {
				wv.Deliveries[sink] = wireDelivery{
					ClaimedBy: d.ClaimedBy, ClaimUntil: timePtr(d.ClaimUntil),
					DeliveredAt: timePtr(d.DeliveredAt), Attempts: d.Attempts, LastError: d.LastError,
				}
			}
			we.Events = append(we.Events, wv)
		}
		w.Exports = append(w.Exports, we)
	}
	for _, key := range sortedKeys(s.Starts) {
		r := s.Starts[key]
		spec, err := json.Marshal(r.Spec)
		if err != nil {
			return nil, fmt.Errorf("start %s: %w", key, err)
		}
		w.Starts = append(w.Starts, wireStart{
			Key: key, Spec: spec, Requested: r.Requested, ClaimedBy: r.ClaimedBy, Settled: timePtr(r.Settled),
			Kind: r.Ref.Kind, ID: r.Ref.ID, Account: r.Ref.Account,
			RequestID: r.RequestID, Error: r.Error, MayHaveStarted: r.MayHaveStarted,
		})
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(w); err != nil {
		return nil, fmt.Errorf("encode snapshot: %w", err)
	}
	return buf.Bytes(), nil
}

// Decode parses an encoded snapshot. It returns an error, never a partial
// snapshot, for anything that is not a complete snapshot of a known schema:
// truncated or empty data, other JSON, a newer schema, invalid references,
// or duplicate exports or events.
func Decode(data []byte) (*Snapshot, error) {
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, errors.New("the snapshot is empty")
	}
	var w wireSnapshot
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	err := dec.Decode(&w)
	if err == nil {
		if _, terr := dec.Token(); terr != io.EOF {
			err = errors.New("unexpected data after the snapshot")
		}
	}
	if err != nil || w.Schema == nil || *w.Schema < 1 || *w.Schema > CurrentSchema {
		return nil, decodeError(data, err)
	}
	if w.Version < 0 {
		return nil, fmt.Errorf("negative version %d", w.Version)
	}
	s := &Snapshot{Schema: *w.Schema, Version: w.Version, Updated: w.Updated, id: w.Commit, parent: w.Parent, Exports: make(map[string]*Export, len(w.Exports))}
	for i, we := range w.Exports {
		ref := event.Ref{Kind: we.Kind, ID: we.ID, Account: we.Account}
		if err := ref.Validate(); err != nil {
			return nil, fmt.Errorf("exports[%d]: %w", i, err)
		}
		key := ref.String()
		if _, dup := s.Exports[key]; dup {
			return nil, fmt.Errorf("export %s is recorded twice", key)
		}
		e := &Export{
			Ref: ref, Status: fromWireStatus(ref, we.Status),
			FirstSeen: we.FirstSeen, LastChange: we.LastChange, Finished: timeVal(we.Finished),
			Events: make(map[string]*Record, len(we.Events)),
		}
		for sink, wm := range we.Messages {
			if e.Messages == nil {
				e.Messages = make(map[string]*Message, len(we.Messages))
			}
			e.Messages[sink] = &Message{Handle: wm.Handle, ClaimedBy: wm.ClaimedBy, ClaimUntil: timeVal(wm.ClaimUntil), Shown: wm.Shown}
		}
		for j, wv := range we.Events {
			if _, err := event.ParseType(string(wv.Type)); err != nil {
				return nil, fmt.Errorf("export %s: events[%d]: %w", key, j, err)
			}
			if wv.ID == "" {
				return nil, fmt.Errorf("export %s: events[%d] has no ID", key, j)
			}
			ev := event.Event{ID: wv.ID, Type: wv.Type, Time: wv.Time, Region: wv.Region, Status: fromWireStatus(ref, wv.Status)}
			if wv.Error != nil {
				ev.Error = &event.Failure{Code: wv.Error.Code, Message: wv.Error.Message, HTTPStatus: wv.Error.HTTPStatus}
			}
			if len(wv.Start) > 0 {
				spec, err := event.ParseStartSpec(wv.Start)
				if err != nil {
					return nil, fmt.Errorf("export %s: events[%d]: %w", key, j, err)
				}
				ev.Start = &spec
			}
			vk := ev.Key()
			if _, dup := e.Events[vk]; dup {
				return nil, fmt.Errorf("export %s: event %s is recorded twice", key, vk)
			}
			r := &Record{Event: ev, Deliveries: make(map[string]*Delivery, len(wv.Deliveries))}
			for sink, wd := range wv.Deliveries {
				if wd.Attempts < 0 {
					return nil, fmt.Errorf("export %s: event %s: sink %q: negative attempts", key, vk, sink)
				}
				r.Deliveries[sink] = &Delivery{
					ClaimedBy: wd.ClaimedBy, ClaimUntil: timeVal(wd.ClaimUntil),
					DeliveredAt: timeVal(wd.DeliveredAt), Attempts: wd.Attempts, LastError: wd.LastError,
				}
			}
			e.Events[vk] = r
		}
		s.Exports[key] = e
	}
	for i, ws := range w.Starts {
		if _, dup := s.Starts[ws.Key]; dup || ws.Key == "" {
			return nil, fmt.Errorf("starts[%d]: the key %q is empty or recorded twice", i, ws.Key)
		}
		spec, err := event.ParseStartSpec(ws.Spec)
		if err != nil {
			return nil, fmt.Errorf("starts[%d]: %w", i, err)
		}
		r := &StartRecord{
			Spec: spec, Requested: ws.Requested, ClaimedBy: ws.ClaimedBy, Settled: timeVal(ws.Settled),
			RequestID: ws.RequestID, Error: ws.Error, MayHaveStarted: ws.MayHaveStarted,
		}
		if ws.ID != 0 {
			r.Ref = event.Ref{Kind: ws.Kind, ID: ws.ID, Account: ws.Account}
			if err := r.Ref.Validate(); err != nil {
				return nil, fmt.Errorf("starts[%d]: %w", i, err)
			}
		}
		if s.Starts == nil {
			s.Starts = make(map[string]*StartRecord, len(w.Starts))
		}
		s.Starts[ws.Key] = r
	}
	return s, nil
}

// decodeError explains why data is not a snapshot. The schema is looked at
// first, on its own, so that a snapshot from a newer release is reported as
// such rather than as whatever its new fields break.
func decodeError(data []byte, err error) error {
	var head struct {
		Schema *int `json:"schema"`
	}
	if herr := json.Unmarshal(data, &head); herr != nil {
		return describeJSONError(herr)
	}
	switch {
	case head.Schema == nil:
		return errors.New("not a snapshot: no schema field")
	case *head.Schema > CurrentSchema:
		return fmt.Errorf("written with schema %d by a newer export-notifier; this one reads schemas up to %d", *head.Schema, CurrentSchema)
	case *head.Schema < 1:
		return fmt.Errorf("unknown schema %d", *head.Schema)
	case err == nil:
		// Schemas 1 to CurrentSchema decode alike until a second exists.
		return fmt.Errorf("unknown schema %d", *head.Schema)
	}
	return describeJSONError(err)
}

func describeJSONError(err error) error {
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF),
		errors.As(err, &syntax) && strings.Contains(syntax.Error(), "unexpected end of JSON input"):
		return fmt.Errorf("the snapshot is truncated: %w", err)
	case errors.As(err, &syntax):
		return fmt.Errorf("not JSON (at byte %d): %w", syntax.Offset, err)
	case errors.As(err, &typ):
		return fmt.Errorf("not a snapshot: %w", err)
	}
	return fmt.Errorf("not a snapshot: %w", err)
}

func toWireStatus(st event.Status) wireStatus {
	return wireStatus{
		State: st.State, Progress: st.Progress, CurrentCount: st.CurrentCount, TotalCount: st.TotalCount,
		FileName: st.FileName, Link: st.Link, Message: st.Message, RequestID: st.RequestID,
	}
}

func fromWireStatus(ref event.Ref, w wireStatus) event.Status {
	return event.Status{
		Ref: ref, State: w.State, Progress: w.Progress, CurrentCount: w.CurrentCount, TotalCount: w.TotalCount,
		FileName: w.FileName, Link: w.Link, Message: w.Message, RequestID: w.RequestID,
	}
}

func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

func timeVal(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return *t
}
