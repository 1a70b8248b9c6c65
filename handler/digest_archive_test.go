package handler

import (
	"strings"
	"testing"
)

// TestDigestRowsLinkToTheArchivedFiles: with ARCHIVE_URL, each ready
// member's file is copied before the batch settles, and the digest's rows
// give the copy's link and where it is kept, not Security Center's link.
func TestDigestRowsLinkToTheArchivedFiles(t *testing.T) {
	h := newDigestHarness(t)
	files := newFileServer(t)
	dir := t.TempDir()
	h.cycle.Checker = &localLinks{Checker: h.checker, base: files.srv.URL}
	h.cycle.Archiver = fileArchiver(t, dir)
	rows, _ := h.settle(t)["rows"].([]any)
	if len(rows) != 2 {
		t.Fatalf("rows %v, want the two ready members", rows)
	}
	for _, r := range rows {
		row := r.(map[string]any)
		link, _ := row["link"].(string)
		arch, _ := row["archive"].(map[string]any)
		if !strings.HasPrefix(link, "file://"+dir) || arch == nil || arch["url"] != link {
			t.Errorf("row %v: want the archived copy's link and its archive", row)
		}
	}
}
