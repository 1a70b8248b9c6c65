package catalog

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

	"github.com/export-notifier/export-notifier/event"
)

// Limits on what a start item may hold.
const (
	maxParamsLen = 4096 // ExportRecord's Params
	maxTextLen   = 1024 // any other text parameter
)

// values are a spec's fields that are set, as text by payload name (see
// event.StartSpec.Values).
type values map[string]string

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
// and no parameter of another kind's API. The error is an
// *event.SpecError that names s, the field at fault and what is allowed.
func Validate(s event.StartSpec) error {
	if err := problem(s); err != nil {
		e := &event.SpecError{Spec: s, Err: err}
		var p *fieldProblem
		if errors.As(err, &p) {
			e.Field = p.field
		}
		return e
	}
	return nil
}

func problem(s event.StartSpec) error {
	kind := s.Kind
	if kind == "" {
		kind = event.Asset
	}
	t, ok := For(kind)
	if !ok {
		if _, err := event.ParseKind(string(kind)); err == nil {
			return bad("kind", "%s exports cannot be started (only asset, vul and suspEvent can; an asset export with exportType exportHcWarning lists baseline risks)", kind)
		}
		return bad("kind", "unknown kind %s (want asset, vul or suspEvent)", event.Quote(string(kind)))
	}
	v := values(s.Values())
	for _, name := range event.SpecFields() {
		if _, ok := t.field(name); !ok && v[name] != "" {
			if name == "accounts" {
				return bad(name, "%s: %s exports cannot be started for member accounts (%s takes no ResourceDirectoryAccountId; only asset exports can)", name, kind, t.API)
			}
			return bad(name, "%s is not a parameter of %s exports (%s takes %s)", name, kind, t.API, strings.Join(Fields(kind)[1:], ", "))
		}
	}
	for _, f := range t.Fields {
		if err := f.problem(v); err != nil {
			return err
		}
	}
	return nil
}

// problem checks f's value in v.
func (f Field) problem(v values) error {
	value := v[f.Name]
	if value == "" && f.Required {
		return bad(f.Name, "%s is required (one of %s)", f.Name, event.Choices(f.Values))
	}
	if f.check != nil {
		if err := f.check(f.Name, v); err != nil {
			return err
		}
	}
	switch {
	case value == "":
		return nil
	case f.List && f.Values != nil:
		for _, item := range strings.Split(value, ",") {
			if !slices.Contains(f.Values, item) {
				return bad(f.Name, "%s %s: want a comma-separated list of %s", f.Name, event.Quote(value), event.Choices(f.Values))
			}
		}
	case f.Values != nil:
		if !slices.Contains(f.Values, value) {
			return bad(f.Name, "%s %s: want %s", f.Name, event.Quote(value), alternatives(f.Values))
		}
	case f.check == nil && f.Type == Text:
		return text(f.Name, value)
	}
	return nil
}

// text checks a free-text parameter: printable, and not too long.
func text(name, value string) error {
	if len(value) > maxTextLen {
		return bad(name, "%s: at most %d bytes", name, maxTextLen)
	}
	if !utf8.ValidString(value) || strings.IndexFunc(value, unicode.IsControl) >= 0 {
		return bad(name, "%s %s: want printable UTF-8 text", name, event.Quote(value))
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
		return "one of " + event.Choices(values)
	}
}

// virusScanFileType: exportFileType goes with, and only with, exportType
// virusScanExport.
func virusScanFileType(name string, v values) error {
	switch {
	case v["exportType"] == "virusScanExport" && v[name] == "":
		return bad(name, "%s is required with exportType virusScanExport (want virusScanExport)", name)
	case v["exportType"] != "virusScanExport" && v[name] != "":
		return bad(name, "%s is taken only with exportType virusScanExport", name)
	}
	return nil
}

func onlyWithAppType(name string, v values) error {
	if v[name] != "" && v["type"] != "app" {
		return bad(name, "%s is taken only with type app", name)
	}
	return nil
}

func params(name string, v values) error {
	p := v[name]
	if p == "" {
		return nil
	}
	if len(p) > maxParamsLen {
		return bad(name, "%s: at most %d bytes of JSON", name, maxParamsLen)
	}
	if b := bytes.TrimSpace([]byte(p)); len(b) == 0 || b[0] != '{' || !json.Valid(b) {
		return bad(name, "%s: want a JSON object, such as {\"extend\": \"1\"}", name)
	}
	return nil
}

// positive refuses a negative ID; what names it in the error.
func positive(what string) func(string, values) error {
	return func(name string, v values) error {
		if strings.HasPrefix(v[name], "-") {
			return bad(name, "%s %s: want a positive %s", name, event.Snippet(v[name]), what)
		}
		return nil
	}
}

func millis(name string, v values) error {
	if strings.HasPrefix(v[name], "-") {
		return bad(name, "%s %s: want milliseconds since 1970-01-01 UTC", name, event.Snippet(v[name]))
	}
	return nil
}

// millisAfter is millis, and refuses a value before the start field's.
func millisAfter(start string) func(string, values) error {
	return func(name string, v values) error {
		if err := millis(name, v); err != nil {
			return err
		}
		from, _ := strconv.ParseInt(v[start], 10, 64)
		to, _ := strconv.ParseInt(v[name], 10, 64)
		if from != 0 && to != 0 && from > to {
			return bad(start, "%s %d is after %s %d", start, from, name, to)
		}
		return nil
	}
}

var cveSyntax = regexp.MustCompile(`^CVE-[0-9]{4}-[0-9]{4,}$`)

func cveID(name string, v values) error {
	if id := v[name]; id != "" && !cveSyntax.MatchString(id) {
		return bad(name, "%s %s: want a CVE ID such as CVE-2022-44702", name, event.Quote(id))
	}
	return nil
}

func suspEventTime(name string, v values) error {
	_, err := parseTime(name, v[name])
	return err
}

func parseTime(name, value string) (time.Time, error) {
	if value == "" {
		return time.Time{}, nil
	}
	at, err := time.Parse(SuspEventTimeLayout, value)
	if err != nil {
		return time.Time{}, bad(name, "%s %s: want a time such as 2022-10-01 00:00:00", name, event.Quote(value))
	}
	return at, nil
}

// suspEventTimeAfter is suspEventTime, and refuses a time before the
// start field's.
func suspEventTimeAfter(start string) func(string, values) error {
	return func(name string, v values) error {
		to, err := parseTime(name, v[name])
		if err != nil {
			return err
		}
		from, _ := parseTime(start, v[start])
		if !from.IsZero() && !to.IsZero() && from.After(to) {
			return bad(start, "%s %s is after %s %s", start, v[start], name, v[name])
		}
		return nil
	}
}

// accounts checks a start item's member accounts: "all" or positive IDs,
// and not beside resourceDirectoryAccountId, which names one.
func accounts(name string, v values) error {
	a := event.Accounts(v[name])
	if a == "" {
		return nil
	}
	if v["resourceDirectoryAccountId"] != "" {
		return bad(name, "%s and resourceDirectoryAccountId: give one (accounts starts one export per member account)", name)
	}
	if _, err := a.IDs(); err != nil {
		return bad(name, "%s", err.Error())
	}
	return nil
}
