// Package route is the filter a sink may be given (<SINK>_ROUTE): which
// events it takes, by event type, export kind and member account. A route
// is terms separated by ";", each "field=v1,v2"; an event goes to the sink
// when every term matches it, and a sink without a route takes every event.
//
//	type=completed,failed;kind=vul,hc
//	account=16670360956,own
package route

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/export-notifier/export-notifier/event"
)

// Own is the account value that names the caller's own account: an export
// that names no resource directory member.
const Own = "own"

// Fields are the fields a term may filter on.
func Fields() []string { return []string{"type", "kind", "account"} }

// Filter is a parsed route. The zero Filter takes every event.
type Filter struct {
	types    []event.Type
	kinds    []event.Kind
	accounts []int64 // 0 is the caller's own account
	text     string
}

// Parse reads a route from the variable named variable. An error is one
// line naming the variable and the term.
func Parse(variable, s string) (Filter, error) {
	f := Filter{text: strings.TrimSpace(s)}
	seen := map[string]bool{}
	for i, term := range strings.Split(s, ";") {
		if strings.TrimSpace(term) == "" {
			continue
		}
		field, err := f.addTerm(term, seen)
		if err != nil {
			return Filter{}, fmt.Errorf("%s: term %d %s: %w", variable, i+1, event.Quote(strings.TrimSpace(term)), err)
		}
		seen[field] = true
	}
	return f, nil
}

// addTerm adds one "field=v1,v2" term to f and returns its field.
func (f *Filter) addTerm(term string, seen map[string]bool) (string, error) {
	field, list, ok := strings.Cut(term, "=")
	field = strings.TrimSpace(field)
	if !ok {
		return "", fmt.Errorf("want field=value,value with field %s", strings.Join(Fields(), ", "))
	}
	if !slices.Contains(Fields(), field) {
		return "", fmt.Errorf("unknown field %s (want %s)", event.Quote(field), strings.Join(Fields(), ", "))
	}
	if seen[field] {
		return "", fmt.Errorf("%s is filtered twice; list every value in one term", field)
	}
	var values []string
	for _, v := range strings.Split(list, ",") {
		if v = strings.TrimSpace(v); v != "" {
			values = append(values, v)
		}
	}
	if len(values) == 0 {
		return "", fmt.Errorf("%s has no value", field)
	}
	for _, v := range values {
		if err := f.add(field, v); err != nil {
			return "", err
		}
	}
	return field, nil
}

// add adds one value of field to f.
func (f *Filter) add(field, v string) error {
	switch field {
	case "type":
		if v == string(event.Digest) {
			f.types = append(f.types, event.Digest)
			return nil
		}
		t, err := event.ParseType(v)
		if err != nil {
			return fmt.Errorf("%w, or digest", err)
		}
		f.types = append(f.types, t)
	case "kind":
		k, err := event.ParseKind(v)
		if err != nil {
			return err
		}
		f.kinds = append(f.kinds, k)
	default:
		if v == Own {
			f.accounts = append(f.accounts, 0)
			return nil
		}
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n <= 0 {
			return fmt.Errorf("account %s is neither a member account ID nor %s", event.Quote(v), Own)
		}
		f.accounts = append(f.accounts, n)
	}
	return nil
}

// Takes reports whether ev passes every term of f. A digest tells of
// many member accounts at once, so a route that names accounts does not
// take it.
func (f Filter) Takes(ev event.Event) bool {
	account := f.accounts == nil || ev.Type != event.Digest && slices.Contains(f.accounts, ev.Status.Account)
	return (f.types == nil || slices.Contains(f.types, ev.Type)) &&
		(f.kinds == nil || slices.Contains(f.kinds, ev.Status.Kind)) && account
}

// IsZero reports whether f takes every event.
func (f Filter) IsZero() bool { return f.types == nil && f.kinds == nil && f.accounts == nil }

// String is the route as it was given.
func (f Filter) String() string { return f.text }
