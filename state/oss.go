package state

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/aliyun/alibabacloud-oss-go-sdk-v2/oss"
	osscreds "github.com/aliyun/alibabacloud-oss-go-sdk-v2/oss/credentials"
	osstransport "github.com/aliyun/alibabacloud-oss-go-sdk-v2/oss/transport"

	"github.com/export-notifier/export-notifier/credential"
	"github.com/export-notifier/export-notifier/event"
	"github.com/export-notifier/export-notifier/internal/netguard"
)

// ossBackend keeps each record and checkpoint in its own object under a
// prefix of a bucket. An object is created with a PutObject carrying
// x-oss-forbid-overwrite: true, which OSS refuses with 409
// FileAlreadyExists when the object exists: the create-if-absent step. OSS
// reads and lists are strongly consistent after a put, so the newest
// version is found by listing, after a known name when the store is warm.
//
// Forbid-overwrite does not hold on a bucket with versioning enabled or
// suspended (the put silently makes a new object version), so Open refuses
// such a bucket.
//
// The SDK client is held only inside the closures of ossCalls, never as a
// *oss.Client field: a *oss.Client reachable from the type of a value
// stored in an interface (the Store holds *ossBackend as a backend) makes
// the linker keep all of its methods, because the SDK's JSON library
// calls reflect's Method; that was about 1 MB of the binary.
type ossBackend struct {
	calls  ossCalls
	bucket string
	prefix string // "" or ending in "/"
}

// ossCalls are the OSS operations the store makes, each a closure over one
// shared SDK client and the bucket. Their signatures use only plain types,
// so that no SDK type with many methods is reachable from ossBackend.
type ossCalls struct {
	// versioningStatus is the bucket's versioning status, "" if never
	// enabled.
	versioningStatus func(ctx context.Context) (string, error)
	// listKeys lists every key under prefix after startAfter, following
	// pages.
	listKeys func(ctx context.Context, prefix, startAfter string) ([]string, error)
	// get returns an object's bytes.
	get func(ctx context.Context, key string) ([]byte, error)
	// putNew stores an object with x-oss-forbid-overwrite: true.
	putNew func(ctx context.Context, key string, data []byte) error
	// remove deletes an object.
	remove func(ctx context.Context, key string) error
}

// newOSSCalls makes the calls on client, the only reference to it.
func newOSSCalls(client *oss.Client, bucket string) ossCalls {
	return ossCalls{
		versioningStatus: func(ctx context.Context) (string, error) {
			res, err := client.GetBucketVersioning(ctx, &oss.GetBucketVersioningRequest{Bucket: oss.Ptr(bucket)})
			if err != nil {
				return "", err
			}
			return oss.ToString(res.VersionStatus), nil
		},
		listKeys: func(ctx context.Context, prefix, startAfter string) ([]string, error) {
			req := &oss.ListObjectsV2Request{Bucket: oss.Ptr(bucket), Prefix: oss.Ptr(prefix)}
			if startAfter != "" {
				req.StartAfter = oss.Ptr(startAfter)
			}
			p := client.NewListObjectsV2Paginator(req)
			var keys []string
			for p.HasNext() {
				page, err := p.NextPage(ctx)
				if err != nil {
					return nil, err
				}
				for _, o := range page.Contents {
					keys = append(keys, oss.ToString(o.Key))
				}
			}
			return keys, nil
		},
		get: func(ctx context.Context, key string) ([]byte, error) {
			res, err := client.GetObject(ctx, &oss.GetObjectRequest{Bucket: oss.Ptr(bucket), Key: oss.Ptr(key)})
			if err != nil {
				return nil, err
			}
			defer res.Body.Close()
			return io.ReadAll(res.Body)
		},
		putNew: func(ctx context.Context, key string, data []byte) error {
			_, err := client.PutObject(ctx, &oss.PutObjectRequest{
				Bucket:          oss.Ptr(bucket),
				Key:             oss.Ptr(key),
				ForbidOverwrite: oss.Ptr("true"),
				ContentType:     oss.Ptr("application/json"),
				Body:            bytes.NewReader(data),
			})
			return err
		},
		remove: func(ctx context.Context, key string) error {
			_, err := client.DeleteObject(ctx, &oss.DeleteObjectRequest{Bucket: oss.Ptr(bucket), Key: oss.Ptr(key)})
			return err
		},
	}
}

func newOSSBackend(ctx context.Context, rawURL, rest string, opts Options) (backend, error) {
	u, err := parseOSSURL(rawURL, rest)
	if err != nil {
		return nil, err
	}
	cfg, err := ossConfig(opts)
	if err != nil {
		return nil, err
	}
	b := &ossBackend{calls: newOSSCalls(oss.NewClient(cfg), u.bucket), bucket: u.bucket, prefix: u.prefix}
	if err := b.refuseVersioning(ctx); err != nil {
		return nil, err
	}
	return b, nil
}

