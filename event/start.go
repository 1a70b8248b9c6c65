package event

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// StartSpec describes one export to start, as an item of a payload's
// "start" list gives it. Kind picks the API:
//
//   - Asset: ExportRecord; ExportType (required, see ExportTypes),
//     ExportFileType (only, and required, with exportType virusScanExport),
//     Params (a JSON object of filter conditions, passed on as it is) and
//     Account (a resource directory member account);
//   - Vul: ExportVul; Type (required, see VulTypes), Dealed (y or n),
//     Necessity, AttachTypes (sca, only with type app), GroupID, UUIDs,
//     VpcInstanceIDs, CveID, AliasName, SearchTags, CreateTsStart and
//     CreateTsEnd (milliseconds since the epoch);
//   - SuspEvent: ExportSuspEvents; Levels, Dealed (Y or N), Status,
//     TimeStart and TimeEnd ("2006-01-02 15:04:05"), ParentEventTypes,
//     Name, GroupID, UUID and ClusterID.
//
// Lang (zh or en; empty means the API's default, zh) applies to all three.
// A field that is not a parameter of the kind's API is refused by
// Validate. The zero value of a field means "not sent".
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
// as a string holding one; ParseStartSpec keeps it in canonical form
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

// Limits on what a start item may hold.
const (
	maxParamsLen = 4096 // ExportRecord's Params
	maxTextLen   = 1024 // any other text parameter
)

// StartKinds lists the kinds of export that can be started.
func StartKinds() []Kind { return []Kind{Asset, Vul, SuspEvent} }

// ExportTypes lists ExportRecord's export types (asset starts), as the SAS
// SDK v8.0.1 documents them.
func ExportTypes() []string {
	return []string{
		"assetInstance", "user", "port", "process", "sca", "database", "web", "software",
		"cron", "autorun", "lkm", "webserver", "virusScanExport", "imageVulExport",
		"imageBaseLineExport", "imageAffectedMaliciousExport", "baselineCspm", "attack",
		"accessKey", "exportObjectScanEvents", "domainDetail", "assetsPropertyScaProcessDetail",
		"exportHcWarning", "raspAttackAlert", "raspApplicationConfiguration",
		"raspWeaknessDetection", "raspInMemoryWebshellDetection", "raspInMemoryWebshellInsertion",
	}
}

// VulTypes lists ExportVul's vulnerability types: Linux software (cve),
// Windows system (sys), Web-CMS (cms), application (app), urgent (emg).
func VulTypes() []string { return []string{"cve", "sys", "cms", "app", "emg"} }

// Langs lists the languages the export APIs take.
func Langs() []string { return []string{"zh", "en"} }

// The values of the enumerated parameters.
var (
	vulNecessities     = []string{"asap", "later", "nntf"}
	suspLevels         = []string{"serious", "suspicious", "remind"}
	suspStatuses       = []string{"0", "1", "2", "4", "8", "16", "32", "64", "128"}
	virusScanFileTypes = []string{"virusScanExport"}
)

// SuspEventTimeLayout is how ExportSuspEvents's TimeStart and TimeEnd are
// written.
const SuspEventTimeLayout = "2006-01-02 15:04:05"

// startField is one payload field of a start item.
type startField struct {
	name  string // JSON name in a payload
	kinds []Kind // the kinds whose API takes it
	list  bool   // a comma-separated list, whose order does not matter
	value func(StartSpec) string
}

