package state

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/export-notifier/export-notifier/event"
	"github.com/export-notifier/export-notifier/exports/catalog"
)

// Decode parses an encoded snapshot. It returns an error, never a partial
// snapshot, for anything that is not a complete snapshot of a known schema:
// truncated or empty data, other JSON, a newer schema, invalid references,
// or duplicate exports or events.
func Decode(data []byte) (*Snapshot, error) {
	var w wireRecord
	exports := map[string]*Export{}
	err := decodeStream(data, "snapshot", &w, false, func(i int, we *wireExport) error {
		e, err := decodeExport(i, we)
		if err != nil {
			return err
		}
		key := e.Ref.String()
		if _, dup := exports[key]; dup {
			return fmt.Errorf("export %s is recorded twice", key)
		}
		exports[key] = e
		return nil
	})
	if err != nil {
		return nil, err
	}
	if w.Version < 0 {
		return nil, fmt.Errorf("negative version %d", w.Version)
	}
	s := &Snapshot{Schema: *w.Schema, Version: w.Version, Updated: w.Updated, id: w.Commit, parent: w.Parent, Exports: exports}
	if s.Starts, err = decodeStarts(w.Starts); err != nil {
		return nil, err
	}
	return s, nil
}

// decodeExport checks and converts the export at index i.
func decodeExport(i int, we *wireExport) (*Export, error) {
	ref := event.Ref{Kind: we.Kind, ID: we.ID, Account: we.Account}
	if err := ref.Validate(); err != nil {
		return nil, fmt.Errorf("exports[%d]: %w", i, err)
	}
	key := ref.String()
	e := &Export{
		Ref: ref, Status: statusOf(fromWireStatus(ref, we.Status)),
		FirstSeen: we.FirstSeen, LastChange: we.LastChange, Finished: timeVal(we.Finished), LastChecked: timeVal(we.Checked),
		LastError: we.LastError,
	}
	if len(we.Events) > 0 {
		e.Events = make([]*Record, 0, len(we.Events))
	}
	for sink, wm := range we.Messages {
		if e.Messages == nil {
			e.Messages = make(map[string]*Message, len(we.Messages))
		}
		e.Messages[sink] = &Message{Handle: wm.Handle, ClaimedBy: wm.ClaimedBy, ClaimUntil: timeVal(wm.ClaimUntil), Shown: wm.Shown}
	}
	for j, wv := range we.Events {
		r, err := decodeEventRecord(ref, wv)
		if err != nil {
			return nil, fmt.Errorf("export %s: events[%d]: %w", key, j, err)
		}
		if !e.addRecord(r) {
			return nil, fmt.Errorf("export %s: event %s is recorded twice", key, r.key)
		}
	}
	return e, nil
}

// decodeEventRecord checks and converts one event about ref and its deliveries.
func decodeEventRecord(ref event.Ref, wv wireEvent) (*Record, error) {
	if err := checkEventType(wv); err != nil {
		return nil, err
	}
	if wv.ID == "" {
		return nil, errors.New("the event has no ID")
	}
	ev := event.Event{ID: wv.ID, Type: wv.Type, Time: wv.Time, Region: wv.Region, Status: fromWireStatus(ref, wv.Status), Archive: wv.Archive, Digest: wv.Digest}
	if wv.Error != nil {
		ev.Error = &event.Failure{Code: wv.Error.Code, Message: wv.Error.Message, HTTPStatus: wv.Error.HTTPStatus}
	}
	if len(wv.Start) > 0 {
		spec, err := catalog.Parse(wv.Start)
		if err != nil {
			return nil, err
		}
		ev.Start = &spec
	}
	r := &Record{Event: &ev, key: ev.Key(), Deliveries: make([]Delivery, 0, len(wv.Deliveries))}
	for sink, wd := range wv.Deliveries {
		if wd.Attempts < 0 {
			return nil, fmt.Errorf("event %s: sink %q: negative attempts", r.key, sink)
		}
		r.insertDelivery(Delivery{
			Sink: sink, ClaimedBy: wd.ClaimedBy, ClaimUntil: timeVal(wd.ClaimUntil),
			DeliveredAt: timeVal(wd.DeliveredAt), Attempts: wd.Attempts, LastError: wd.LastError,
		})
	}
	return r, nil
}

// decodeStart checks and converts the record of one start.
func decodeStart(ws wireStart) (*StartRecord, error) {
	spec, err := catalog.Parse(ws.Spec)
	if err != nil {
		return nil, err
	}
	r := &StartRecord{
		Spec: spec, Requested: ws.Requested, ClaimedBy: ws.ClaimedBy, Settled: timeVal(ws.Settled),
		RequestID: ws.RequestID, Error: ws.Error, MayHaveStarted: ws.MayHaveStarted, Batch: ws.Batch, Code: ws.Code,
	}
	if ws.ID != 0 {
		r.Ref = event.Ref{Kind: ws.Kind, ID: ws.ID, Account: ws.Account}
		if err := r.Ref.Validate(); err != nil {
			return nil, err
		}
	}
	return r, nil
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
