package notify

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Unit is what a length limit counts: Slack and Lark count characters,
// DingTalk's message limit counts bytes.
type Unit int

// The units of Cut.
const (
	Chars Unit = iota
	Bytes
)

// Cut is the one way text is made to fit a limit: s shortened to at most
// n units, cut on a character boundary and ending in "…" when cut. Text
// from outside (Security Center, a sink's answer) goes through OneLine
// first.
func Cut(s string, n int, unit Unit) string {
	if n <= 0 {
		return ""
	}
	const ellipsis = "…"
	if unit == Bytes {
		if len(s) <= n {
			return s
		}
		cut := max(n-len(ellipsis), 0)
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		return s[:cut] + ellipsis
	}
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + ellipsis
}

// OneLine makes text from outside safe to show on one line: every run of
// white space (line breaks and tabs included) becomes one space, the ends
// are trimmed, and characters that are not printable (controls, invisible
// formatting, invalid UTF-8) are dropped, so that the text cannot forge
// extra log lines or hide what it says.
func OneLine(s string) string {
	if isOneLine(s) {
		return s
	}
	s = strings.Map(func(r rune) rune {
		switch {
		case unicode.IsSpace(r):
			return ' '
		case r == utf8.RuneError || !unicode.IsPrint(r):
			return -1
		}
		return r
	}, s)
	return strings.Join(strings.Fields(s), " ")
}

// isOneLine reports whether OneLine would leave s as it is, without
// allocating.
func isOneLine(s string) bool {
	prevSpace := true // no leading space
	for _, r := range s {
		switch {
		case r == ' ':
			if prevSpace {
				return false
			}
			prevSpace = true
			continue
		case r == utf8.RuneError || !unicode.IsPrint(r):
			return false
		}
		prevSpace = false
	}
	return !prevSpace || s == ""
}
