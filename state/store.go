// Package state is export-notifier's durable memory between poll cycles:
// the exports it watches, the events it decided about them, and the
// delivery of each event to each sink.
//
// The state is a series of versioned snapshots. A cycle loads the newest,
// changes it, and commits it as the next version with a create-if-absent
// write; when two cycles race, one commit lands and the other gets
// ErrConflict, reloads and decides again (Update does this). Before sending
// an event a cycle commits a claim on it (Claim), so that an overlapping
// cycle skips it; after sending it commits the outcome (Settle). A claim
// is a lease: if its cycle dies, another takes the event over when the
// lease expires and sends it with the same ID.
//
// Backends are chosen by URL (Open): file:///dir, oss://bucket/prefix and
// memory://. A snapshot that cannot be read is a *DamagedError, never a
// silent reset, and nothing is committed over it.
package state

import (
	"context"
	cryptorand "crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"net/url"
	"strings"
	"time"

	"github.com/export-notifier/export-notifier/credential"
	"github.com/export-notifier/export-notifier/internal/backoff"
)

// DefaultKeep is how many versions a store keeps when Options.Keep is not
// set; older ones are deleted after each commit.
const DefaultKeep = 5

// Store holds the versioned snapshots.
type Store interface {
	// Load returns the newest snapshot, or an empty one (Version 0) when
	// the store holds none. A snapshot that cannot be read is a
	// *DamagedError.
	Load(ctx context.Context) (*Snapshot, error)
	// Commit writes s as version s.Version+1, only if that version does not
	// exist yet and s.Version is the newest; otherwise it returns an error
	// that errors.Is ErrConflict. On success s.Version and s.Updated are
	// those of the new version.
	Commit(ctx context.Context, s *Snapshot) error
	// Location names the store for messages, without secrets:
	// "file:///var/lib/x", "oss://bucket/prefix", "memory://".
	Location() string
}

// ErrConflict reports that another commit took the version a commit meant
// to write: reload and decide again.
var ErrConflict = errors.New("state: another cycle committed first")

// ErrConfig is wrapped by Open's errors about its configuration (the URL,
// OSS_ENDPOINT, OSS_REGION), as opposed to errors reaching the store, so a
// command can exit with its usage status.
var ErrConfig = errors.New("bad state configuration")

// ErrNoChange may be returned by the function given to Update to skip the
// commit: Update then returns the loaded snapshot and no error.
var ErrNoChange = errors.New("state: nothing to commit")

// DamagedError reports a snapshot that cannot be read. The store refuses
// to commit until a person moves it aside.
type DamagedError struct {
	Location string // the file or object
	Reason   string
	Err      error
}

func (e *DamagedError) Error() string {
	aside := "rename it so that its name no longer ends in .json, e.g. add .damaged"
	if strings.HasPrefix(e.Location, "oss://") {
		aside = "copy it to a name that no longer ends in .json, e.g. add .damaged, and delete the original (ossutil cp, then ossutil rm)"
	}
	return fmt.Sprintf("state snapshot %s is damaged: %s; nothing was changed. Inspect it, then move it aside (%s) to resume from the previous version, or restore it from a backup", e.Location, e.Reason, aside)
}

func (e *DamagedError) Unwrap() error { return e.Err }

// Options configure Open.
type Options struct {
	// Credentials sign OSS requests (credential.Default() in production).
	Credentials credential.Provider
	// Region is Function Compute's region, the OSS region when neither
	// OSS_ENDPOINT nor OSS_REGION is set.
	Region string
	// OnFC selects OSS's internal endpoint, reachable from FC without
	// traffic charges.
	OnFC bool
	// Getenv reads OSS_ENDPOINT and OSS_REGION; nil reads nothing.
	Getenv func(string) string
	// Keep is how many versions to keep (DefaultKeep when not positive).
	Keep int
	// RequestTimeout bounds each OSS request's reads and writes (the
	// SDK's 10s when zero); the SDK retries timeouts and 5xx itself.
	RequestTimeout time.Duration
	// Logger receives one warning per commit that lost a race to another
	// writer and is tried again; nil logs nothing.
	Logger *slog.Logger

	// resolver resolves a plain-http OSS_ENDPOINT's name (nil: the
	// system's); tests point it elsewhere.
	resolver *net.Resolver
}

