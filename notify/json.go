package notify

import (
	"bytes"
	"encoding/json"
)

// MarshalJSON is json.Marshal without HTML escaping, so that a link's "&"
// and a message's "<" stay readable; indent, when not empty, indents.
func MarshalJSON(v any, indent string) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if indent != "" {
		enc.SetIndent("", indent)
	}
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}
