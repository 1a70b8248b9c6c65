package state

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/export-notifier/export-notifier/internal/exclfile"
)

// The store's files or objects: the checkpoint of version v (the whole
// state, the snapshot format earlier releases wrote, so their snapshots are
// read as checkpoints) and the record of version v (what its commit
// changed). The zero padding makes the lexical order the numeric order, for
// people and for OSS listings alike, and "record-" sorts before
// "snapshot-", so a listing after a record's name holds the later records
// and every checkpoint.
const (
	recordPrefix     = "record-"
	checkpointPrefix = "snapshot-"
)

func checkpointName(v int64) string { return fmt.Sprintf(checkpointPrefix+"%020d.json", v) }
func recordName(v int64) string     { return fmt.Sprintf(recordPrefix+"%020d.json", v) }

// parseName returns the version a name holds and whether it is a record,
// if it is one of the store's names.
func parseName(name string) (v int64, record, ok bool) {
	digits, record := strings.CutPrefix(name, recordPrefix)
	if !record {
		if digits, ok = strings.CutPrefix(name, checkpointPrefix); !ok {
			return 0, false, false
		}
	}
	digits, ok = strings.CutSuffix(digits, ".json")
	if !ok || len(digits) != 20 {
		return 0, false, false
	}
	v, err := strconv.ParseInt(digits, 10, 64)
	if err != nil || v <= 0 {
		return 0, false, false
	}
	return v, record, true
}

// tempPattern names the files a commit writes before linking them into
// place; Load ignores them.
const tempPattern = ".snapshot-*.tmp"

// fileBackend keeps each record and checkpoint in its own file in one directory, which
// may be local or an NFS mount such as FC's NAS.
//
// A file becomes visible by os.Link of a complete, fsynced temporary
// file to the version's name. link(2) creates the name atomically, with the
// file's whole content, and fails with EEXIST if the name exists: it never
// replaces (rename would, silently). The alternative, O_CREATE|O_EXCL on the
// file's own name and then writing, makes the name visible while the
// file is still empty or partly written, so a concurrent Load would see a
// damaged file, and a crash in the middle would leave one behind for
// good. The temporary file itself is created with O_EXCL (os.CreateTemp).
// On NFS, link is one server-side operation and atomic, the technique
// open(2) recommends for exclusive creation there; a LINK retransmitted
// after a lost reply may report EEXIST although it succeeded, which is
// told apart by checking that the name is our file.
type fileBackend struct {
	dir string // absolute
}

func newFileBackend(rawURL, rest string) (*fileBackend, error) {
	if strings.ContainsAny(rest, "?#") {
		return nil, badURL(rawURL, "a file URL takes no query or fragment")
	}
	p, err := url.PathUnescape(rest)
	if err != nil {
		return nil, badURL(rawURL, "bad escape in the path")
	}
	switch {
	case strings.HasPrefix(p, "/"):
	case strings.HasPrefix(p, "localhost/"):
		p = strings.TrimPrefix(p, "localhost")
	case p == "." || p == ".." || strings.HasPrefix(p, "./") || strings.HasPrefix(p, "../"):
	case p == "":
		return nil, badURL(rawURL, "no directory: want file:///abs/dir or file://./rel/dir")
	default:
		return nil, badURL(rawURL, "a file URL names a local directory: file:///abs/dir, or file://./rel/dir for a relative one")
	}
	dir, err := filepath.Abs(p)
	if err != nil {
		return nil, badURL(rawURL, err.Error())
	}
	return &fileBackend{dir: dir}, nil
}

// readNames returns the names in dir, unsorted: names only, since every
// commit lists the directory, often twice, and os.ReadDir's entries would
// be garbage.
func readNames(dir string) ([]string, error) {
	d, err := os.Open(dir)
	if err != nil {
		return nil, err
	}
	defer d.Close()
	return d.Readdirnames(-1)
}

func (f *fileBackend) name(n string) string { return filepath.Join(f.dir, n) }
func (f *fileBackend) location() string     { return "file://" + filepath.ToSlash(f.dir) }

func (f *fileBackend) list(ctx context.Context, after string) ([]string, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	all, err := readNames(f.dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	names := all[:0]
	newest, _, _ := parseName(after)
	for _, n := range all {
		if v, record, ok := parseName(n); ok && n > after {
			names = append(names, n)
			if record {
				newest = max(newest, v)
			}
		}
	}
	// An NFS client may serve a directory listing from its cache for a
	// while; looking the next records up one by one asks the server.
	for next := newest + 1; ; next++ {
		if _, err := os.Lstat(f.name(recordName(next))); err != nil {
			break
		}
		if n := recordName(next); !slices.Contains(names, n) {
			names = append(names, n)
		}
	}
	slices.Sort(names)
	return names, nil
}

func (f *fileBackend) read(ctx context.Context, n string) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return os.ReadFile(f.name(n))
}

func (f *fileBackend) create(ctx context.Context, n string, data []byte) error {
	return f.createFrom(ctx, n, func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	})
}

// createFrom is create with the bytes written by write as they come, so
// that a large checkpoint is never held whole in memory.
func (f *fileBackend) createFrom(ctx context.Context, n string, write func(io.Writer) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := os.MkdirAll(f.dir, 0o700); err != nil {
		return err
	}
	err := exclfile.Create(f.name(n), tempPattern, write)
	if errors.Is(err, fs.ErrExist) {
		return ErrConflict
	}
	return err
}

func (f *fileBackend) remove(_ context.Context, n string) error {
	if err := os.Remove(f.name(n)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}

// cleanup deletes temporary files that a commit which died before linking
// left behind; an hour is far longer than any commit takes.
func (f *fileBackend) cleanup(context.Context) {
	matches, _ := filepath.Glob(filepath.Join(f.dir, tempPattern))
	for _, m := range matches {
		if info, err := os.Lstat(m); err == nil && time.Since(info.ModTime()) > time.Hour {
			_ = os.Remove(m)
		}
	}
}