// Open returns the store rawURL names:
//
//	file:///abs/dir      a directory (created on the first commit)
//	file://./rel/dir     a directory relative to the working directory
//	oss://bucket/prefix  objects under prefix in an OSS bucket
//	memory://            in this process only, empty, for tests
//
// Errors about the configuration wrap ErrConfig and name what is wrong.
func Open(ctx context.Context, rawURL string, opts Options) (Store, error) {
	if opts.Keep <= 0 {
		opts.Keep = DefaultKeep
	}
	if opts.Getenv == nil {
		opts.Getenv = func(string) string { return "" }
	}
	scheme, rest, ok := strings.Cut(rawURL, "://")
	if !ok {
		return nil, badURL(rawURL, "want file:///dir, file://./dir, oss://bucket/prefix or memory://")
	}
	switch scheme {
	case "file":
		b, err := newFileBackend(rawURL, rest)
		if err != nil {
			return nil, err
		}
		return &versioned{b: b, keep: opts.Keep, log: opts.Logger}, nil
	case "oss":
		b, err := newOSSBackend(ctx, rawURL, rest, opts)
		if err != nil {
			return nil, err
		}
		return &versioned{b: b, keep: opts.Keep, log: opts.Logger}, nil
	case "memory":
		if rest != "" {
			return nil, badURL(rawURL, "memory:// takes nothing after the scheme")
		}
		return &versioned{b: newMemoryBackend(), keep: opts.Keep, log: opts.Logger}, nil
	}
	return nil, badURL(rawURL, "unknown scheme "+fmt.Sprintf("%q", scheme)+" (want file, oss or memory)")
}

// NewMemory returns an empty store that lives in this process, for tests.
func NewMemory() Store { return &versioned{b: newMemoryBackend(), keep: DefaultKeep} }

func badURL(rawURL, why string) error {
	shown := rawURL
	if u, err := url.Parse(rawURL); err == nil {
		shown = u.Redacted()
	} else if i := strings.Index(rawURL, "@"); i >= 0 {
		shown = "<hidden>" + rawURL[i:]
	}
	return fmt.Errorf("%w: %q: %s", ErrConfig, shown, why)
}

// Update loads the newest snapshot, applies fn and commits the result; when
// the commit conflicts it loads again and reapplies fn, up to a bounded
// number of tries with a short random pause between them, so fn must
// depend only on the snapshot it is given (and on nothing it changed in an
// earlier try). It returns the committed snapshot. If fn returns
// ErrNoChange, Update commits nothing and returns the loaded snapshot; any
// other error of fn is returned as it is.
func Update(ctx context.Context, st Store, fn func(*Snapshot) error) (*Snapshot, error) {
	return UpdateFrom(ctx, st, nil, fn)
}

// UpdateFrom is Update whose first try applies fn to base, when base is not
// nil, instead of loading: base must be what st's Load or Commit just
// returned, unchanged since. A large state is then read once per cycle
// rather than once per commit; a conflict still reloads.
func UpdateFrom(ctx context.Context, st Store, base *Snapshot, fn func(*Snapshot) error) (*Snapshot, error) {
	var logger *slog.Logger
	if l, ok := st.(interface{ logger() *slog.Logger }); ok {
		logger = l.logger()
	}
	policy := conflictPolicy(logger)
	var done *Snapshot
	describe := func() []slog.Attr {
		return []slog.Attr{slog.String("state", st.Location())}
	}
	tries, err := policy.Do(ctx, "state commit failed", describe, func(int) (backoff.Verdict, error) {
		s := base
		base = nil
		if s == nil {
			var err error
			if s, err = st.Load(ctx); err != nil {
				return backoff.Verdict{}, err
			}
		}
		if ferr := fn(s); ferr != nil {
			if errors.Is(ferr, ErrNoChange) {
				done = s
				return backoff.Verdict{}, nil
			}
			return backoff.Verdict{}, ferr
		}
		err := st.Commit(ctx, s)
		if err == nil {
			done = s
		}
		return backoff.Verdict{Retry: errors.Is(err, ErrConflict)}, err
	})
	switch {
	case err == nil:
		return done, nil
	case !errors.Is(err, ErrConflict):
		return nil, err
	case tries < policy.MaxAttempts:
		cause := ctx.Err()
		if cause == nil {
			cause = context.DeadlineExceeded // too close to it to wait again
		}
		return nil, fmt.Errorf("state %s: %w (after %d conflicts)", st.Location(), cause, tries)
	}
	return nil, fmt.Errorf("state %s: gave up after %d tries: %w", st.Location(), tries, err)
}

// conflictPolicy spaces the tries of UpdateFrom: writers that raced are
// likely still close, so the first pauses are a few milliseconds.
func conflictPolicy(logger *slog.Logger) backoff.Policy {
	return backoff.Policy{MaxAttempts: 16, Base: 10 * time.Millisecond, Max: 320 * time.Millisecond, Logger: logger}
}

// backend stores the encoded versions of a store. Versions are positive.
type backend interface {
	// versions lists the stored versions in ascending order.
	versions(ctx context.Context) ([]int64, error)
	// read returns one version's bytes; an error that errors.Is
	// fs.ErrNotExist when it is gone.
	read(ctx context.Context, v int64) ([]byte, error)
	// create stores a version only if it does not exist, in such a way
	// that no reader ever sees it partly written; ErrConflict if it exists.
	create(ctx context.Context, v int64, data []byte) error
	// remove deletes a version; a missing one is no error.
	remove(ctx context.Context, v int64) error
	// name is the file or object of a version, for messages.
	name(v int64) string
	location() string
}

