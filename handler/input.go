package handler

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/export-notifier/export-notifier/event"
	"github.com/export-notifier/export-notifier/exports/catalog"
	"github.com/export-notifier/export-notifier/internal/jsonkeys"
)

// InputError is bad configuration or a bad invocation payload: the cycle
// did not run and nothing changed. The CLI exits 2 for it; on FC the
// invocation fails.
type InputError struct {
	Source string // what held the bad item: "payload", "EXPORT_IDS", "STALL_AFTER", ...
	Err    error
}

func (e *InputError) Error() string { return e.Source + ": " + e.Err.Error() }
func (e *InputError) Unwrap() error { return e.Err }

// Input is what an invocation asks of a cycle.
type Input struct {
	// Refs are exports to watch besides the configured and pending ones.
	Refs []event.Ref
	// Starts are exports to start before polling.
	Starts []event.StartSpec
	// Trigger names a timer invocation ("triggerName@triggerTime"). FC
	// retries an invocation with the same event, so it keeps a retried
	// invocation from starting its exports twice.
	Trigger string
}

// ParseInvocation reads an invocation's event: a timer trigger's
// {"triggerTime", "triggerName", "payload": "<string>"}, or, for a direct
// invocation, the payload itself (a JSON object, a JSON string, or a plain
// list). An empty event asks for nothing.
func ParseInvocation(raw []byte) (Input, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return Input{}, nil
	}
	if raw[0] == '{' {
		var probe map[string]json.RawMessage
		if err := json.Unmarshal(raw, &probe); err != nil {
			return Input{}, &InputError{Source: "payload", Err: fmt.Errorf("malformed JSON: %w", err)}
		}
		if _, isTimer := probe["triggerTime"]; isTimer || probe["triggerName"] != nil {
			return parseTimerEvent(raw)
		}
		return ParsePayload(string(raw))
	}
	if raw[0] == '"' {
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return Input{}, &InputError{Source: "payload", Err: fmt.Errorf("malformed JSON string: %w", err)}
		}
		return ParsePayload(s)
	}
	return ParsePayload(string(raw))
}

func parseTimerEvent(raw []byte) (Input, error) {
	var timer struct {
		TriggerTime string  `json:"triggerTime"`
		TriggerName string  `json:"triggerName"`
		Payload     *string `json:"payload"`
	}
	// FC writes the wrapper, so fields it may add later are no error; the
	// payload inside is the user's and is read strictly.
	if err := jsonkeys.Unique(raw); err != nil {
		return Input{}, &InputError{Source: "timer event", Err: err}
	}
	if err := json.Unmarshal(raw, &timer); err != nil {
		return Input{}, &InputError{Source: "timer event", Err: describeJSONError(err, `"triggerTime", "triggerName", "payload"`)}
	}
	var in Input
	if timer.Payload != nil {
		var err error
		if in, err = ParsePayload(*timer.Payload); err != nil {
			return Input{}, err
		}
	}
	in.Trigger = timer.TriggerName + "@" + timer.TriggerTime
	return in, nil
}

// MaxStarts bounds how many exports one payload may start.
const MaxStarts = 20

