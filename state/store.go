// Package state is export-notifier's durable memory between poll cycles:
// the exports it watches, the events it decided about them, and the
// delivery of each event to each sink.
//
// The state is a series of versions. A cycle loads the newest, changes it,
// and commits it as the next version: a record of what changed, written
// under the version's name with a create-if-absent write; when two cycles
// race, one commit lands and the other gets ErrConflict, reloads and
// decides again (Update does this). Now and then a commit also writes a
// checkpoint, the whole state; the newest state is the newest checkpoint
// and the records after it. A store keeps what it last read, so the next
// Load reads only the records written since. Before sending
// an event a cycle commits a claim on it (Claim), so that an overlapping
// cycle skips it; after sending it commits the outcome (Settle). A claim
// is a lease: if its cycle dies, another takes the event over when the
// lease expires and sends it with the same ID.
//
// Backends are chosen by URL (Open): file:///dir, oss://bucket/prefix and
// memory://. A record or checkpoint that cannot be read is a
// *DamagedError, never a silent reset, and nothing is committed over it.
package state

import (
	"context"
	cryptorand "crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"path"
	"strings"
	"time"

	"github.com/export-notifier/export-notifier/credential"
	"github.com/export-notifier/export-notifier/internal/backoff"
)

// DefaultKeep is how many checkpoints a store keeps when Options.Keep is
// not set; older ones, and the records up to the oldest kept, are deleted
// after each checkpoint.
const DefaultKeep = 5

// Store holds the versions of the state.
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

// IsWarm reports whether st holds a state it read or wrote before, so that
// its next Load reads only what was written since: a cold store's first
// Load reads the whole state, which takes long when it is large.
func IsWarm(st Store) bool {
	w, ok := st.(interface{ warmed() bool })
	return ok && w.warmed()
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

// DamagedError reports a checkpoint (a snapshot file) or a record that
// cannot be read. The store refuses to commit until a person moves it
// aside.
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
	what, resume := "snapshot", "to resume from the previous version"
	if strings.HasPrefix(path.Base(e.Location), recordPrefix) {
		what, resume = "record", "with every later record, to resume from the version before it"
	}
	return fmt.Sprintf("state %s %s is damaged: %s; nothing was changed. Inspect it, then move it aside (%s) %s, or restore it from a backup", what, e.Location, e.Reason, aside, resume)
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
	// Keep is how many checkpoints to keep (DefaultKeep when not
	// positive).
	Keep int
	// CheckpointEvery is how many records a store writes at most between
	// two checkpoints (DefaultCheckpointEvery when not positive); a
	// checkpoint is also written when the records since the last one
	// weigh more than half of it.
	CheckpointEvery int
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
		return newLogStore(b, opts), nil
	case "oss":
		b, err := newOSSBackend(ctx, rawURL, rest, opts)
		if err != nil {
			return nil, err
		}
		return newLogStore(b, opts), nil
	case "memory":
		if rest != "" {
			return nil, badURL(rawURL, "memory:// takes nothing after the scheme")
		}
		return newLogStore(newMemoryBackend(), opts), nil
	}
	return nil, badURL(rawURL, "unknown scheme "+fmt.Sprintf("%q", scheme)+" (want file, oss or memory)")
}

// NewMemory returns an empty store that lives in this process, for tests.
func NewMemory() Store { return newLogStore(newMemoryBackend(), Options{Keep: DefaultKeep}) }

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

// newCommitID names one commit, so that the next can name its parent.
func newCommitID() string {
	var b [8]byte
	_, _ = cryptorand.Read(b[:])
	return hex.EncodeToString(b[:])
}
