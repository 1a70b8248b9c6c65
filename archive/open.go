package archive

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/aliyun/alibabacloud-oss-go-sdk-v2/oss"
)

// Options configure Open.
type Options struct {
	// OSSConfig builds the SDK configuration for an oss:// archive (the
	// state store's: endpoint and region from OSS_ENDPOINT and
	// OSS_REGION, the cycle's credentials, netguard's transport).
	OSSConfig func() (*oss.Config, error)
	// HTTP fetches download links; it must not follow redirects.
	HTTP *http.Client
	// MaxBytes and LinkTTL: see Archiver.
	Settings Settings
	// Threshold and PartSize override MultipartThreshold and PartSize
	// (tests, benchmarks).
	Threshold, PartSize int64
}

// Open returns the archiver for rawURL: oss://bucket/prefix or
// file:///dir. An oss:// bucket with versioning is refused.
func Open(ctx context.Context, rawURL string, opts Options) (*Archiver, error) {
	scheme, rest, ok := strings.Cut(rawURL, "://")
	if !ok || strings.ContainsAny(rest, "?#@") {
		return nil, fmt.Errorf("%w: ARCHIVE_URL %q: want oss://bucket/prefix or file:///dir", ErrConfig, rawURL)
	}
	a := &Archiver{HTTP: opts.HTTP, MaxBytes: opts.Settings.MaxBytes, LinkTTL: opts.Settings.LinkTTL}
	switch scheme {
	case "file":
		u, err := url.Parse(rawURL)
		if err != nil || (u.Host != "" && u.Host != "." && u.Host != "localhost") || u.Path == "" {
			return nil, fmt.Errorf("%w: ARCHIVE_URL %q: want file:///dir or file://./dir", ErrConfig, rawURL)
		}
		path := u.Path
		if u.Host == "." {
			path = "." + path
		}
		fs, err := newFileStore(path)
		if err != nil {
			return nil, err
		}
		a.store = fs
	case "oss":
		st, err := openOSS(ctx, rest, opts)
		if err != nil {
			return nil, err
		}
		a.store = st
	default:
		return nil, fmt.Errorf("%w: ARCHIVE_URL %q: want oss://bucket/prefix or file:///dir", ErrConfig, rawURL)
	}
	return a, nil
}

func openOSS(ctx context.Context, rest string, opts Options) (*ossStore, error) {
	bucket, prefix, _ := strings.Cut(rest, "/")
	if !validBucket(bucket) {
		return nil, fmt.Errorf("%w: ARCHIVE_URL oss://%s: the bucket name must be 3 to 63 lowercase letters, digits and hyphens", ErrConfig, bucket)
	}
	if opts.OSSConfig == nil {
		return nil, fmt.Errorf("%w: ARCHIVE_URL oss://%s: no OSS configuration", ErrConfig, bucket)
	}
	cfg, err := opts.OSSConfig()
	if err != nil {
		return nil, fmt.Errorf("ARCHIVE_URL: %w", err)
	}
	// The archive checks CRCs itself, with its own errors and clean-up.
	cfg = cfg.WithDisableUploadCRC64Check(true)
	prefix = strings.Trim(prefix, "/")
	if prefix != "" {
		prefix += "/"
	}
	s := &ossStore{calls: newOSSCalls(oss.NewClient(cfg), bucket), bucket: bucket, prefix: prefix, threshold: MultipartThreshold, partSize: PartSize}
	if opts.Threshold > 0 {
		s.threshold = opts.Threshold
	}
	if opts.PartSize > 0 {
		s.partSize = opts.PartSize
	}
	if err := s.refuseVersioning(ctx); err != nil {
		return nil, err
	}
	return s, nil
}

func validBucket(b string) bool {
	if len(b) < 3 || len(b) > 63 || b[0] == '-' || b[len(b)-1] == '-' {
		return false
	}
	return strings.Trim(b, "abcdefghijklmnopqrstuvwxyz0123456789-") == ""
}
