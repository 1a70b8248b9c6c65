package archive

import (
	"context"
	"time"
)

// store is where copies go: a bucket or a directory.
type store interface {
	// location is the URL of key, or of the store's root for "".
	location(key string) string
	// stat returns the object under key, found false when there is none.
	stat(ctx context.Context, key string) (obj Object, found bool, err error)
	// create stores src.size bytes from src under key only if the key is
	// free (errExists otherwise). It calls src.verify before the object
	// becomes visible where it can (a file's link, a multipart
	// completion) and fails without storing when verify does. It returns
	// the object with the size and CRC-64 the store computed.
	create(ctx context.Context, key string, src *stream) (Object, error)
	// remove deletes the object under key (one that failed to verify).
	remove(ctx context.Context, key string) error
	// link is a link to an object (its Object.Key, the prefix included)
	// valid for ttl.
	link(ctx context.Context, fullKey string, ttl time.Duration) (Link, error)
}

// Link returns a link to obj valid for the archiver's LinkTTL: a presigned
// GET for OSS (V4, at most 7 days), the file's URL for a directory.
func (a *Archiver) Link(ctx context.Context, obj Object) (Link, error) {
	ttl := a.LinkTTL
	if ttl <= 0 {
		ttl = DefaultLinkTTL
	}
	return a.store.link(ctx, obj.Key, ttl)
}

// DefaultLinkTTL is the validity of links to archived files unless
// LINK_TTL says otherwise: 7 days, the most a V4 presigned URL allows.
const DefaultLinkTTL = 7 * 24 * time.Hour
