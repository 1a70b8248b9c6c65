package catalog

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"github.com/export-notifier/export-notifier/event"
	"github.com/export-notifier/export-notifier/internal/jsonkeys"
)

// Parse parses one start item, such as
// {"kind": "asset", "exportType": "assetInstance", "lang": "en"}, and
// validates it. A missing kind means asset. Field names are exact
// (camelCase); unknown fields, fields of another kind's API and bad values
// are refused, the error naming the item and what is allowed.
func Parse(raw []byte) (event.StartSpec, error) {
	item := event.Snippet(string(raw))
	names, ok := objectKeys(raw)
	if !ok {
		return event.StartSpec{}, fmt.Errorf("start item %s: want a JSON object such as {\"kind\": \"asset\", \"exportType\": \"assetInstance\"}", item)
	}
	known := event.SpecFields()
	if err := uniqueKeys(raw); err != nil {
		return event.StartSpec{}, fmt.Errorf("start item %s: %w", item, err)
	}
	for _, name := range names {
		if name != "kind" && !slices.Contains(known, name) {
			return event.StartSpec{}, fmt.Errorf("start item %s: unknown field %s (known: %s)", item, event.Quote(name), event.Choices(append([]string{"kind"}, known...)))
		}
	}
	var s event.StartSpec
	if err := json.Unmarshal(raw, &s); err != nil { // names are exact by now, so its case folding never applies
		var typeErr *json.UnmarshalTypeError
		if errors.As(err, &typeErr) {
			return event.StartSpec{}, fmt.Errorf("start item %s: field %s: want a %s, not a %s", item, event.Quote(typeErr.Field), jsonTypeName(typeErr.Type.Kind().String()), typeErr.Value)
		}
		return event.StartSpec{}, fmt.Errorf("start item %s: %w", item, err)
	}
	if s.Kind == "" {
		s.Kind = event.Asset
	}
	if err := Validate(s); err != nil {
		return event.StartSpec{}, err
	}
	return s, nil
}

// uniqueKeys refuses a member named twice in the item, or in its params
// when they are given as a string holding a JSON object.
func uniqueKeys(raw []byte) error {
	if err := jsonkeys.Unique(raw); err != nil {
		return err
	}
	var item struct {
		Params json.RawMessage `json:"params"`
	}
	var params string
	if json.Unmarshal(raw, &item) != nil || json.Unmarshal(item.Params, &params) != nil {
		return nil // not a string: checked above, or refused later
	}
	if err := jsonkeys.Unique([]byte(params)); err != nil {
		return fmt.Errorf("params: %w", err)
	}
	return nil
}

// objectKeys returns the member names of the JSON object raw, in order;
// ok is false when raw is not one JSON object.
func objectKeys(raw []byte) (names []string, ok bool) {
	if !json.Valid(raw) {
		return nil, false
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return nil, false
	}
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return nil, false
		}
		name, _ := t.(string)
		names = append(names, name)
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			return nil, false
		}
	}
	return names, true
}

func jsonTypeName(goKind string) string {
	switch goKind {
	case "int64", "int", "int32":
		return "number"
	case "string":
		return "string"
	default:
		return goKind
	}
}
