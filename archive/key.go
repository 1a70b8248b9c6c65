package archive

import (
	"fmt"
	"strings"
	"time"
	"unicode"
)

// Key is where an export's file is kept, below the archive's prefix:
// yyyy/mm/dd/<kind>-<id>[-<account>]/<file name>, dated by day (UTC) so
// that a listing reads like a calendar. day must be the same on every
// attempt (the day the completion was first seen), so that retries find
// the same key.
func Key(day time.Time, kind string, id int64, account, fileName string) string {
	dir := fmt.Sprintf("%s-%d", safeName(kind), id)
	if account != "" {
		dir += "-" + safeName(account)
	}
	return day.UTC().Format("2006/01/02") + "/" + dir + "/" + safeName(fileName)
}

// maxName bounds a file name's bytes, well under OSS's 1023 for a key.
const maxName = 200

// safeName keeps letters, digits, '.', '-' and '_' (any script's letters
// too), turns everything else (slashes, spaces, control characters) into
// '_', and never yields "", "." or "..".
func safeName(name string) string {
	var b strings.Builder
	for _, r := range name {
		switch {
		case r == '.' || r == '-' || r == '_' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z':
			b.WriteRune(r)
		case r > 0x7f && r != 0xfffd && (unicode.IsLetter(r) || unicode.IsDigit(r)):
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
		if b.Len() >= maxName {
			break
		}
	}
	s := strings.TrimLeft(b.String(), ".")
	if s == "" {
		return "export"
	}
	return s
}
