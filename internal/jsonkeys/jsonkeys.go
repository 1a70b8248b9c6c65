// Package jsonkeys refuses JSON in which one object names a member twice.
// encoding/json accepts that silently and keeps the last value, so
// {"exports":[1],"exports":[2]} would watch export 2 alone.
package jsonkeys

import (
	"bytes"
	"encoding/json"
	"errors"
	"strconv"
	"strings"

	"github.com/export-notifier/export-notifier/event"
)

// errNotJSON stops the walk: malformed JSON is for the parser that reads
// the data next to report, in its own words.
var errNotJSON = errors.New("not JSON")

// Unique returns an error naming the first member given twice in one
// object of data, at any depth, and where that object is; nil when there
// is none or data is not valid JSON.
func Unique(data []byte) error {
	// Valid also bounds the nesting, and with it the walk's recursion.
	if !json.Valid(data) {
		return nil
	}
	w := walk{dec: json.NewDecoder(bytes.NewReader(data))}
	w.dec.UseNumber()
	if err := w.value(); err != nil && !errors.Is(err, errNotJSON) {
		return err
	}
	return nil
}

// walk reads one JSON document token by token, keeping the path to where
// it is.
type walk struct {
	dec  *json.Decoder
	path []string
}

func (w *walk) value() error {
	t, err := w.dec.Token()
	if err != nil {
		return errNotJSON
	}
	switch t {
	case json.Delim('{'):
		seen := map[string]bool{}
		for w.dec.More() {
			t, err := w.dec.Token()
			if err != nil {
				return errNotJSON
			}
			name, _ := t.(string)
			if seen[name] {
				return w.duplicate(name)
			}
			seen[name] = true
			if err := w.member("." + name); err != nil {
				return err
			}
		}
	case json.Delim('['):
		for i := 0; w.dec.More(); i++ {
			if err := w.member("[" + strconv.Itoa(i) + "]"); err != nil {
				return err
			}
		}
	default:
		return nil
	}
	if _, err := w.dec.Token(); err != nil { // the closing delimiter
		return errNotJSON
	}
	return nil
}

// member reads the value at step, one step further down the path.
func (w *walk) member(step string) error {
	w.path = append(w.path, step)
	err := w.value()
	w.path = w.path[:len(w.path)-1]
	return err
}

func (w *walk) duplicate(name string) error {
	msg := "field " + event.Quote(name) + " is given twice"
	if len(w.path) > 0 {
		msg += " in " + event.Snippet(strings.TrimPrefix(strings.Join(w.path, ""), "."))
	}
	return errors.New(msg)
}
