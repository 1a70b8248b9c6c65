package state

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
)

// decodeStream decodes data, the encoding of a what, into head, handing
// each export to each as it is read instead of collecting them: a large
// checkpoint then costs its decoded exports alone, not also their wire
// form and a decoder's own copy of the data. With record, the fields a
// record adds to a snapshot's are read too; any other field is refused,
// as a field this release does not know would be dropped by the next
// commit. Empty data, other JSON and unknown schemas are errors.
func decodeStream(data []byte, what string, head *wireRecord, record bool, each func(i int, we *wireExport) error) error {
	if len(bytes.TrimSpace(data)) == 0 {
		return fmt.Errorf("the %s is empty", what)
	}
	err := decodeFields(data, head, record, each)
	var conv *conversionError
	if errors.As(err, &conv) {
		// A valid export of a newer schema may be invalid to this
		// release: say so, as decodeError does, before blaming the export.
		if serr := schemaError(data); serr != nil {
			return serr
		}
		return conv.err
	}
	if err != nil || head.Schema == nil || *head.Schema < 1 || *head.Schema > CurrentSchema {
		return decodeError(data, err)
	}
	return nil
}

// conversionError is an export that is valid JSON but not a valid export.
type conversionError struct{ err error }

func (c *conversionError) Error() string { return c.err.Error() }

// schemaError reports a schema this release cannot read, or nil.
func schemaError(data []byte) error {
	var head struct {
		Schema *int `json:"schema"`
	}
	if json.Unmarshal(data, &head) == nil && head.Schema != nil && *head.Schema >= 1 && *head.Schema <= CurrentSchema {
		return nil
	}
	return decodeError(data, nil)
}

// decodeFields walks the top-level object of data field by field.
func decodeFields(data []byte, head *wireRecord, record bool, each func(int, *wireExport) error) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if tok, err := dec.Token(); err != nil {
		return err
	} else if tok != json.Delim('{') {
		return errors.New("not a JSON object")
	}
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		key := fieldName(tok.(string))
		if seen[key] {
			return fmt.Errorf("the field %q appears twice", key)
		}
		seen[key] = true
		if err := decodeField(dec, key, head, record, each); err != nil {
			return err
		}
	}
	if _, err := dec.Token(); err != nil { // the closing brace
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		return errors.New("unexpected data after the snapshot")
	}
	return nil
}

// fieldName is the top-level field of a snapshot or a record that name
// matches regardless of case, as encoding/json matches names, or name
// itself.
func fieldName(name string) string {
	for _, f := range [...]string{"schema", "version", "updated", "commit", "parent", "exports", "starts", "removed", "removedStarts"} {
		if strings.EqualFold(f, name) {
			return f
		}
	}
	return name
}

// decodeField decodes the value of the top-level field key.
func decodeField(dec *json.Decoder, key string, head *wireRecord, record bool, each func(int, *wireExport) error) error {
	var into any
	switch key {
	case "exports":
		return decodeExports(dec, each)
	case "schema":
		into = &head.Schema
	case "version":
		into = &head.Version
	case "updated":
		into = &head.Updated
	case "commit":
		into = &head.Commit
	case "parent":
		into = &head.Parent
	case "starts":
		into = &head.Starts
	case "removed":
		into = &head.Removed
	case "removedStarts":
		into = &head.RemovedStarts
	}
	if into == nil || !record && (key == "removed" || key == "removedStarts") {
		return fmt.Errorf("json: unknown field %q", key)
	}
	return dec.Decode(into)
}

// decodeExports decodes an array of exports, or null, one at a time.
func decodeExports(dec *json.Decoder, each func(int, *wireExport) error) error {
	tok, err := dec.Token()
	if err != nil || tok == nil {
		return err
	}
	if tok != json.Delim('[') {
		return errors.New("json: exports is not an array")
	}
	for i := 0; dec.More(); i++ {
		var we wireExport
		if err := dec.Decode(&we); err != nil {
			return err
		}
		if err := each(i, &we); err != nil {
			return &conversionError{err}
		}
	}
	_, err = dec.Token() // the closing bracket
	return err
}
