package event

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// MaxQuoted bounds how much of an item of input an error quotes, so that
// a megabyte item does not make a megabyte error.
const MaxQuoted = 60

// Snippet is s as an error shows an item of input: on one line (each run
// of white space one space, characters that are not printable dropped)
// and at most MaxQuoted bytes, cut with an ellipsis.
func Snippet(s string) string {
	// Clipped first, so a large item is not copied whole.
	s = strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) {
			return ' '
		}
		if r == utf8.RuneError || !unicode.IsPrint(r) {
			return -1
		}
		return r
	}, Clip(s, 4*MaxQuoted))
	return Clip(strings.Join(strings.Fields(s), " "), MaxQuoted)
}

// Quote is Snippet(s) in Go's quotes: how an error names a value it
// refuses.
func Quote(s string) string { return strconv.Quote(Snippet(s)) }

// maxChoices bounds how much of a list of allowed values an error shows,
// so that a long catalogue (dozens of export types, every region) keeps
// the error within a few hundred bytes.
const maxChoices = 80

// Choices is how an error lists the values it would accept: "a, b, c",
// or as many as fit in about maxChoices bytes followed by "… (N in all)".
func Choices(values []string) string {
	if joined := strings.Join(values, ", "); len(joined) <= maxChoices {
		return joined
	}
	shown, size := 0, 0
	for shown < len(values) && size+len(values[shown])+2 <= maxChoices {
		size += len(values[shown]) + 2
		shown++
	}
	return strings.Join(values[:max(shown, 1)], ", ") + ", … (" + strconv.Itoa(len(values)) + " in all)"
}
