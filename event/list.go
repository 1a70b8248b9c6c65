package event

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strings"
)

// MaxRefs bounds how many exports one list (EXPORT_IDS, a payload, a file
// of IDs) may name; a larger list is refused rather than half-polled.
const MaxRefs = 100_000

// CheckCount refuses a list of n references when n is above MaxRefs. It is
// the one place the bound is checked, whichever form the list came in.
func CheckCount(n int) error {
	if n > MaxRefs {
		return fmt.Errorf("%d exports named, at most %d allowed", n, MaxRefs)
	}
	return nil
}

// isSeparator says which characters separate the items of a list.
func isSeparator(r rune) bool {
	return r == ',' || r == ' ' || r == '\t' || r == '\n' || r == '\r' || r == ';'
}

// ParseList parses a comma- or space-separated list of references, such as
// EXPORT_IDS. The error names the first bad item.
func ParseList(s string) ([]Ref, error) {
	fields := strings.FieldsFunc(s, isSeparator)
	if err := CheckCount(len(fields)); err != nil {
		return nil, err
	}
	refs := make([]Ref, 0, len(fields))
	for _, f := range fields {
		r, err := ParseRef(f)
		if err != nil {
			return nil, err
		}
		refs = append(refs, r)
	}
	return refs, nil
}

// ReadList parses a list as ParseList does, read from r a line at a time,
// for lists too long for one variable or argument. The error names the
// line of the first bad item.
func ReadList(r io.Reader) ([]Ref, error) {
	br := bufio.NewReader(r)
	var refs []Ref
	for line := 1; ; line++ {
		text, err := br.ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("line %d: %w", line, err)
		}
		for _, f := range strings.FieldsFunc(text, isSeparator) {
			ref, perr := ParseRef(f)
			if perr != nil {
				return nil, fmt.Errorf("line %d: %w", line, perr)
			}
			// Checked as items come, so a huge file is refused early.
			if cerr := CheckCount(len(refs) + 1); cerr != nil {
				return nil, fmt.Errorf("line %d: %w", line, cerr)
			}
			refs = append(refs, ref)
		}
		if err != nil {
			return refs, nil
		}
	}
}
