// Package catalog is Security Center's catalogue of the exports that can be
// started: one table per kind naming its API and, for each parameter, the
// payload field, the start command's flag, the help text, the allowed
// values and the API parameter it sets. Parsing and validating a start
// item, the CLI's flags and the SDK request are all driven by these tables,
// so a parameter is described in one place.
package catalog

import (
	"slices"

	"github.com/export-notifier/export-notifier/event"
)

// FieldType is how a field is written in a payload.
type FieldType int

// The types of field.
const (
	Text   FieldType = iota // a JSON string
	Number                  // a JSON whole number
	Object                  // a JSON object (or a string holding one)
)

// Field is one parameter of a kind's API.
type Field struct {
	Name  string // payload field (JSON key), such as "exportType"
	Flag  string // start command flag, without dashes
	Param string // API parameter, as the SDK request names it; empty for none
	Help  string // what the field is, for the flag's usage
	Type  FieldType
	// Values lists the allowed values; none means free text (printable,
	// bounded) or a number.
	Values []string
	// List: the value is a comma-separated list of Values, in any order.
	List bool
	// Required: the API refuses a start without it.
	Required bool
	// check is a further rule, run even when the field is empty (it may
	// depend on other fields); nil when Values and the type say it all.
	check func(name string, v values) error
}

// Kind is the table of one kind of export that can be started.
type Kind struct {
	Kind   event.Kind
	API    string  // the API that starts it, such as "ExportRecord"
	Fields []Field // in the order they are validated
}

// Kinds lists the kinds of export that can be started, each with its
// table.
func Kinds() []Kind { return []Kind{assetKind(), vulKind(), suspEventKind()} }

// For returns the table of kind k, the empty kind being asset; false when
// exports of kind k cannot be started.
func For(k event.Kind) (Kind, bool) {
	if k == "" {
		k = event.Asset
	}
	for _, t := range Kinds() {
		if t.Kind == k {
			return t, true
		}
	}
	return Kind{}, false
}

// StartKinds lists the kinds of export that can be started.
func StartKinds() []event.Kind {
	var out []event.Kind
	for _, t := range Kinds() {
		out = append(out, t.Kind)
	}
	return out
}

// API names the API that starts exports of kind k: ExportRecord, ExportVul
// or ExportSuspEvents; empty for kinds that cannot be started.
func API(k event.Kind) string {
	t, _ := For(k)
	return t.API
}

// field returns the field of t named name.
func (t Kind) field(name string) (Field, bool) {
	i := slices.IndexFunc(t.Fields, func(f Field) bool { return f.Name == name })
	if i < 0 {
		return Field{}, false
	}
	return t.Fields[i], true
}

// Fields lists the payload fields a start item of kind k may hold, kind
// first, in the order StartSpec's String shows them.
func Fields(k event.Kind) []string {
	t, ok := For(k)
	if !ok {
		return nil
	}
	names := []string{"kind"}
	for _, name := range event.SpecFields() {
		if _, ok := t.field(name); ok {
			names = append(names, name)
		}
	}
	return names
}

// Allowed lists the values field takes in exports of kind k, such as the
// export types for ("asset", "exportType"); nil when any value goes (or
// the kind has no such field). For "kind" it lists StartKinds.
func Allowed(k event.Kind, field string) []string {
	if field == "kind" {
		var out []string
		for _, kind := range StartKinds() {
			out = append(out, string(kind))
		}
		return out
	}
	t, _ := For(k)
	f, _ := t.field(field)
	return slices.Clone(f.Values)
}