// startFields lists every field but kind, in the order String shows them.
var startFields = []startField{
	{name: "exportType", kinds: []Kind{Asset}, value: func(s StartSpec) string { return s.ExportType }},
	{name: "type", kinds: []Kind{Vul}, value: func(s StartSpec) string { return s.Type }},
	{name: "exportFileType", kinds: []Kind{Asset}, value: func(s StartSpec) string { return s.ExportFileType }},
	{name: "resourceDirectoryAccountId", kinds: []Kind{Asset}, value: func(s StartSpec) string { return formatInt(s.Account) }},
	{name: "params", kinds: []Kind{Asset}, value: func(s StartSpec) string { return string(s.Params) }},
	{name: "dealed", kinds: []Kind{Vul, SuspEvent}, value: func(s StartSpec) string { return s.Dealed }},
	{name: "necessity", kinds: []Kind{Vul}, list: true, value: func(s StartSpec) string { return s.Necessity }},
	{name: "attachTypes", kinds: []Kind{Vul}, value: func(s StartSpec) string { return s.AttachTypes }},
	{name: "levels", kinds: []Kind{SuspEvent}, list: true, value: func(s StartSpec) string { return s.Levels }},
	{name: "status", kinds: []Kind{SuspEvent}, value: func(s StartSpec) string { return s.Status }},
	{name: "groupId", kinds: []Kind{Vul, SuspEvent}, value: func(s StartSpec) string { return formatInt(s.GroupID) }},
	{name: "uuids", kinds: []Kind{Vul}, list: true, value: func(s StartSpec) string { return s.UUIDs }},
	{name: "uuid", kinds: []Kind{SuspEvent}, value: func(s StartSpec) string { return s.UUID }},
	{name: "vpcInstanceIds", kinds: []Kind{Vul}, list: true, value: func(s StartSpec) string { return s.VpcInstanceIDs }},
	{name: "clusterId", kinds: []Kind{SuspEvent}, value: func(s StartSpec) string { return s.ClusterID }},
	{name: "cveId", kinds: []Kind{Vul}, value: func(s StartSpec) string { return s.CveID }},
	{name: "aliasName", kinds: []Kind{Vul}, value: func(s StartSpec) string { return s.AliasName }},
	{name: "searchTags", kinds: []Kind{Vul}, value: func(s StartSpec) string { return s.SearchTags }},
	{name: "parentEventTypes", kinds: []Kind{SuspEvent}, value: func(s StartSpec) string { return s.ParentEventTypes }},
	{name: "name", kinds: []Kind{SuspEvent}, value: func(s StartSpec) string { return s.Name }},
	{name: "createTsStart", kinds: []Kind{Vul}, value: func(s StartSpec) string { return formatInt(s.CreateTsStart) }},
	{name: "createTsEnd", kinds: []Kind{Vul}, value: func(s StartSpec) string { return formatInt(s.CreateTsEnd) }},
	{name: "timeStart", kinds: []Kind{SuspEvent}, value: func(s StartSpec) string { return s.TimeStart }},
	{name: "timeEnd", kinds: []Kind{SuspEvent}, value: func(s StartSpec) string { return s.TimeEnd }},
	{name: "lang", kinds: []Kind{Asset, Vul, SuspEvent}, value: func(s StartSpec) string { return s.Lang }},
}

func formatInt(n int64) string {
	if n == 0 {
		return ""
	}
	return strconv.FormatInt(n, 10)
}

// StartFields lists the payload fields a start item of kind k may hold,
// kind first.
func StartFields(k Kind) []string {
	names := []string{"kind"}
	for _, f := range startFields {
		if slices.Contains(f.kinds, k) {
			names = append(names, f.name)
		}
	}
	return names
}