// versioned is the Store over any backend: it finds the newest version,
// decodes it, and prunes the old ones.
type versioned struct {
	b    backend
	keep int
	log  *slog.Logger
}

func (st *versioned) logger() *slog.Logger { return st.log }

func (st *versioned) Location() string { return st.b.location() }

func (st *versioned) Load(ctx context.Context) (*Snapshot, error) {
	// A version may be pruned between listing and reading it; that means a
	// newer one exists, so list again.
	for try := 0; ; try++ {
		vs, err := st.b.versions(ctx)
		if err != nil {
			return nil, fmt.Errorf("state %s: list snapshots: %w", st.Location(), err)
		}
		if len(vs) == 0 {
			return NewSnapshot(), nil
		}
		v := vs[len(vs)-1]
		data, err := st.b.read(ctx, v)
		if errors.Is(err, fs.ErrNotExist) && try < 5 {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("state %s: read %s: %w", st.Location(), st.b.name(v), err)
		}
		s, err := Decode(data)
		if err != nil {
			return nil, &DamagedError{Location: st.b.name(v), Reason: err.Error(), Err: err}
		}
		if s.Version != v {
			err := fmt.Errorf("it holds version %d, not the %d its name says", s.Version, v)
			return nil, &DamagedError{Location: st.b.name(v), Reason: err.Error(), Err: err}
		}
		return s, nil
	}
}

func (st *versioned) Commit(ctx context.Context, s *Snapshot) error {
	vs, err := st.b.versions(ctx)
	if err != nil {
		return fmt.Errorf("state %s: list snapshots: %w", st.Location(), err)
	}
	// Only the newest version may be built upon. This also keeps a commit
	// from landing beside a damaged newest snapshot: the caller cannot have
	// loaded it, so its version is older.
	if len(vs) > 0 && vs[len(vs)-1] != s.Version || len(vs) == 0 && s.Version != 0 {
		return fmt.Errorf("state %s: snapshot version %d is not the newest: %w", st.Location(), s.Version, ErrConflict)
	}
	next := *s
	next.Version = s.Version + 1
	next.Schema = CurrentSchema
	next.Updated = time.Now().UTC()
	next.parent, next.id = s.id, newCommitID()
	data, err := Encode(&next)
	if err != nil {
		return fmt.Errorf("state %s: %w", st.Location(), err)
	}
	if err := st.b.create(ctx, next.Version, data); err != nil {
		if errors.Is(err, ErrConflict) {
			return fmt.Errorf("state %s: version %d: %w", st.Location(), next.Version, err)
		}
		return fmt.Errorf("state %s: write %s: %w", st.Location(), st.b.name(next.Version), err)
	}
	// The name was free, but that alone does not prove the commit built on
	// the newest version: between our listing and our write, other commits
	// may have gone on and pruned the very version we wrote, leaving its
	// name free for a stale write. Pruning always keeps the newest
	// versions, so the write was good if it is still the newest, or if the
	// version after it was built on it (its parent is our commit).
	after, err := st.b.versions(ctx)
	if err != nil {
		return fmt.Errorf("state %s: could not confirm the commit of %s: %w", st.Location(), st.b.name(next.Version), err)
	}
	if len(after) == 0 {
		return fmt.Errorf("state %s: %s vanished right after it was written: %w", st.Location(), st.b.name(next.Version), ErrConflict)
	}
	if newest := after[len(after)-1]; newest != next.Version && !st.builtUpon(ctx, &next) {
		// A stale write into a pruned slot: it is not the newest, so no
		// Load returns it, and a later commit prunes it.
		return fmt.Errorf("state %s: version %d was committed and pruned meanwhile (newest is %d): %w", st.Location(), next.Version, newest, ErrConflict)
	}
	s.Version, s.Schema, s.Updated, s.id, s.parent = next.Version, next.Schema, next.Updated, next.id, next.parent
	// Pruning is best effort: what is left now is deleted after a later
	// commit, and readers of a deleted version list again.
	for _, v := range after {
		if v <= next.Version-int64(st.keep) {
			_ = st.b.remove(ctx, v)
		}
	}
	if c, ok := st.b.(interface{ cleanup(context.Context) }); ok {
		c.cleanup(ctx)
	}
	return nil
}

// builtUpon reports whether the version after c was committed on top of c.
func (st *versioned) builtUpon(ctx context.Context, c *Snapshot) bool {
	data, err := st.b.read(ctx, c.Version+1)
	if err != nil {
		return false
	}
	child, err := Decode(data)
	return err == nil && child.parent == c.id
}

// newCommitID names one commit, so that the next can name its parent.
func newCommitID() string {
	var b [8]byte
	_, _ = cryptorand.Read(b[:])
	return hex.EncodeToString(b[:])
}
