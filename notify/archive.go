package notify

import (
	"fmt"
	"net/url"
	"path"
	"time"

	"github.com/export-notifier/export-notifier/event"
)

// FileFacts are what every sink shows about a completion's file besides
// its rows: where it is kept when it was archived (ARCHIVE_URL), or why it
// could not be; and, with includeLink, until when the link works (the
// archive's presigned link, or Security Center's own, read from its
// Expires).
func FileFacts(ev event.Event, includeLink bool) [][2]string {
	if ev.Type != event.Completed {
		return nil
	}
	var facts [][2]string
	until, atTheLatest := time.Time{}, ""
	if a := ev.Archive; a != nil && a.Error != "" {
		facts = append(facts, [2]string{"Not archived", OneLine(a.Error)})
	} else if a != nil {
		facts = append(facts, [2]string{"Kept at", fmt.Sprintf("%s (%s)", OneLine(a.URL), SizeText(a.Size))})
		until = a.LinkExpires
		if a.LinkTemporary {
			atTheLatest = " at the latest (signed with temporary credentials, which may expire sooner)"
		}
	}
	if until.IsZero() {
		until, _ = event.LinkExpires(ev.Status.Link)
	}
	if includeLink && ev.Status.Link != "" && !until.IsZero() {
		facts = append(facts, [2]string{"Link works until", until.UTC().Format("2006-01-02 15:04 UTC") + atTheLatest})
	}
	return facts
}

// SizeText is n in binary units: 512 B, 3.4 MiB, 1.0 GiB.
func SizeText(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit && exp < 4; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTP"[exp])
}

// AttachName is the name a completion's file is posted under: the archived copy's, or
// the last element of the link's path, or the export's FileName.
func AttachName(ev event.Event) string {
	if a := ev.Archive; a != nil && a.Key != "" {
		return path.Base(a.Key)
	}
	if u, err := url.Parse(ev.Status.Link); err == nil && path.Base(u.Path) != "/" && path.Base(u.Path) != "." {
		return path.Base(u.Path)
	}
	return ev.Status.FileName
}
