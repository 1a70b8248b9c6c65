package state

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/export-notifier/export-notifier/event"
	"github.com/export-notifier/export-notifier/exports/catalog"
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
//
// The exports are encoded one by one into a single buffer rather than
// converted all at once and then encoded: a cycle's peak memory is mostly
// this function's and Decode's short-lived allocations.
func Encode(s *Snapshot) ([]byte, error) {
	// Each value is encoded into scratch, then copied into fixed-size
	// chunks, and the chunks into one slice of the exact size at the end: a
	// buffer doubling as it grew would allocate about twice the snapshot.
	var buf chunkedBuffer
	var scratch bytes.Buffer
	enc := json.NewEncoder(&scratch)
	enc.SetEscapeHTML(false)
	// A fault in the state itself is reported before any the encoder meets,
	// whatever their order, as when the whole snapshot was converted first.
	var encErr error
	put := func(v any) {
		if encErr != nil {
			return
		}
		scratch.Reset()
		if err := enc.Encode(v); err != nil {
			encErr = err
			return
		}
		buf.Append(scratch.Bytes()[:scratch.Len()-1]) // without the newline Encode ends each value with
	}
	buf.AppendString(`{"schema":`)
	buf.AppendString(strconv.Itoa(CurrentSchema))
	buf.AppendString(`,"version":`)
	buf.AppendString(strconv.FormatInt(s.Version, 10))
	buf.AppendString(`,"updated":`)
	put(s.Updated)
	if s.id != "" {
		buf.AppendString(`,"commit":`)
		put(s.id)
	}
	if s.parent != "" {
		buf.AppendString(`,"parent":`)
		put(s.parent)
	}
	buf.AppendString(`,"exports":[`)
	// One wireExport, and its events' backing array, serve every export in
	// turn: each is encoded before the next is filled in.
	var we wireExport
	for i, k := range sortedKeys(s.Exports) {
		e := s.Exports[k]
		if k != e.Ref.String() {
			return nil, fmt.Errorf("export %s is filed under the key %q", e.Ref, k)
		}
		clear(we.Events) // let go of the previous export's deliveries
		we = wireExport{
			Kind: e.Ref.Kind, ID: e.Ref.ID, Account: e.Ref.Account,
			Status:    toWireStatus(e.Status),
			FirstSeen: e.FirstSeen, LastChange: e.LastChange,
			Finished: timePtr(e.Finished),
			Events:   we.Events[:0],
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
		if i > 0 {
			buf.AppendByte(',')
		}
		put(&we)
	}
	buf.AppendByte(']')
	var starts []wireStart
	for _, key := range sortedKeys(s.Starts) {
		r := s.Starts[key]
		spec, err := json.Marshal(r.Spec)
		if err != nil {
			return nil, fmt.Errorf("start %s: %w", key, err)
		}
		starts = append(starts, wireStart{
			Key: key, Spec: spec, Requested: r.Requested, ClaimedBy: r.ClaimedBy, Settled: timePtr(r.Settled),
			Kind: r.Ref.Kind, ID: r.Ref.ID, Account: r.Ref.Account,
			RequestID: r.RequestID, Error: r.Error, MayHaveStarted: r.MayHaveStarted,
		})
	}
	if len(starts) > 0 {
		buf.AppendString(`,"starts":`)
		put(starts)
	}
	buf.AppendString("}\n")
	if encErr != nil {
		return nil, fmt.Errorf("encode snapshot: %w", encErr)
	}
	return buf.Bytes(), nil
}

// chunkSize is the size of a chunkedBuffer's chunks: small beside a
// snapshot of thousands of exports, large beside one export.
const chunkSize = 64 << 10

// chunkedBuffer collects bytes in chunks that are never copied as it grows.
type chunkedBuffer struct {
	chunks [][]byte
	size   int
}

func (c *chunkedBuffer) Append(p []byte) {
	c.size += len(p)
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
}

func (c *chunkedBuffer) AppendString(s string) { c.Append([]byte(s)) }

func (c *chunkedBuffer) AppendByte(b byte) { c.Append([]byte{b}) }

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

// Decode parses an encoded snapshot. It returns an error, never a partial
// snapshot, for anything that is not a complete snapshot of a known schema:
// truncated or empty data, other JSON, a newer schema, invalid references,
// or duplicate exports or events.
func Decode(data []byte) (*Snapshot, error) {
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, errors.New("the snapshot is empty")
	}
	var w wireSnapshot
	var err error
	if onlyKnownKeys(data) {
		// json.Unmarshal reads data in place, where a Decoder would first
		// copy all of it into a buffer of its own; the scan above already
		// stands in for DisallowUnknownFields.
		err = json.Unmarshal(data, &w)
	} else {
		err = decodeStrictly(data, &w)
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
				spec, err := catalog.Parse(wv.Start)
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
		spec, err := catalog.Parse(ws.Spec)
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

// decodeStrictly decodes data into w, refusing unknown fields. It is the
// reference Decode's faster path must agree with, and the one that reports
// an unknown field.
func decodeStrictly(data []byte, w *wireSnapshot) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	err := dec.Decode(w)
	if err == nil {
		if _, terr := dec.Token(); terr != io.EOF {
			err = errors.New("unexpected data after the snapshot")
		}
	}
	return err
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

// wireShape names a place in the encoding, for onlyKnownKeys.
type wireShape int

const (
	shapeScalar     wireShape = iota // a string, number, bool or null
	shapeRaw                         // anything: a json.RawMessage
	shapeSnapshot                    // wireSnapshot
	shapeExports                     // []wireExport
	shapeExport                      // wireExport
	shapeStatus                      // wireStatus
	shapeEvents                      // []wireEvent
	shapeEvent                       // wireEvent
	shapeFailure                     // wireFailure
	shapeDeliveries                  // map[string]wireDelivery
	shapeDelivery                    // wireDelivery
	shapeMessages                    // map[string]wireMessage
	shapeMessage                     // wireMessage
	shapeStarts                      // []wireStart
	shapeStart                       // wireStart
)

// field returns the shape of the value under key in an object of shape
// sh, and false if a struct of that shape has no field spelled exactly
// so. The names are those of the wire structs' json tags.
func (sh wireShape) field(key []byte) (wireShape, bool) {
	k := string(key) // not allocated: only switched on
	switch sh {
	case shapeSnapshot:
		switch k {
		case "schema", "version", "updated", "commit", "parent":
			return shapeScalar, true
		case "exports":
			return shapeExports, true
		case "starts":
			return shapeStarts, true
		}
	case shapeExport:
		switch k {
		case "kind", "id", "account", "firstSeen", "lastChange", "finished":
			return shapeScalar, true
		case "status":
			return shapeStatus, true
		case "events":
			return shapeEvents, true
		case "messages":
			return shapeMessages, true
		}
	case shapeStatus:
		switch k {
		case "state", "progress", "current", "total", "file", "link", "message", "requestId":
			return shapeScalar, true
		}
	case shapeEvent:
		switch k {
		case "id", "type", "time", "region":
			return shapeScalar, true
		case "status":
			return shapeStatus, true
		case "error":
			return shapeFailure, true
		case "start":
			return shapeRaw, true
		case "sinks":
			return shapeDeliveries, true
		}
	case shapeFailure:
		switch k {
		case "code", "message", "http":
			return shapeScalar, true
		}
	case shapeDelivery:
		switch k {
		case "claimedBy", "claimUntil", "delivered", "attempts", "error":
			return shapeScalar, true
		}
	case shapeMessage:
		switch k {
		case "handle", "claimedBy", "claimUntil", "shown":
			return shapeScalar, true
		}
	case shapeStart:
		switch k {
		case "key", "requested", "claimedBy", "settled", "kind", "id", "account", "requestId", "error", "mayHaveStarted":
			return shapeScalar, true
		case "spec":
			return shapeRaw, true
		}
	}
	return 0, false
}

// onlyKnownKeys reports whether data is certainly free of the unknown
// fields DisallowUnknownFields refuses: every object decoded into a wire
// struct has only keys spelled exactly as that struct's tags, without
// escapes. It answers false whenever it is unsure (another spelling that
// encoding/json would still match, a value of the wrong type, data that is
// not JSON), and Decode then decodes strictly. It allocates nothing.
func onlyKnownKeys(data []byte) bool {
	sc := keyScanner{data: data}
	if !sc.value(shapeSnapshot) {
		return false
	}
	sc.space()
	return sc.pos == len(data)
}

type keyScanner struct {
	data []byte
	pos  int
}

func (sc *keyScanner) space() {
	for sc.pos < len(sc.data) {
		switch sc.data[sc.pos] {
		case ' ', '\t', '\n', '\r':
			sc.pos++
		default:
			return
		}
	}
}

// value reads one value expected to have shape sh.
func (sc *keyScanner) value(sh wireShape) bool {
	sc.space()
	if sc.pos >= len(sc.data) {
		return false
	}
	c := sc.data[sc.pos]
	switch {
	case c == 'n' && bytes.HasPrefix(sc.data[sc.pos:], []byte("null")):
		sc.pos += len("null")
		return true
	case sh == shapeRaw:
		return sc.skip()
	case c == '{':
		switch sh {
		case shapeSnapshot, shapeExport, shapeStatus, shapeEvent, shapeFailure, shapeDelivery, shapeMessage, shapeStart:
			return sc.object(sh, false)
		case shapeDeliveries:
			return sc.object(shapeDelivery, true)
		case shapeMessages:
			return sc.object(shapeMessage, true)
		}
		return false
	case c == '[':
		switch sh {
		case shapeExports:
			return sc.array(shapeExport)
		case shapeEvents:
			return sc.array(shapeEvent)
		case shapeStarts:
			return sc.array(shapeStart)
		}
		return false
	case sh == shapeScalar:
		if c == '"' {
			_, ok := sc.str()
			return ok
		}
		return sc.literal()
	}
	return false
}

// object reads an object: a struct of shape sh, or, if isMap, a map whose
// values have shape sh.
func (sc *keyScanner) object(sh wireShape, isMap bool) bool {
	sc.pos++ // {
	sc.space()
	if sc.pos < len(sc.data) && sc.data[sc.pos] == '}' {
		sc.pos++
		return true
	}
	for {
		sc.space()
		key, ok := sc.str()
		if !ok {
			return false
		}
		vsh := sh
		if !isMap {
			if vsh, ok = sh.field(key); !ok {
				return false
			}
		}
		sc.space()
		if sc.pos >= len(sc.data) || sc.data[sc.pos] != ':' {
			return false
		}
		sc.pos++
		if !sc.value(vsh) {
			return false
		}
		sc.space()
		if sc.pos >= len(sc.data) {
			return false
		}
		switch sc.data[sc.pos] {
		case ',':
			sc.pos++
		case '}':
			sc.pos++
			return true
		default:
			return false
		}
	}
}

func (sc *keyScanner) array(elem wireShape) bool {
	sc.pos++ // [
	sc.space()
	if sc.pos < len(sc.data) && sc.data[sc.pos] == ']' {
		sc.pos++
		return true
	}
	for {
		if !sc.value(elem) {
			return false
		}
		sc.space()
		if sc.pos >= len(sc.data) {
			return false
		}
		switch sc.data[sc.pos] {
		case ',':
			sc.pos++
		case ']':
			sc.pos++
			return true
		default:
			return false
		}
	}
}

// str reads a string and returns its contents, or false if it is not a
// string or has escapes (whose meaning it does not work out).
func (sc *keyScanner) str() ([]byte, bool) {
	if sc.pos >= len(sc.data) || sc.data[sc.pos] != '"' {
		return nil, false
	}
	start := sc.pos + 1
	escaped := false
	for i := start; i < len(sc.data); i++ {
		switch sc.data[i] {
		case '\\':
			escaped = true
			i++ // the escaped character cannot end the string
		case '"':
			sc.pos = i + 1
			return sc.data[start:i], !escaped
		}
	}
	return nil, false
}

// literal reads a number, true, false or null.
func (sc *keyScanner) literal() bool {
	start := sc.pos
	for sc.pos < len(sc.data) {
		c := sc.data[sc.pos]
		if c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c == '-' || c == '+' || c == '.' || c == 'E' {
			sc.pos++
			continue
		}
		break
	}
	return sc.pos > start
}

// skip reads any value without looking at its keys.
func (sc *keyScanner) skip() bool {
	sc.space()
	if sc.pos >= len(sc.data) {
		return false
	}
	switch sc.data[sc.pos] {
	case '"':
		start := sc.pos + 1
		for i := start; i < len(sc.data); i++ {
			switch sc.data[i] {
			case '\\':
				i++
			case '"':
				sc.pos = i + 1
				return true
			}
		}
		return false
	case '{', '[':
		depth := 0
		for sc.pos < len(sc.data) {
			switch sc.data[sc.pos] {
			case '{', '[':
				depth++
			case '}', ']':
				depth--
			case '"':
				if !sc.skip() {
					return false
				}
				continue
			}
			sc.pos++
			if depth == 0 {
				return true
			}
		}
		return false
	}
	return sc.literal()
}