// ParsePayload reads a payload: a plain list ("131231, vul:52") or JSON
// ({"exports": [131231, "vul:52", {"id": 77, "kind": "asset",
// "resourceDirectoryAccountId": 16670360956}], "start": [{"kind": "asset",
// "exportType": "assetInstance"}]}). The error names the first bad item.
func ParsePayload(s string) (Input, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return Input{}, nil
	}
	if !strings.HasPrefix(s, "{") {
		refs, err := event.ParseList(s)
		if err != nil {
			return Input{}, &InputError{Source: "payload", Err: err}
		}
		return Input{Refs: refs}, nil
	}
	var body struct {
		Exports []json.RawMessage `json:"exports"`
		Start   []json.RawMessage `json:"start"`
	}
	if err := jsonkeys.Unique([]byte(s)); err != nil {
		return Input{}, &InputError{Source: "payload", Err: err}
	}
	dec := json.NewDecoder(strings.NewReader(s))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&body); err != nil {
		return Input{}, &InputError{Source: "payload", Err: describeJSONError(err, `"exports", "start"`)}
	}
	if dec.More() {
		return Input{}, &InputError{Source: "payload", Err: errors.New("unexpected data after the JSON object")}
	}
	if err := event.CheckCount(len(body.Exports)); err != nil {
		return Input{}, &InputError{Source: "payload", Err: err}
	}
	if len(body.Start) > MaxStarts {
		return Input{}, &InputError{Source: "payload", Err: fmt.Errorf("%d exports to start, at most %d allowed", len(body.Start), MaxStarts)}
	}
	in := Input{Refs: make([]event.Ref, 0, len(body.Exports))}
	for i, item := range body.Exports {
		r, err := parseItem(item)
		if err != nil {
			return Input{}, &InputError{Source: "payload", Err: fmt.Errorf("exports[%d]: %w", i, err)}
		}
		in.Refs = append(in.Refs, r)
	}
	for i, item := range body.Start {
		spec, err := catalog.Parse(item)
		if err != nil {
			return Input{}, &InputError{Source: "payload", Err: fmt.Errorf("start[%d]: %w", i, err)}
		}
		in.Starts = append(in.Starts, spec)
	}
	return in, nil
}

// parseItem reads one element of "exports": a number, a reference string,
// or an object.
func parseItem(item json.RawMessage) (event.Ref, error) {
	item = bytes.TrimSpace(item)
	quoted := event.Snippet(string(item)) // how errors name the item
	switch {
	case len(item) == 0:
		return event.Ref{}, errors.New("empty item")
	case item[0] == '"':
		var s string
		if err := json.Unmarshal(item, &s); err != nil {
			return event.Ref{}, err
		}
		return event.ParseRef(s)
	case item[0] == '{':
		var obj struct {
			ID      json.Number `json:"id"`
			Kind    string      `json:"kind"`
			Account json.Number `json:"resourceDirectoryAccountId"`
		}
		dec := json.NewDecoder(bytes.NewReader(item))
		dec.DisallowUnknownFields()
		dec.UseNumber()
		if err := dec.Decode(&obj); err != nil {
			return event.Ref{}, fmt.Errorf("%s: %w", quoted, describeJSONError(err, `"id", "kind", "resourceDirectoryAccountId"`))
		}
		kind, err := event.ParseKind(obj.Kind)
		if err != nil {
			return event.Ref{}, fmt.Errorf("%s: %w", quoted, err)
		}
		if obj.ID == "" {
			return event.Ref{}, fmt.Errorf("%s: missing \"id\"", quoted)
		}
		id, err := integer(obj.ID)
		if err != nil {
			return event.Ref{}, fmt.Errorf("%s: id %w", quoted, err)
		}
		r := event.Ref{Kind: kind, ID: id}
		if obj.Account != "" {
			if r.Account, err = integer(obj.Account); err != nil || r.Account <= 0 {
				return event.Ref{}, fmt.Errorf("%s: resourceDirectoryAccountId %s is not a positive integer", quoted, event.Snippet(string(obj.Account)))
			}
		}
		if err := r.Validate(); err != nil {
			return event.Ref{}, fmt.Errorf("%s: %w", quoted, err)
		}
		return r, nil
	default:
		id, err := integer(json.Number(item))
		if err != nil {
			return event.Ref{}, fmt.Errorf("%s: %w", quoted, err)
		}
		r := event.Ref{Kind: event.Asset, ID: id}
		if err := r.Validate(); err != nil {
			return event.Ref{}, err
		}
		return r, nil
	}
}

func integer(n json.Number) (int64, error) {
	v, err := strconv.ParseInt(string(n), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%s is not an integer export ID", event.Snippet(string(n)))
	}
	return v, nil
}

// describeJSONError turns encoding/json's errors into ones that name the
// field a user got wrong, and the fields allowed where it stands.
func describeJSONError(err error, allowed string) error {
	var typeErr *json.UnmarshalTypeError
	if errors.As(err, &typeErr) {
		return fmt.Errorf("field %s: got a JSON %s, want %s", event.Quote(typeErr.Field), typeErr.Value, typeErr.Type)
	}
	if msg, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		return fmt.Errorf("unknown field %s (allowed: %s)", event.Snippet(msg), allowed)
	}
	return fmt.Errorf("malformed JSON: %w", err)
}
