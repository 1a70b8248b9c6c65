package handler

import (
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/export-notifier/export-notifier/event"
)

// MaxIDs bounds how many exports one payload, EXPORT_IDS or file of IDs
// may name.
const MaxIDs = event.MaxRefs

// MaxIDFileBytes bounds a file of IDs: MaxIDs references with their
// accounts and separators fit several times over.
const MaxIDFileBytes = 16 << 20

// ParseIDs reads a list of exports to watch as EXPORT_IDS and --ids give
// it: the list itself, or "@path" for a file holding the same list (comma,
// space or newline separated), for lists beyond the 128 KiB the kernel
// allows one variable or argument. Errors name the file and the line.
func ParseIDs(v string) ([]event.Ref, error) {
	path, isFile := strings.CutPrefix(strings.TrimSpace(v), "@")
	if !isFile {
		return event.ParseList(v)
	}
	if path == "" {
		return nil, fmt.Errorf("@ names no file (want @path/to/ids.txt)")
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err // *PathError names the file
	}
	defer f.Close()
	if fi, err := f.Stat(); err == nil && fi.Size() > MaxIDFileBytes {
		return nil, fmt.Errorf("%s: %d bytes, at most %d allowed", event.Quote(path), fi.Size(), MaxIDFileBytes)
	}
	refs, err := event.ReadList(io.LimitReader(f, MaxIDFileBytes))
	if err != nil {
		return nil, fmt.Errorf("%s %w", event.Quote(path), err)
	}
	return refs, nil
}
