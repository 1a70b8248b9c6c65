package event

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// StartSpec describes one export to start, as an item of a payload's
// "start" list gives it. Kind picks the API; which of the other fields
// each kind takes, and the values they allow, is the start-kind table of
// package exports/catalog, which parses and validates start items. The
// zero value of a field means "not sent".
//
// StartSpec is comparable; Key is its canonical encoding.
type StartSpec struct {
	Kind Kind   `json:"kind"`
	Lang string `json:"lang,omitempty"`

	// Asset (ExportRecord).
	ExportType     string       `json:"exportType,omitempty"`
	ExportFileType string       `json:"exportFileType,omitempty"`
	Params         ExportParams `json:"params,omitempty"`
	Account        int64        `json:"resourceDirectoryAccountId,omitempty"`
	// Accounts, instead of Account, asks for one export per member
	// account: a batch.
	Accounts Accounts `json:"accounts,omitempty"`

	// Vul (ExportVul).
	Type           string `json:"type,omitempty"`
	Necessity      string `json:"necessity,omitempty"`
	AttachTypes    string `json:"attachTypes,omitempty"`
	UUIDs          string `json:"uuids,omitempty"`
	VpcInstanceIDs string `json:"vpcInstanceIds,omitempty"`
	CveID          string `json:"cveId,omitempty"`
	AliasName      string `json:"aliasName,omitempty"`
	SearchTags     string `json:"searchTags,omitempty"`
	CreateTsStart  int64  `json:"createTsStart,omitempty"`
	CreateTsEnd    int64  `json:"createTsEnd,omitempty"`

	// Vul and SuspEvent. Dealed is y or n for vul, Y or N for suspEvent,
	// as each API spells it.
	Dealed  string `json:"dealed,omitempty"`
	GroupID int64  `json:"groupId,omitempty"`

	// SuspEvent (ExportSuspEvents).
	Levels           string `json:"levels,omitempty"`
	Status           string `json:"status,omitempty"`
	TimeStart        string `json:"timeStart,omitempty"`
	TimeEnd          string `json:"timeEnd,omitempty"`
	ParentEventTypes string `json:"parentEventTypes,omitempty"`
	Name             string `json:"name,omitempty"`
	UUID             string `json:"uuid,omitempty"`
	ClusterID        string `json:"clusterId,omitempty"`
}

// ExportParams is ExportRecord's Params: a JSON object of filter
// conditions. In a payload it is written as an object ({"extend": "1"}) or
// as a string holding one; parsing keeps it in canonical form
// (compact, keys sorted), which is what the API is sent.
type ExportParams string

// UnmarshalJSON accepts a JSON object, or a string holding one.
func (p *ExportParams) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		b = []byte(s)
	}
	if string(b) == "null" {
		*p = ""
		return nil
	}
	if !isJSONObject(b) {
		return errors.New("params: want a JSON object, such as {\"extend\": \"1\"}")
	}
	canonical, err := canonicalJSON(b)
	if err != nil {
		return fmt.Errorf("params: %w", err)
	}
	*p = ExportParams(canonical)
	return nil
}

// MarshalJSON writes the object itself, not a string holding it.
func (p ExportParams) MarshalJSON() ([]byte, error) {
	if p == "" {
		return []byte("null"), nil
	}
	if !isJSONObject([]byte(p)) {
		return nil, errors.New("params: not a JSON object")
	}
	return []byte(p), nil
}

func isJSONObject(b []byte) bool {
	b = bytes.TrimSpace(b)
	return len(b) > 0 && b[0] == '{' && json.Valid(b)
}

// canonicalJSON is the JSON value b, compact, with object keys sorted at
// every level, numbers as written and no HTML escaping, so that two
// spellings of the same conditions are one text.
func canonicalJSON(b []byte) (string, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return "", err
	}
	var out bytes.Buffer
	enc := json.NewEncoder(&out)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil { // maps are written with sorted keys
		return "", err
	}
	return strings.TrimSuffix(out.String(), "\n"), nil
}

// canonical is p in canonical form (see canonicalJSON); p itself when it is
// not JSON, which Validate refuses.
func (p ExportParams) canonical() string {
	c, err := canonicalJSON([]byte(p))
	if err != nil {
		return string(p)
	}
	return c
}

// startFields lists every field but kind, in the order String shows them;
// list marks a comma-separated list, whose order Key ignores. What each
// kind takes is the catalogue's.
var startFields = []struct {
	name string
	list bool
}{
	{"exportType", false}, {"type", false}, {"exportFileType", false}, {"resourceDirectoryAccountId", false}, {"accounts", true},
	{"params", false}, {"dealed", false}, {"necessity", true}, {"attachTypes", false}, {"levels", true},
	{"status", false}, {"groupId", false}, {"uuids", true}, {"uuid", false}, {"vpcInstanceIds", true},
	{"clusterId", false}, {"cveId", false}, {"aliasName", false}, {"searchTags", false},
	{"parentEventTypes", false}, {"name", false}, {"createTsStart", false}, {"createTsEnd", false},
	{"timeStart", false}, {"timeEnd", false}, {"lang", false},
}