// ossConfig builds the SDK's configuration: the endpoint from OSS_ENDPOINT,
// else from the region (OSS_REGION, else FC's), internal on FC; requests
// signed with opts.Credentials, STS token included.
func ossConfig(opts Options) (*oss.Config, error) {
	provider := opts.Credentials
	if provider == nil {
		provider = credential.Default()
	}
	endpoint := strings.TrimSpace(opts.Getenv("OSS_ENDPOINT"))
	region, regionVar := strings.TrimSpace(opts.Getenv("OSS_REGION")), "OSS_REGION"
	if region == "" {
		region, regionVar = opts.Region, "FC_REGION"
	}
	if region == "" && endpoint != "" {
		region, regionVar = regionOfEndpoint(endpoint), "OSS_ENDPOINT"
	}
	if region == "" {
		return nil, fmt.Errorf("%w: the OSS state store needs a region: set OSS_REGION (e.g. cn-hangzhou), or OSS_ENDPOINT to an endpoint such as oss-cn-hangzhou.aliyuncs.com", ErrConfig)
	}
	if !ossRegionSyntax.MatchString(region) {
		return nil, fmt.Errorf("%w: %s: %s is not a region ID such as cn-hangzhou (lower-case letters, digits and hyphens)", ErrConfig, regionVar, event.Quote(region))
	}
	cfg := oss.LoadDefaultConfig().
		WithRegion(region).
		WithCredentialsProvider(osscreds.CredentialsProviderFunc(func(ctx context.Context) (osscreds.Credentials, error) {
			c, err := provider.Credentials(ctx)
			if err != nil {
				return osscreds.Credentials{}, err
			}
			return osscreds.Credentials{AccessKeyID: c.AccessKeyID, AccessKeySecret: c.AccessKeySecret, SecurityToken: c.SecurityToken}, nil
		}))
	if endpoint != "" {
		if err := checkEndpoint(endpoint); err != nil {
			return nil, err
		}
		cfg = cfg.WithEndpoint(endpoint)
	} else if opts.OnFC {
		cfg.UseInternalEndpoint = oss.Ptr(true)
	}
	return cfg.WithHttpClient(ossHTTPClient(opts.RequestTimeout, opts.resolver)), nil
}

// ossHTTPClient is the client the SDK would build for itself (its
// timeouts, redirects not followed), except that plain http reaches
// loopback addresses only, checked at dial time with names resolved by
// resolver (nil: the system's). Given a client, the SDK ignores its
// Config's timeouts, so timeout (the SDK's defaults when zero) is set here.
func ossHTTPClient(timeout time.Duration, resolver *net.Resolver) *http.Client {
	tcfg := &osstransport.Config{}
	if timeout > 0 {
		tcfg.ConnectTimeout, tcfg.ReadWriteTimeout = &timeout, &timeout
	}
	client := osstransport.NewHttpClient(tcfg)
	client.Transport = netguard.Transport(client.Transport.(*http.Transport), resolver)
	return client
}