// ParseStartSpec parses one start item, such as
// {"kind": "asset", "exportType": "assetInstance", "lang": "en"}, and
// validates it. A missing kind means asset. Field names are exact
// (camelCase); unknown fields, fields of another kind's API and bad values
// are refused, the error naming the item and what is allowed.
func ParseStartSpec(raw []byte) (StartSpec, error) {
	item := snippet(raw)
	names, ok := objectKeys(raw)
	if !ok {
		return StartSpec{}, fmt.Errorf("start item %s: want a JSON object such as {\"kind\": \"asset\", \"exportType\": \"assetInstance\"}", item)
	}
	for i, name := range names {
		if slices.Contains(names[:i], name) {
			return StartSpec{}, fmt.Errorf("start item %s: field %q is given twice", item, name)
		}
		if name == "kind" || slices.ContainsFunc(startFields, func(f startField) bool { return f.name == name }) {
			continue
		}
		return StartSpec{}, fmt.Errorf("start item %s: unknown field %q (known: kind, %s)", item, name, strings.Join(allFieldNames(), ", "))
	}
	var s StartSpec
	if err := json.Unmarshal(raw, &s); err != nil { // names are exact by now, so its case folding never applies
		var typeErr *json.UnmarshalTypeError
		if errors.As(err, &typeErr) {
			return StartSpec{}, fmt.Errorf("start item %s: field %q: want a %s, not a %s", item, typeErr.Field, jsonTypeName(typeErr.Type.Kind().String()), typeErr.Value)
		}
		return StartSpec{}, fmt.Errorf("start item %s: %w", item, err)
	}
	if s.Kind == "" {
		s.Kind = Asset
	}
	if err := s.Validate(); err != nil {
		return StartSpec{}, err
	}
	return s, nil
}

// objectKeys returns the member names of the JSON object raw, in order,
// duplicates included; ok is false when raw is not one JSON object.
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

func allFieldNames() []string {
	names := make([]string, 0, len(startFields))
	for _, f := range startFields {
		names = append(names, f.name)
	}
	return names
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

// snippet is raw on one line, bounded, for naming a bad item.
func snippet(raw []byte) string {
	s := strings.Join(strings.Fields(string(raw)), " ")
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "?")
	}
	const max = 120
	if len(s) > max {
		cut := max
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut] + "…"
	}
	return s
}

// SpecError is what Validate reports: the spec, the payload field at fault
// and what is wrong with it.
type SpecError struct {
	Spec  StartSpec
	Field string // JSON name of the field at fault, such as "exportType" or "kind"
	Err   error
}

// Error names the spec and says what is allowed, such as
// `start asset/assetInstnce: exportType "assetInstnce": want one of ...`.
func (e *SpecError) Error() string { return "start " + e.Spec.String() + ": " + e.Err.Error() }

func (e *SpecError) Unwrap() error { return e.Err }

// fieldProblem is a problem with one field of a spec.
type fieldProblem struct {
	field, msg string
}

func (p *fieldProblem) Error() string { return p.msg }

func bad(field, format string, args ...any) error {
	return &fieldProblem{field: field, msg: fmt.Sprintf(format, args...)}
}

// Validate reports whether Security Center could be asked to start s: a
// kind that can be started, the kind's required parameters, known values,
// and no parameter of another kind's API. The error is a *SpecError that
// names s, the field at fault and what is allowed.
func (s StartSpec) Validate() error {
	if err := s.problem(); err != nil {
		e := &SpecError{Spec: s, Err: err}
		var p *fieldProblem
		if errors.As(err, &p) {
			e.Field = p.field
		}
		return e
	}
	return nil
}

func (s StartSpec) problem() error {
	kind := s.kind()
	if !slices.Contains(StartKinds(), kind) {
		if _, err := ParseKind(string(kind)); err == nil {
			return bad("kind", "%s exports cannot be started (only asset, vul and suspEvent can; an asset export with exportType exportHcWarning lists baseline risks)", kind)
		}
		return bad("kind", "unknown kind %q (want asset, vul or suspEvent)", kind)
	}
	for _, f := range startFields {
		if f.value(s) != "" && !slices.Contains(f.kinds, kind) {
			return bad(f.name, "%s is not a parameter of %s exports (%s takes %s)", f.name, kind, StartAction(kind), strings.Join(StartFields(kind)[1:], ", "))
		}
	}
	if err := oneOf("lang", s.Lang, Langs(), true); err != nil {
		return err
	}
	switch kind {
	case Asset:
		return s.assetProblem()
	case Vul:
		return s.vulProblem()
	default:
		return s.suspEventProblem()
	}
}