// Values returns the fields of s that are set, as text by payload name,
// kind included: numbers in decimal, params as it is. It reads them
// through s's JSON encoding, so the names are the struct's own tags.
func (s StartSpec) Values() map[string]string {
	params := s.Params
	s.Params = "" // taken as it is below, even when it is not JSON
	encoded, err := json.Marshal(s)
	if err != nil {
		return map[string]string{}
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(encoded, &raw); err != nil {
		return map[string]string{}
	}
	v := make(map[string]string, len(raw)+1)
	for name, r := range raw {
		var text string
		if json.Unmarshal(r, &text) != nil {
			text = string(r) // a number
		}
		if text != "" {
			v[name] = text
		}
	}
	if params != "" {
		v["params"] = string(params)
	}
	return v
}

// SpecFields lists the payload fields of a start item but kind, in the
// order String shows them.
func SpecFields() []string {
	names := make([]string, len(startFields))
	for i, f := range startFields {
		names[i] = f.name
	}
	return names
}

// SpecError is what validating a spec reports: the spec, the payload
// field at fault and what is wrong with it.
type SpecError struct {
	Spec  StartSpec
	Field string // JSON name of the field at fault, such as "exportType" or "kind"
	Err   error
}

// Error names the spec and says what is allowed, such as
// `start asset/assetInstnce: exportType "assetInstnce": want one of ...`.
func (e *SpecError) Error() string {
	return "start " + Clip(e.Spec.String(), 2*MaxQuoted) + ": " + e.Err.Error()
}

func (e *SpecError) Unwrap() error { return e.Err }

// kind is s's kind, the empty kind being asset.
func (s StartSpec) kind() Kind {
	if s.Kind == "" {
		return Asset
	}
	return s.Kind
}

// String is a short description of s for logs and messages: the kind, the
// export type, the member account, the filters and the language, as in
// "asset/assetInstance (en)" or "vul/cve dealed=n (en)".
func (s StartSpec) String() string {
	var b strings.Builder
	b.WriteString(shortValue(string(s.kind())))
	switch {
	case s.ExportType != "":
		b.WriteString("/" + shortValue(s.ExportType))
	case s.Type != "":
		b.WriteString("/" + shortValue(s.Type))
	}
	if s.Account != 0 {
		b.WriteString("@" + strconv.FormatInt(s.Account, 10))
	}
	if s.Accounts != "" {
		b.WriteString("@" + shortValue(string(s.Accounts)))
	}
	values := s.Values()
	for _, f := range startFields {
		switch f.name {
		case "exportType", "type", "resourceDirectoryAccountId", "accounts", "lang":
			continue
		}
		if v := values[f.name]; v != "" {
			b.WriteString(" " + f.name + "=" + shortValue(v))
		}
	}
	if s.Lang != "" {
		b.WriteString(" (" + shortValue(s.Lang) + ")")
	}
	return b.String()
}

// Clip is s cut to at most max bytes on a rune boundary, with an ellipsis
// when it was longer: how a message quotes what it was given.
func Clip(s string, max int) string {
	if len(s) <= max {
		return s
	}
	cut := max
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

// shortValue is v, bounded, and quoted when it holds spaces.
func shortValue(v string) string {
	v = Clip(v, 60)
	if strings.ContainsFunc(v, func(r rune) bool { return unicode.IsSpace(r) || !unicode.IsPrint(r) }) {
		return strconv.Quote(v)
	}
	return v
}

// Key is the canonical encoding of s, stable across releases and
// independent of how the item was written (field order, the order within
// comma-separated lists, the key order of params): equal keys start the
// same export. It is "kind=...&name=value..." with names sorted and values
// URL-encoded, such as "exportType=assetInstance&kind=asset&lang=en".
func (s StartSpec) Key() string {
	type pair struct{ name, value string }
	pairs := []pair{{"kind", string(s.kind())}}
	values := s.Values()
	for _, f := range startFields {
		v := values[f.name]
		switch {
		case v == "":
			continue
		case f.list:
			items := strings.Split(v, ",")
			slices.Sort(items)
			v = strings.Join(slices.Compact(items), ",")
		case f.name == "params":
			v = s.Params.canonical()
		}
		pairs = append(pairs, pair{f.name, v})
	}
	slices.SortFunc(pairs, func(a, b pair) int { return strings.Compare(a.name, b.name) })
	var b strings.Builder
	for i, p := range pairs {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(p.name + "=" + queryEscape(p.value))
	}
	return b.String()
}

// queryEscape percent-encodes everything but RFC 3986's unreserved
// characters and the comma, so that keys stay readable.
func queryEscape(v string) string {
	var b strings.Builder
	for i := 0; i < len(v); i++ {
		c := v[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("-._~,", c) >= 0 {
			b.WriteByte(c)
			continue
		}
		fmt.Fprintf(&b, "%%%02X", c)
	}
	return b.String()
}
