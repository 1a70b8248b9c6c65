// Package scrub removes secret values from text: every occurrence of a
// value the process knows to be secret (an AccessKey secret, an STS token,
// a bot token, a signing secret, the path, query and password of a webhook
// URL) is replaced with "[redacted]", wherever the text came from. Matching
// is by value, not by pattern, so a token a server echoes back inside an
// error message is caught like one the program printed itself.
//
// Values shorter than MinLen bytes are ignored: they are too likely to be
// ordinary words, and replacing them would garble unrelated text while
// protecting little. Each value is also matched in the forms it takes when
// echoed inside a query string, a URL path or a JSON string.
package scrub

import (
	"bytes"
	"cmp"
	"encoding/json"
	"net/url"
	"slices"
	"strings"
)

// Redacted is what each occurrence of a secret becomes.
const Redacted = "[redacted]"

// MinLen is the length in bytes below which a value is not treated as a
// secret.
const MinLen = 6

// maxPasses bounds how often a text is scrubbed again when a replacement
// and its neighbours happen to spell another secret.
const maxPasses = 4

// Secrets is an immutable set of secret values; a nil *Secrets holds none.
// It is safe for concurrent use.
type Secrets struct {
	values   []string // as given, kept for With
	replacer *strings.Replacer
}

// New returns the set of the given values (and their encoded forms),
// ignoring those shorter than MinLen and those that are part of Redacted.
func New(values ...string) *Secrets {
	return (*Secrets)(nil).With(values...)
}

// With returns a new set holding s's values and the given ones; s is
// unchanged.
func (s *Secrets) With(values ...string) *Secrets {
	var all []string
	if s != nil {
		all = slices.Clone(s.values)
	}
	for _, v := range values {
		if kept(v) {
			all = append(all, v)
		}
	}
	slices.Sort(all)
	all = slices.Compact(all)
	return &Secrets{values: all, replacer: newReplacer(all)}
}

// Len is the number of secret values in the set (encoded forms not
// counted).
func (s *Secrets) Len() int {
	if s == nil {
		return 0
	}
	return len(s.values)
}

// kept reports whether v is long enough to be a secret and no part of the
// marker that replaces secrets.
func kept(v string) bool {
	return len(v) >= MinLen && !strings.Contains(Redacted, v)
}

// holds reports whether s has every one of values that New would keep.
func (s *Secrets) holds(values []string) bool {
	for _, v := range values {
		if !kept(v) {
			continue
		}
		if s == nil {
			return false
		}
		if _, found := slices.BinarySearch(s.values, v); !found {
			return false
		}
	}
	return true
}

// newReplacer replaces every form of every value, longest first, so that a
// secret holding another is removed whole rather than leaving a tail.
func newReplacer(values []string) *strings.Replacer {
	var forms []string
	for _, v := range values {
		forms = append(forms, encodedForms(v)...)
	}
	slices.SortFunc(forms, func(a, b string) int {
		return cmp.Or(len(b)-len(a), strings.Compare(a, b))
	})
	forms = slices.Compact(forms)
	pairs := make([]string, 0, 2*len(forms))
	for _, f := range forms {
		pairs = append(pairs, f, Redacted)
	}
	return strings.NewReplacer(pairs...)
}

// encodedForms lists v as it is and as it appears when echoed in a query
// string, a URL path or a JSON string (with and without HTML escaping).
func encodedForms(v string) []string {
	forms := []string{v, url.QueryEscape(v), url.PathEscape(v)}
	for _, html := range []bool{true, false} {
		var b bytes.Buffer
		enc := json.NewEncoder(&b)
		enc.SetEscapeHTML(html)
		if enc.Encode(v) == nil {
			quoted := strings.TrimSuffix(b.String(), "\n")
			forms = append(forms, quoted[1:len(quoted)-1])
		}
	}
	return forms
}

// String returns text with every occurrence of every secret replaced.
func (s *Secrets) String(text string) string {
	if s == nil || len(s.values) == 0 {
		return text
	}
	for range maxPasses {
		out := s.replacer.Replace(text)
		if out == text {
			return out
		}
		text = out
	}
	// Replacements keep spelling new secrets with their neighbours: a
	// text built that way is not worth showing.
	if s.replacer.Replace(text) != text {
		return Redacted
	}
	return text
}

// Error returns err with its message scrubbed; errors.Is and errors.As
// still see err and what it wraps. Note that the wrapped errors' own
// fields (a *url.Error's URL, say) are not scrubbed: print the returned
// error, not what errors.As finds in it. A nil err stays nil, and an err
// whose message holds no secret is returned as it is.
func (s *Secrets) Error(err error) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	scrubbed := s.String(msg)
	if scrubbed == msg {
		return err
	}
	return &scrubbedError{msg: scrubbed, err: err}
}

type scrubbedError struct {
	msg string
	err error
}

func (e *scrubbedError) Error() string { return e.msg }
func (e *scrubbedError) Unwrap() error { return e.err }
