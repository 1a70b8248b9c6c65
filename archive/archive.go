package archive

import (
	"context"
	"errors"
	"fmt"
	"hash"
	"io"
	"net/http"
	"time"

	"github.com/export-notifier/export-notifier/event"
	"github.com/export-notifier/export-notifier/internal/crc64ecma"
)

// Errors a copy fails with, each wrapped with its reason. Match them with
// errors.Is.
var (
	// ErrLinkExpired: the link's Expires is past, or it answered 403. A
	// fresh link from Security Center may work.
	ErrLinkExpired = errors.New("the download link has expired")
	// ErrTooLarge: the file is larger than the configured maximum.
	ErrTooLarge = errors.New("the file is larger than ARCHIVE_MAX_BYTES")
	// ErrVerify: the bytes stored are not the bytes the link announced (a
	// truncated body, a size or CRC mismatch); nothing was kept.
	ErrVerify = errors.New("the archived copy did not verify")
	// ErrOccupied: the key already holds a different object, which is
	// never overwritten.
	ErrOccupied = errors.New("the archive key holds a different file")
	// ErrConfig: ARCHIVE_URL or a related setting is unusable.
	ErrConfig = errors.New("bad archive configuration")
)

// errExists is what a store's create returns when the key is taken.
var errExists = errors.New("the key exists")

// Object is an archived file.
type Object struct {
	// URL is where it is kept: oss://bucket/key or file:///path.
	URL    string `json:"url"`
	Bucket string `json:"bucket,omitempty"`
	Key    string `json:"key"`
	Size   int64  `json:"size"`
	CRC64  uint64 `json:"crc64"`
}

// Link is a link to an archived object and until when it works (zero:
// as long as the object is kept).
type Link struct {
	URL     string
	Expires time.Time
	// Temporary: the link was signed with temporary (STS) credentials, as
	// on Function Compute, and stops working when they expire, which may
	// come before Expires.
	Temporary bool
}

// Archiver copies files into one store.
type Archiver struct {
	store store
	// HTTP fetches the download links; its transport should be netguard's.
	HTTP *http.Client
	// MaxBytes refuses larger files (DefaultMaxBytes when zero).
	MaxBytes int64
	// LinkTTL is the validity of the links Link hands out.
	LinkTTL time.Duration
	// Now is the clock that judges a link's Expires (time.Now when nil).
	Now func() time.Time
}

// Location is the archive's root, such as oss://bucket/prefix.
func (a *Archiver) Location() string { return a.store.location("") }

// Copy streams the file at link into the store under key (relative to the
// archive's prefix; see Key) and returns the stored object.
func (a *Archiver) Copy(ctx context.Context, link, key string) (Object, error) {
	if exp, ok := event.LinkExpires(link); ok && !a.now().Before(exp) {
		return Object{}, fmt.Errorf("%w at %s", ErrLinkExpired, exp.UTC().Format(time.RFC3339))
	}
	body, size, srcCRC, err := a.open(ctx, link)
	if err != nil {
		return Object{}, err
	}
	defer body.Close()
	src := &stream{hashingReader: hashingReader{r: body, h: crc64ecma.New()}, size: size}
	if held, found, err := a.store.stat(ctx, key); err != nil {
		return Object{}, err
	} else if found {
		return a.compare(held, &src.hashingReader, size, srcCRC)
	}
	stored, err := a.store.create(ctx, key, src)
	if errors.Is(err, errExists) {
		// Another writer won the race; its object is ours if it matches.
		held, found, err := a.store.stat(ctx, key)
		if err != nil || !found {
			return Object{}, fmt.Errorf("%s: after a conflict: %w", a.store.location(key), errors.Join(err, errExists))
		}
		return a.compare(held, &src.hashingReader, size, srcCRC)
	}
	if err != nil {
		if src.err != nil {
			return Object{}, fmt.Errorf("%w: the download broke off after %d of %d bytes: %w", ErrVerify, src.n, size, stripURL(src.err))
		}
		return Object{}, err
	}
	if err := src.complete(size); err != nil {
		return Object{}, errors.Join(err, a.store.remove(ctx, key))
	}
	if stored.CRC64 != src.h.Sum64() || stored.Size != size {
		err := fmt.Errorf("%w: %s: the store holds %d bytes with CRC-64 %d, the download had %d bytes with CRC-64 %d", ErrVerify, stored.URL, stored.Size, stored.CRC64, size, src.h.Sum64())
		return Object{}, errors.Join(err, a.store.remove(ctx, key))
	}
	return stored, nil
}

// compare decides whether an object already held is the file: the same
// size, and the same CRC, read from the link's answer when it carries
// one, else computed from the rest of the download.
func (a *Archiver) compare(held Object, src *hashingReader, size int64, srcCRC *uint64) (Object, error) {
	if held.Size != size {
		return Object{}, fmt.Errorf("%w: %s holds %d bytes, the download has %d", ErrOccupied, held.URL, held.Size, size)
	}
	crc := srcCRC
	if crc == nil {
		if _, err := io.Copy(io.Discard, src); err != nil {
			return Object{}, fmt.Errorf("%w: read the download to compare it with %s: %w", ErrVerify, held.URL, stripURL(err))
		}
		if err := src.complete(size); err != nil {
			return Object{}, err
		}
		sum := src.h.Sum64()
		crc = &sum
	}
	if *crc != held.CRC64 {
		return Object{}, fmt.Errorf("%w: %s has CRC-64 %d, the download %d", ErrOccupied, held.URL, held.CRC64, *crc)
	}
	return held, nil
}

func (a *Archiver) now() time.Time {
	if a.Now != nil {
		return a.Now()
	}
	return time.Now()
}

// hashingReader counts and hashes what passes through it.
type hashingReader struct {
	r   io.Reader
	h   hash.Hash64
	n   int64
	eof bool
	err error // the first error but EOF
}

func (h *hashingReader) Read(p []byte) (int, error) {
	n, err := h.r.Read(p)
	h.n += int64(n)
	h.h.Write(p[:n])
	if err == io.EOF {
		h.eof = true
	} else if err != nil && h.err == nil {
		h.err = err
	}
	return n, err
}

// stream is a download on its way into a store: size bytes, counted and
// hashed as they pass.
type stream struct {
	hashingReader
	size int64
}

// sum is the CRC-64 of what has passed so far.
func (s *stream) sum() uint64 { return s.h.Sum64() }

// verify says whether the whole download passed, no more and no less.
func (s *stream) verify() error { return s.complete(s.size) }

// complete says whether exactly size bytes passed and the body ended.
func (h *hashingReader) complete(size int64) error {
	if h.n != size {
		return fmt.Errorf("%w: the download ended after %d of %d bytes", ErrVerify, h.n, size)
	}
	if !h.eof {
		var one [1]byte
		if n, _ := h.r.Read(one[:]); n > 0 {
			return fmt.Errorf("%w: the download is longer than its Content-Length %d", ErrVerify, size)
		}
	}
	return nil
}