func (s StartSpec) assetProblem() error {
	if s.ExportType == "" {
		return bad("exportType", "exportType is required (one of %s)", strings.Join(ExportTypes(), ", "))
	}
	if err := oneOf("exportType", s.ExportType, ExportTypes(), false); err != nil {
		return err
	}
	switch {
	case s.ExportType == "virusScanExport" && s.ExportFileType == "":
		return bad("exportFileType", "exportFileType is required with exportType virusScanExport (want virusScanExport)")
	case s.ExportType != "virusScanExport" && s.ExportFileType != "":
		return bad("exportFileType", "exportFileType is taken only with exportType virusScanExport")
	}
	if err := oneOf("exportFileType", s.ExportFileType, virusScanFileTypes, true); err != nil {
		return err
	}
	if s.Account < 0 {
		return bad("resourceDirectoryAccountId", "resourceDirectoryAccountId %d: want a positive account ID", s.Account)
	}
	if s.Params != "" {
		if len(s.Params) > maxParamsLen {
			return bad("params", "params: at most %d bytes of JSON", maxParamsLen)
		}
		if !isJSONObject([]byte(s.Params)) {
			return bad("params", "params: want a JSON object, such as {\"extend\": \"1\"}")
		}
	}
	return nil
}

var cveSyntax = regexp.MustCompile(`^CVE-[0-9]{4}-[0-9]{4,}$`)

func (s StartSpec) vulProblem() error {
	if s.Type == "" {
		return bad("type", "type is required (one of %s)", strings.Join(VulTypes(), ", "))
	}
	if err := oneOf("type", s.Type, VulTypes(), false); err != nil {
		return err
	}
	if err := oneOf("dealed", s.Dealed, []string{"y", "n"}, true); err != nil {
		return err
	}
	if err := listOf("necessity", s.Necessity, vulNecessities); err != nil {
		return err
	}
	if s.AttachTypes != "" {
		if s.Type != "app" {
			return bad("attachTypes", "attachTypes is taken only with type app")
		}
		if err := oneOf("attachTypes", s.AttachTypes, []string{"sca"}, false); err != nil {
			return err
		}
	}
	if s.CveID != "" && !cveSyntax.MatchString(s.CveID) {
		return bad("cveId", "cveId %q: want a CVE ID such as CVE-2022-44702", s.CveID)
	}
	for _, t := range []struct{ name, value string }{
		{"uuids", s.UUIDs}, {"vpcInstanceIds", s.VpcInstanceIDs}, {"aliasName", s.AliasName}, {"searchTags", s.SearchTags},
	} {
		if err := text(t.name, t.value); err != nil {
			return err
		}
	}
	if s.GroupID < 0 {
		return bad("groupId", "groupId %d: want a positive server group ID", s.GroupID)
	}
	for _, ts := range []struct {
		name string
		ms   int64
	}{{"createTsStart", s.CreateTsStart}, {"createTsEnd", s.CreateTsEnd}} {
		if ts.ms < 0 {
			return bad(ts.name, "%s %d: want milliseconds since 1970-01-01 UTC", ts.name, ts.ms)
		}
	}
	if s.CreateTsStart != 0 && s.CreateTsEnd != 0 && s.CreateTsStart > s.CreateTsEnd {
		return bad("createTsStart", "createTsStart %d is after createTsEnd %d", s.CreateTsStart, s.CreateTsEnd)
	}
	return nil
}