// Region IDs, and host names with an optional port, as OSS_REGION and
// OSS_ENDPOINT may give them.
var (
	ossRegionSyntax = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)
	hostSyntax      = regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*(:[0-9]{1,5})?$`)
)

// checkEndpoint accepts https endpoints, host names (the SDK adds https),
// and plain http only to a loopback host, such as a local test server.
func checkEndpoint(endpoint string) error {
	if !strings.Contains(endpoint, "://") {
		if !hostSyntax.MatchString(endpoint) {
			return fmt.Errorf("%w: OSS_ENDPOINT %s is not an https URL or a host name such as oss-cn-hangzhou.aliyuncs.com", ErrConfig, event.Quote(endpoint))
		}
		return nil
	}
	u, err := url.Parse(endpoint)
	if err != nil || u.Host == "" || !hostSyntax.MatchString(u.Host) && net.ParseIP(u.Hostname()) == nil {
		return fmt.Errorf("%w: OSS_ENDPOINT %s is not a URL or host name", ErrConfig, event.Quote(endpoint))
	}
	if u.User != nil || (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" {
		return fmt.Errorf("%w: OSS_ENDPOINT %s: want only a scheme and a host, no user, path or query", ErrConfig, event.Quote(u.Redacted()))
	}
	switch u.Scheme {
	case "https":
		return nil
	case "http":
		host := u.Hostname()
		if netguard.IsLoopbackHost(host) {
			return nil
		}
		return fmt.Errorf("%w: OSS_ENDPOINT %q: plain http is accepted only for a loopback host; use https", ErrConfig, u.Redacted())
	}
	return fmt.Errorf("%w: OSS_ENDPOINT %q: want an https URL or a host name", ErrConfig, u.Redacted())
}

// regionOfEndpoint reads the region out of an endpoint such as
// oss-cn-hangzhou.aliyuncs.com or oss-cn-hangzhou-internal.aliyuncs.com.
func regionOfEndpoint(endpoint string) string {
	host := endpoint
	if u, err := url.Parse(endpoint); err == nil && u.Host != "" {
		host = u.Hostname()
	}
	first, _, _ := strings.Cut(host, ".")
	region, ok := strings.CutPrefix(first, "oss-")
	if !ok {
		return ""
	}
	return strings.TrimSuffix(region, "-internal")
}

func (b *ossBackend) refuseVersioning(ctx context.Context) error {
	status, err := b.calls.versioningStatus(ctx)
	if err != nil {
		err = fmt.Errorf("state oss://%s: check that versioning is off: %w", b.bucket, b.wrap("GetBucketVersioning", err))
		var se *oss.ServiceError
		if errors.As(err, &se) && se.StatusCode == 403 {
			return fmt.Errorf("%w (the state store must check that versioning is off; grant oss:GetBucketVersioning on the bucket)", err)
		}
		return err
	}
	if status != "" {
		return fmt.Errorf("%w: oss://%s has versioning %s; the state store needs a bucket without versioning, since x-oss-forbid-overwrite does not stop overwrites on a versioned bucket (use another bucket)", ErrConfig, b.bucket, strings.ToLower(status))
	}
	return nil
}

func (b *ossBackend) key(n string) string  { return b.prefix + n }
func (b *ossBackend) name(n string) string { return "oss://" + b.bucket + "/" + b.key(n) }
func (b *ossBackend) location() string {
	return "oss://" + b.bucket + "/" + strings.TrimSuffix(b.prefix, "/")
}

func (b *ossBackend) list(ctx context.Context, after string) ([]string, error) {
	startAfter := ""
	if after != "" {
		startAfter = b.key(after)
	}
	keys, err := b.calls.listKeys(ctx, b.prefix, startAfter)
	if err != nil {
		return nil, b.wrap("ListObjectsV2", err)
	}
	var names []string
	for _, key := range keys {
		name, ok := strings.CutPrefix(key, b.prefix)
		if !ok || strings.Contains(name, "/") {
			continue
		}
		if _, _, ok := parseName(name); ok && name > after {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	return names, nil
}

func (b *ossBackend) read(ctx context.Context, n string) ([]byte, error) {
	data, err := b.calls.get(ctx, b.key(n))
	if err != nil {
		return nil, b.wrap("GetObject", err)
	}
	return data, nil
}

func (b *ossBackend) create(ctx context.Context, n string, data []byte) error {
	err := b.calls.putNew(ctx, b.key(n), data)
	if err == nil {
		return nil
	}
	var se *oss.ServiceError
	if !errors.As(err, &se) || se.StatusCode != 409 || se.Code != "FileAlreadyExists" {
		return b.wrap("PutObject", err)
	}
	// The SDK retries a put whose answer was lost (a timeout, a 5xx after
	// OSS stored it); the retry then finds our own object. Its bytes are
	// ours exactly when the commit landed, since every record and
	// checkpoint carries its commit's random ID.
	if got, rerr := b.read(ctx, n); rerr == nil && bytes.Equal(got, data) {
		return nil
	}
	return ErrConflict
}

func (b *ossBackend) remove(ctx context.Context, n string) error {
	if err := b.calls.remove(ctx, b.key(n)); err != nil {
		return b.wrap("DeleteObject", err)
	}
	return nil
}

// OSSError keeps an OSS SDK error for errors.As but says it in one line,
// naming the operation: the SDK's own message spans eight. The archive's
// OSS store says its errors the same way.
type OSSError struct {
	Op  string
	Err error
}

func (e *OSSError) Error() string {
	var se *oss.ServiceError
	if errors.As(e.Err, &se) {
		msg := fmt.Sprintf("OSS %s: %d %s", e.Op, se.StatusCode, se.Code)
		if se.Message != "" {
			msg += ": " + se.Message
		}
		if se.RequestID != "" {
			msg += " (request " + se.RequestID + ")"
		}
		return msg
	}
	return fmt.Sprintf("OSS %s: %v", e.Op, e.Err)
}

func (e *OSSError) Unwrap() error { return e.Err }

func (b *ossBackend) wrap(op string, err error) error {
	var se *oss.ServiceError
	if errors.As(err, &se) && se.StatusCode == 404 && (se.Code == "NoSuchKey" || se.Code == "") {
		return fmt.Errorf("%w: %w", &OSSError{Op: op, Err: err}, fs.ErrNotExist)
	}
	return &OSSError{Op: op, Err: err}
}

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
		if (c < 'a' || c > 'z') && (c < '0' || c > '9') && c != '-' {
			return false
		}
	}
	return true
}
