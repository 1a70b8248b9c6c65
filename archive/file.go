package archive

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"time"

	"github.com/export-notifier/export-notifier/internal/crc64ecma"
	"github.com/export-notifier/export-notifier/internal/exclfile"
)

// fileStore keeps copies under a directory: each is written to a
// temporary file beside its final name, synced, then hard-linked to that
// name, which fails when the name exists (create-if-absent) and never
// shows a half-written file.
type fileStore struct {
	dir string
}

func newFileStore(dir string) (*fileStore, error) {
	if !filepath.IsAbs(dir) {
		abs, err := filepath.Abs(dir)
		if err != nil {
			return nil, fmt.Errorf("%w: ARCHIVE_URL: %w", ErrConfig, err)
		}
		dir = abs
	}
	return &fileStore{dir: filepath.Clean(dir)}, nil
}

func (s *fileStore) path(key string) string { return filepath.Join(s.dir, filepath.FromSlash(key)) }

func (s *fileStore) location(key string) string {
	return (&url.URL{Scheme: "file", Path: filepath.ToSlash(s.path(key))}).String()
}

func (s *fileStore) stat(_ context.Context, key string) (Object, bool, error) {
	f, err := os.Open(s.path(key))
	if errors.Is(err, fs.ErrNotExist) {
		return Object{}, false, nil
	}
	if err != nil {
		return Object{}, false, err
	}
	defer f.Close()
	h := crc64ecma.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return Object{}, false, fmt.Errorf("read %s: %w", s.location(key), err)
	}
	return Object{URL: s.location(key), Key: key, Size: n, CRC64: h.Sum64()}, true, nil
}

func (s *fileStore) create(ctx context.Context, key string, src *stream) (Object, error) {
	final := s.path(key)
	if err := os.MkdirAll(filepath.Dir(final), 0o755); err != nil {
		return Object{}, err
	}
	err := exclfile.Create(final, ".partial-*", func(w io.Writer) error {
		if _, err := io.Copy(w, src); err != nil {
			return err
		}
		return src.verify()
	})
	if errors.Is(err, fs.ErrExist) {
		return Object{}, errExists
	} else if err != nil {
		return Object{}, fmt.Errorf("write %s: %w", s.location(key), err)
	}
	// The file's CRC is read back from the disk, as OSS computes its own,
	// so that what was written is what is compared with the download.
	obj, _, err := s.stat(ctx, key)
	return obj, err
}

func (s *fileStore) remove(_ context.Context, key string) error {
	if err := os.Remove(s.path(key)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}

func (s *fileStore) link(_ context.Context, key string, _ time.Duration) (Link, error) {
	return Link{URL: s.location(key)}, nil
}
