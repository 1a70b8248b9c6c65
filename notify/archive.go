package notify

import (
	"fmt"
	"time"

	"github.com/export-notifier/export-notifier/event"
)

// ArchiveFacts say, for a completion whose file was archived
// (ARCHIVE_URL), where the file is kept and until when the link to it
// works, or why it could not be archived; nothing otherwise. Every sink
// shows them with the completion.
func ArchiveFacts(ev event.Event) [][2]string {
	a := ev.Archive
	if ev.Type != event.Completed || a == nil {
		return nil
	}
	if a.Error != "" {
		return [][2]string{{"Not archived", OneLine(a.Error)}}
	}
	facts := [][2]string{{"Kept at", fmt.Sprintf("%s (%s)", OneLine(a.URL), SizeText(a.Size))}}
	if !a.LinkExpires.IsZero() {
		facts = append(facts, [2]string{"Link works until", linkUntil(a.LinkExpires)})
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

// linkUntil is time t as messages show it.
func linkUntil(t time.Time) string { return t.UTC().Format("2006-01-02 15:04 UTC") }
