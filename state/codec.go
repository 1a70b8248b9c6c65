package state

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/export-notifier/export-notifier/event"
)

// CurrentSchema is the schema version Commit writes. Decode reads every
// schema from 1 to CurrentSchema and refuses newer ones, which a newer
// release of export-notifier wrote.
//
// Schema 2 added the records of exports started by a payload ("starts"),
// schema 3 when each export was last checked and the error code that
// check failed with ("lastChecked", "lastError").
const CurrentSchema = 3

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
	Batch          string          `json:"batch,omitempty"`
	Code           string          `json:"code,omitempty"`
}

type wireExport struct {
	Kind       event.Kind             `json:"kind"`
	ID         int64                  `json:"id"`
	Account    int64                  `json:"account,omitempty"`
	Status     wireStatus             `json:"status"`
	FirstSeen  time.Time              `json:"firstSeen"`
	LastChange time.Time              `json:"lastChange"`
	Finished   *time.Time             `json:"finished,omitempty"`
	Checked    *time.Time             `json:"lastChecked,omitempty"`
	LastError  string                 `json:"lastError,omitempty"`
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
	Archive    *event.Archive          `json:"archive,omitempty"`
	Digest     *event.BatchDigest      `json:"digest,omitempty"`
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
	var buf chunkedBuffer
	if err := encodeSnapshot(&buf, s); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// encodeSnapshot writes the encoding of s to out, export by export.
func encodeSnapshot(out io.Writer, s *Snapshot) error {
	keys := sortedKeys(s.Exports)
	exports := make([]*Export, len(keys))
	for i, k := range keys {
		e := s.Exports[k]
		if k != e.Ref.String() {
			return fmt.Errorf("export %s is filed under the key %q", e.Ref, k)
		}
		exports[i] = e
	}
	if err := encodeState(out, stateHeader{s.Version, s.Updated, s.id, s.parent}, exports, s.Starts); err != nil {
		return fmt.Errorf("encode snapshot: %w", err)
	}
	return nil
}

// stateHeader is what a snapshot and a record say about their version.
type stateHeader struct {
	version    int64
	updated    time.Time
	id, parent string
}

// encodeState writes the fields a snapshot and a record share, then the
// extra fields (a record's removals) that are not empty, as wireSnapshot
// (and wireRecord) would encode them.
//
// The exports are encoded one by one straight to out rather than
// converted all at once and then encoded: a cycle's peak memory would
// otherwise be mostly the encoding of the state and its copies.
func encodeState(out io.Writer, h stateHeader, exports []*Export, starts map[string]*StartRecord, extra ...wireField) error {
	w := newValueWriter(out)
	put := w.put
	w.writeString(`{"schema":` + strconv.Itoa(CurrentSchema) + `,"version":` + strconv.FormatInt(h.version, 10) + `,"updated":`)
	put(h.updated)
	if h.id != "" {
		w.writeString(`,"commit":`)
		put(h.id)
	}
	if h.parent != "" {
		w.writeString(`,"parent":`)
		put(h.parent)
	}
	w.writeString(`,"exports":[`)
	// One wireExport, and its events' backing array, serve every export in
	// turn: each is encoded before the next is filled in.
	var we wireExport
	for i, e := range exports {
		if err := fillWireExport(&we, e); err != nil {
			return err
		}
		if i > 0 {
			w.writeString(",")
		}
		put(&we)
	}
	w.writeString("]")
	wireStarts, err := toWireStarts(starts)
	if err != nil {
		return err
	}
	if len(wireStarts) > 0 {
		w.writeString(`,"starts":`)
		put(wireStarts)
	}
	for _, f := range extra {
		if len(f.values) > 0 {
			w.writeString(`,"` + f.name + `":`)
			put(f.values)
		}
	}
	w.writeString("}\n")
	return w.err
}

// wireField is a field of strings a record adds to a snapshot's, left out
// when empty.
type wireField struct {
	name   string
	values []string
}

// fillWireExport makes we the encoding of e, reusing its events' backing
// array.
func fillWireExport(we *wireExport, e *Export) error {
	clear(we.Events) // let go of the previous export's deliveries
	*we = wireExport{
		Kind: e.Ref.Kind, ID: e.Ref.ID, Account: e.Ref.Account,
		Status:    toWireStatus(e.LastStatus()),
		FirstSeen: e.FirstSeen, LastChange: e.LastChange,
		Finished: timePtr(e.Finished), Checked: timePtr(e.LastChecked), LastError: e.LastError,
		Events: we.Events[:0],
	}
	for sink, m := range e.Messages {
		if we.Messages == nil {
			we.Messages = make(map[string]wireMessage, len(e.Messages))
		}
		we.Messages[sink] = wireMessage{Handle: m.Handle, ClaimedBy: m.ClaimedBy, ClaimUntil: timePtr(m.ClaimUntil), Shown: m.Shown}
	}
	for i, r := range e.Events {
		if r.key != r.Event.Key() {
			return fmt.Errorf("export %s: event %s is filed under the key %q", e.Ref, r.Event.Key(), r.key)
		}
		if i > 0 && e.Events[i-1].key >= r.key {
			return fmt.Errorf("export %s: events %s and %s are out of order", e.Ref, e.Events[i-1].key, r.key)
		}
		wv, err := toWireEvent(r)
		if err != nil {
			return fmt.Errorf("export %s: event %s: %w", e.Ref, r.key, err)
		}
		we.Events = append(we.Events, wv)
	}
	return nil
}

func toWireEvent(r *Record) (wireEvent, error) {
	wv := wireEvent{
		ID: r.Event.ID, Type: r.Event.Type, Time: r.Event.Time, Region: r.Event.Region,
		Status:     toWireStatus(r.Event.Status),
		Archive:    r.Event.Archive,
		Digest:     r.Event.Digest,
		Deliveries: make(map[string]wireDelivery, len(r.Deliveries)),
	}
	if f := r.Event.Error; f != nil {
		wv.Error = &wireFailure{Code: f.Code, Message: f.Message, HTTPStatus: f.HTTPStatus}
	}
	if r.Event.Start != nil {
		spec, err := json.Marshal(r.Event.Start)
		if err != nil {
			return wireEvent{}, err
		}
		wv.Start = spec
	}
	for _, d := range r.Deliveries {
		wv.Deliveries[d.Sink] = wireDelivery{
			ClaimedBy: d.ClaimedBy, ClaimUntil: timePtr(d.ClaimUntil),
			DeliveredAt: timePtr(d.DeliveredAt), Attempts: d.Attempts, LastError: d.LastError,
		}
	}
	return wv, nil
}

func toWireStarts(records map[string]*StartRecord) ([]wireStart, error) {
	var starts []wireStart
	for _, key := range sortedKeys(records) {
		r := records[key]
		spec, err := json.Marshal(r.Spec)
		if err != nil {
			return nil, fmt.Errorf("start %s: %w", key, err)
		}
		starts = append(starts, wireStart{
			Key: key, Spec: spec, Requested: r.Requested, ClaimedBy: r.ClaimedBy, Settled: timePtr(r.Settled),
			Kind: r.Ref.Kind, ID: r.Ref.ID, Account: r.Ref.Account,
			RequestID: r.RequestID, Error: r.Error, MayHaveStarted: r.MayHaveStarted, Batch: r.Batch, Code: r.Code,
		})
	}
	return starts, nil
}

// valueWriter encodes values one by one to a writer. Each value is
// encoded into scratch, then written on.
type valueWriter struct {
	out     io.Writer
	scratch bytes.Buffer
	enc     *json.Encoder
	// err is the first error met; the writer writes nothing after it, so
	// that a fault in the state itself is reported before any the encoder
	// meets, whatever their order.
	err error
}

func newValueWriter(out io.Writer) *valueWriter {
	w := &valueWriter{out: out}
	w.enc = json.NewEncoder(&w.scratch)
	w.enc.SetEscapeHTML(false)
	return w
}

func (w *valueWriter) put(v any) {
	if w.err != nil {
		return
	}
	w.scratch.Reset()
	if err := w.enc.Encode(v); err != nil {
		w.err = err
		return
	}
	w.write(w.scratch.Bytes()[:w.scratch.Len()-1]) // without the newline Encode ends each value with
}

func (w *valueWriter) writeString(s string) { w.write([]byte(s)) }

func (w *valueWriter) write(p []byte) {
	if w.err == nil {
		_, w.err = w.out.Write(p)
	}
}

// chunkSize is the size of a chunkedBuffer's chunks: small beside a
// snapshot of thousands of exports, large beside one export.
const chunkSize = 64 << 10

// chunkedBuffer collects bytes in chunks that are never copied as it
// grows, and at the end into one slice of the exact size: a buffer
// doubling as it grew would allocate about twice the encoding.
type chunkedBuffer struct {
	chunks [][]byte
	size   int
}

func (c *chunkedBuffer) Write(p []byte) (int, error) {
	n := len(p)
	c.size += n
	for len(p) > 0 {
		n := len(c.chunks)
		if n == 0 || len(c.chunks[n-1]) == cap(c.chunks[n-1]) {
			c.chunks = append(c.chunks, make([]byte, 0, chunkSize))
			n++
		}
		last := c.chunks[n-1]
		k := min(len(p), cap(last)-len(last))
		c.chunks[n-1] = append(last, p[:k]...)
		p = p[k:]
	}
	return n, nil
}

// Bytes returns everything written, in one slice of the exact size, and
// lets go of the chunks.
func (c *chunkedBuffer) Bytes() []byte {
	out := make([]byte, 0, c.size)
	for i, chunk := range c.chunks {
		out = append(out, chunk...)
		c.chunks[i] = nil
	}
	c.chunks = nil
	return out
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
