package catalog

import (
	"encoding/json"
	"errors"
	"slices"
	"strconv"
	"strings"

	"github.com/export-notifier/export-notifier/event"
)

// Flag is one flag of the start command: the payload field it sets.
type Flag struct {
	Name  string // without dashes
	Field string // payload field
	Usage string
	// Values lists what the flag takes when it is enumerated, every kind's
	// values of the field together, for suggestions and completion.
	Values []string
	Set    func(s *event.StartSpec, value string) error
}

// Flags lists the start command's flags, kind first, then each field of
// each kind's table once. A field several kinds take has one flag whose
// usage says what it is for each.
func Flags() []Flag {
	flags := []Flag{{Name: "kind", Field: "kind",
		Usage:  "kind of export: asset (ExportRecord, the default), vul (ExportVul) or suspEvent (ExportSuspEvents)",
		Values: Allowed("", "kind"),
		Set:    func(s *event.StartSpec, v string) error { s.Kind = event.Kind(v); return nil }}}
	kinds := Kinds()
	for _, t := range kinds {
		for _, f := range t.Fields {
			if slices.ContainsFunc(flags, func(g Flag) bool { return g.Name == f.Flag }) {
				continue
			}
			flags = append(flags, Flag{Name: f.Flag, Field: f.Name, Usage: usage(f.Name, kinds), Values: flagValues(f.Name, kinds), Set: f.set})
		}
	}
	return flags
}

// usage is the help of field for every kind that takes it, as in
// "vul: y (fixed) or n; suspEvent: Y (handled) or N", without the kinds
// when all take it alike.
func usage(field string, kinds []Kind) string {
	var helps []string
	byHelp := map[string][]string{}
	for _, t := range kinds {
		if f, ok := t.field(field); ok {
			if _, seen := byHelp[f.Help]; !seen {
				helps = append(helps, f.Help)
			}
			byHelp[f.Help] = append(byHelp[f.Help], string(t.Kind))
		}
	}
	if len(helps) == 1 && len(byHelp[helps[0]]) == len(kinds) {
		return helps[0]
	}
	parts := make([]string, len(helps))
	for i, h := range helps {
		parts[i] = strings.Join(byHelp[h], " and ") + ": " + h
	}
	return strings.Join(parts, "; ")
}

// flagValues is every kind's allowed values of field, each once.
func flagValues(field string, kinds []Kind) []string {
	var out []string
	for _, t := range kinds {
		for _, v := range Allowed(t.Kind, field) {
			if !slices.Contains(out, v) {
				out = append(out, v)
			}
		}
	}
	return out
}

// set sets f in s from a flag's text, through the JSON s would be parsed
// from.
func (f Field) set(s *event.StartSpec, v string) error {
	var item []byte
	switch f.Type {
	case Object:
		return s.Params.UnmarshalJSON([]byte(v))
	case Number:
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return errors.New("not a whole number")
		}
		item, err = json.Marshal(map[string]int64{f.Name: n})
		if err != nil {
			return err
		}
	default:
		var err error
		if item, err = json.Marshal(map[string]string{f.Name: v}); err != nil {
			return err
		}
	}
	return json.Unmarshal(item, s)
}

// Params is s as the API parameters of its kind, by the SDK request's
// field names, such as {"ExportType": "assetInstance", "Lang": "en"};
// fields left at their zero value are not sent, nor accounts, which
// names the member accounts to start one export each for.
func Params(s event.StartSpec) map[string]string {
	t, ok := For(s.Kind)
	if !ok {
		return nil
	}
	v := s.Values()
	out := make(map[string]string, len(v))
	for _, f := range t.Fields {
		if value := v[f.Name]; value != "" && f.Param != "" {
			out[f.Param] = value
		}
	}
	return out
}
