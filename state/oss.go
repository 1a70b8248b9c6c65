package state

import (
	"context"
	"errors"
	"strings"
)

// ossURL is what an oss:// URL names.
type ossURL struct {
	bucket string
	prefix string // "" or ending in "/"
}

func parseOSSURL(rawURL, rest string) (ossURL, error) {
	if strings.ContainsAny(rest, "?#") {
		return ossURL{}, badURL(rawURL, "an oss URL takes no query or fragment")
	}
	host, path, _ := strings.Cut(rest, "/")
	if strings.Contains(host, "@") {
		return ossURL{}, badURL(rawURL, "an oss URL takes no credentials; they come from the environment or the FC context")
	}
	if !validBucket(host) {
		return ossURL{}, badURL(rawURL, "the bucket name must be 3 to 63 lowercase letters, digits and hyphens, starting and ending with a letter or digit")
	}
	path = strings.Trim(path, "/")
	if path != "" {
		path += "/"
	}
	return ossURL{bucket: host, prefix: path}, nil
}

func validBucket(b string) bool {
	if len(b) < 3 || len(b) > 63 || b[0] == '-' || b[len(b)-1] == '-' {
		return false
	}
	for _, c := range b {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

func newOSSBackend(ctx context.Context, rawURL, rest string, opts Options) (backend, error) {
	if _, err := parseOSSURL(rawURL, rest); err != nil {
		return nil, err
	}
	return nil, errors.New("the OSS state backend is not implemented yet")
}