func (s StartSpec) suspEventProblem() error {
	if err := listOf("levels", s.Levels, suspLevels); err != nil {
		return err
	}
	if err := oneOf("dealed", s.Dealed, []string{"Y", "N"}, true); err != nil {
		return err
	}
	if err := oneOf("status", s.Status, suspStatuses, true); err != nil {
		return err
	}
	var start, end time.Time
	for _, t := range []struct {
		name, value string
		at          *time.Time
	}{{"timeStart", s.TimeStart, &start}, {"timeEnd", s.TimeEnd, &end}} {
		if t.value == "" {
			continue
		}
		at, err := time.Parse(SuspEventTimeLayout, t.value)
		if err != nil {
			return bad(t.name, "%s %q: want a time such as 2022-10-01 00:00:00", t.name, t.value)
		}
		*t.at = at
	}
	if !start.IsZero() && !end.IsZero() && start.After(end) {
		return bad("timeStart", "timeStart %s is after timeEnd %s", s.TimeStart, s.TimeEnd)
	}
	for _, t := range []struct{ name, value string }{
		{"parentEventTypes", s.ParentEventTypes}, {"name", s.Name}, {"uuid", s.UUID}, {"clusterId", s.ClusterID},
	} {
		if err := text(t.name, t.value); err != nil {
			return err
		}
	}
	if s.GroupID < 0 {
		return bad("groupId", "groupId %d: want a positive asset group ID", s.GroupID)
	}
	return nil
}

// oneOf checks that value is one of allowed (or empty, when optional).
func oneOf(name, value string, allowed []string, optional bool) error {
	if (optional && value == "") || slices.Contains(allowed, value) {
		return nil
	}
	return bad(name, "%s %q: want %s", name, value, alternatives(allowed))
}

// listOf checks a comma-separated list of values from allowed.
func listOf(name, value string, allowed []string) error {
	if value == "" {
		return nil
	}
	for _, v := range strings.Split(value, ",") {
		if !slices.Contains(allowed, v) {
			return bad(name, "%s %q: want a comma-separated list of %s", name, value, strings.Join(allowed, ", "))
		}
	}
	return nil
}

// text checks a free-text parameter: printable, and not too long.
func text(name, value string) error {
	if len(value) > maxTextLen {
		return bad(name, "%s: at most %d bytes", name, maxTextLen)
	}
	if !utf8.ValidString(value) || strings.IndexFunc(value, unicode.IsControl) >= 0 {
		return bad(name, "%s %q: want printable UTF-8 text", name, value)
	}
	return nil
}

func alternatives(values []string) string {
	switch len(values) {
	case 1:
		return values[0]
	case 2:
		return values[0] + " or " + values[1]
	default:
		return "one of " + strings.Join(values, ", ")
	}
}

// kind is s's kind, the empty kind being asset.
func (s StartSpec) kind() Kind {
	if s.Kind == "" {
		return Asset
	}
	return s.Kind
}

// StartAction names the API that starts exports of kind k: ExportRecord,
// ExportVul or ExportSuspEvents; empty for kinds that cannot be started.
func StartAction(k Kind) string {
	switch k {
	case Asset, "":
		return "ExportRecord"
	case Vul:
		return "ExportVul"
	case SuspEvent:
		return "ExportSuspEvents"
	default:
		return ""
	}
}

// String is a short description of s for logs and messages: the kind, the
// export type, the member account, the filters and the language, as in
// "asset/assetInstance (en)" or "vul/cve dealed=n (en)".
func (s StartSpec) String() string {
	var b strings.Builder
	b.WriteString(string(s.kind()))
	switch {
	case s.ExportType != "":
		b.WriteString("/" + s.ExportType)
	case s.Type != "":
		b.WriteString("/" + s.Type)
	}
	if s.Account != 0 {
		b.WriteString("@" + strconv.FormatInt(s.Account, 10))
	}
	for _, f := range startFields {
		switch f.name {
		case "exportType", "type", "resourceDirectoryAccountId", "lang":
			continue
		}
		if v := f.value(s); v != "" {
			b.WriteString(" " + f.name + "=" + shortValue(v))
		}
	}
	if s.Lang != "" {
		b.WriteString(" (" + s.Lang + ")")
	}
	return b.String()
}

// shortValue is v, bounded, and quoted when it holds spaces.
func shortValue(v string) string {
	const max = 60
	if len(v) > max {
		cut := max
		for cut > 0 && !utf8.RuneStart(v[cut]) {
			cut--
		}
		v = v[:cut] + "…"
	}
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
	for _, f := range startFields {
		v := f.value(s)
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
