package archive

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/aliyun/alibabacloud-oss-go-sdk-v2/oss"

	"github.com/export-notifier/export-notifier/internal/crc64ecma"
	"github.com/export-notifier/export-notifier/state"
)

// Multipart sizes: a file above MultipartThreshold goes up in parts of
// PartSize. Each part streams from the download as the file does (nothing
// is buffered, so download and upload overlap); the SDK cannot retry a
// part it cannot rewind, so a part that fails fails the copy, and the next
// cycle copies again.
const (
	MultipartThreshold int64 = 64 << 20
	PartSize           int64 = 8 << 20
)

// ossStore keeps copies in a bucket. Puts carry x-oss-forbid-overwrite:
// true (the multipart initiation and completion too), which OSS answers
// with 409 FileAlreadyExists when the key is taken. The SDK client lives
// only in the closures of ossCalls, as in the state store, so that its
// many methods are not all linked in.
type ossStore struct {
	calls     ossCalls
	bucket    string
	prefix    string // "" or ending in "/"
	threshold int64
	partSize  int64
}

// ossCalls are the OSS operations the archive makes.
type ossCalls struct {
	versioning func(ctx context.Context) (string, error)
	head       func(ctx context.Context, key string) (size int64, crc string, err error)
	put        func(ctx context.Context, key string, body io.Reader, size int64) (crc string, err error)
	initiate   func(ctx context.Context, key string) (uploadID string, err error)
	part       func(ctx context.Context, key, uploadID string, n int32, body io.Reader, size int64) (etag, crc string, err error)
	complete   func(ctx context.Context, key, uploadID string, parts []oss.UploadPart) (crc string, err error)
	abort      func(ctx context.Context, key, uploadID string) error
	remove     func(ctx context.Context, key string) error
	presign    func(ctx context.Context, key string, ttl time.Duration) (string, time.Time, error)
}

func newOSSCalls(c *oss.Client, bucket string) ossCalls {
	b := oss.Ptr(bucket)
	yes := oss.Ptr("true")
	return ossCalls{
		versioning: func(ctx context.Context) (string, error) {
			res, err := c.GetBucketVersioning(ctx, &oss.GetBucketVersioningRequest{Bucket: b})
			if err != nil {
				return "", err
			}
			return oss.ToString(res.VersionStatus), nil
		},
		head: func(ctx context.Context, key string) (int64, string, error) {
			res, err := c.HeadObject(ctx, &oss.HeadObjectRequest{Bucket: b, Key: oss.Ptr(key)})
			if err != nil {
				return 0, "", err
			}
			return res.ContentLength, oss.ToString(res.HashCRC64), nil
		},
		put: func(ctx context.Context, key string, body io.Reader, size int64) (string, error) {
			res, err := c.PutObject(ctx, &oss.PutObjectRequest{Bucket: b, Key: oss.Ptr(key), ForbidOverwrite: yes, ContentLength: oss.Ptr(size), Body: body})
			if err != nil {
				return "", err
			}
			return oss.ToString(res.HashCRC64), nil
		},
		initiate: func(ctx context.Context, key string) (string, error) {
			res, err := c.InitiateMultipartUpload(ctx, &oss.InitiateMultipartUploadRequest{Bucket: b, Key: oss.Ptr(key), ForbidOverwrite: yes})
			if err != nil {
				return "", err
			}
			return oss.ToString(res.UploadId), nil
		},
		part: func(ctx context.Context, key, id string, n int32, body io.Reader, size int64) (string, string, error) {
			res, err := c.UploadPart(ctx, &oss.UploadPartRequest{Bucket: b, Key: oss.Ptr(key), UploadId: oss.Ptr(id), PartNumber: n, Body: body, ContentLength: oss.Ptr(size)})
			if err != nil {
				return "", "", err
			}
			return oss.ToString(res.ETag), oss.ToString(res.HashCRC64), nil
		},
		complete: func(ctx context.Context, key, id string, parts []oss.UploadPart) (string, error) {
			res, err := c.CompleteMultipartUpload(ctx, &oss.CompleteMultipartUploadRequest{Bucket: b, Key: oss.Ptr(key), UploadId: oss.Ptr(id), ForbidOverwrite: yes, CompleteMultipartUpload: &oss.CompleteMultipartUpload{Parts: parts}})
			if err != nil {
				return "", err
			}
			return oss.ToString(res.HashCRC64), nil
		},
		abort: func(ctx context.Context, key, id string) error {
			_, err := c.AbortMultipartUpload(ctx, &oss.AbortMultipartUploadRequest{Bucket: b, Key: oss.Ptr(key), UploadId: oss.Ptr(id)})
			return err
		},
		remove: func(ctx context.Context, key string) error {
			_, err := c.DeleteObject(ctx, &oss.DeleteObjectRequest{Bucket: b, Key: oss.Ptr(key)})
			return err
		},
		presign: func(ctx context.Context, key string, ttl time.Duration) (string, time.Time, error) {
			res, err := c.Presign(ctx, &oss.GetObjectRequest{Bucket: b, Key: oss.Ptr(key)}, oss.PresignExpires(ttl))
			if err != nil {
				return "", time.Time{}, err
			}
			return res.URL, res.Expiration, nil
		},
	}
}

// refuseVersioning refuses a bucket with versioning enabled or suspended
// unless create-if-absent still holds there: OSS documents that
// x-oss-forbid-overwrite does not take effect on such a bucket (a put
// silently adds a version), and then two cycles could each store a copy.
// It is tried with a probe object under the prefix, put twice: the
// second put must be refused.
func (s *ossStore) refuseVersioning(ctx context.Context) error {
	status, err := s.calls.versioning(ctx)
	if err != nil {
		return fmt.Errorf("ARCHIVE_URL oss://%s: check versioning (grant oss:GetBucketVersioning): %w", s.bucket, ossErr("GetBucketVersioning", err))
	}
	if status == "" {
		return nil
	}
	probe := s.prefix + probeName
	for range 2 {
		_, err := s.calls.put(ctx, probe, strings.NewReader("create-if-absent probe"), int64(len("create-if-absent probe")))
		if errors.Is(conflictOr("PutObject", err), errExists) {
			return nil // refused: create-if-absent holds
		}
		if err != nil {
			return fmt.Errorf("ARCHIVE_URL oss://%s has versioning %s; trying whether x-oss-forbid-overwrite still holds: %w", s.bucket, strings.ToLower(status), ossErr("PutObject", err))
		}
	}
	return fmt.Errorf("%w: ARCHIVE_URL oss://%s has versioning %s, and x-oss-forbid-overwrite does not stop a second copy there (oss://%s/%s was written twice); use a bucket without versioning", ErrConfig, s.bucket, strings.ToLower(status), s.bucket, probe)
}

// probeName is the object, under the prefix, that tries create-if-absent
// on a bucket with versioning.
const probeName = ".export-notifier-create-if-absent"

func (s *ossStore) location(key string) string {
	if key == "" {
		return "oss://" + s.bucket + "/" + strings.TrimSuffix(s.prefix, "/")
	}
	return "oss://" + s.bucket + "/" + s.prefix + key
}

func (s *ossStore) object(key string, size int64, crc string) (Object, error) {
	v, err := strconv.ParseUint(crc, 10, 64)
	if err != nil {
		return Object{}, fmt.Errorf("%w: OSS gave %s no CRC-64 (%q)", ErrVerify, s.location(key), crc)
	}
	return Object{URL: s.location(key), Bucket: s.bucket, Key: s.prefix + key, Size: size, CRC64: v}, nil
}

func (s *ossStore) stat(ctx context.Context, key string) (Object, bool, error) {
	size, crc, err := s.calls.head(ctx, s.prefix+key)
	var se *oss.ServiceError
	if errors.As(err, &se) && se.StatusCode == 404 {
		return Object{}, false, nil
	}
	if err != nil {
		return Object{}, false, ossErr("HeadObject", err)
	}
	obj, err := s.object(key, size, crc)
	return obj, err == nil, err
}

func (s *ossStore) create(ctx context.Context, key string, src *stream) (Object, error) {
	if src.size > s.threshold {
		return s.createParts(ctx, key, src)
	}
	crc, err := s.calls.put(ctx, s.prefix+key, src, src.size)
	if err != nil {
		return Object{}, conflictOr("PutObject", err)
	}
	return s.object(key, src.size, crc)
}

// createParts uploads body in parts, checking each part's CRC, and
// completes the upload only when the whole body verified; on any failure
// it aborts, so OSS keeps no parts.
func (s *ossStore) createParts(ctx context.Context, key string, src *stream) (Object, error) {
	full := s.prefix + key
	id, err := s.calls.initiate(ctx, full)
	if err != nil {
		return Object{}, conflictOr("InitiateMultipartUpload", err)
	}
	parts, err := s.uploadParts(ctx, full, id, src)
	if err == nil {
		err = src.verify()
	}
	var crc string
	if err == nil {
		crc, err = s.calls.complete(ctx, full, id, parts)
		err = conflictOr("CompleteMultipartUpload", err)
	}
	if err != nil {
		// A detached context: the cycle's may be what ended.
		actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		if aerr := s.calls.abort(actx, full, id); aerr != nil && !errors.Is(err, errExists) {
			err = errors.Join(err, ossErr("AbortMultipartUpload", aerr))
		}
		return Object{}, err
	}
	return s.object(key, src.size, crc)
}

// uploadParts streams src into the upload's parts, checking each part's
// CRC against the one OSS reports; the part's own CRC follows from the
// stream's before and after it, so no byte is hashed twice.
func (s *ossStore) uploadParts(ctx context.Context, key, id string, src *stream) ([]oss.UploadPart, error) {
	var parts []oss.UploadPart
	for n, left := int32(1), src.size; left > 0; n++ {
		size := min(left, s.partSize)
		before, at := src.sum(), src.n
		etag, crc, err := s.calls.part(ctx, key, id, n, io.LimitReader(src, size), size)
		if src.err != nil || err == nil && src.n-at != size {
			return nil, fmt.Errorf("%w: the download broke off after %d of %d bytes", ErrVerify, src.n, src.size)
		}
		if err != nil {
			return nil, ossErr("UploadPart", err)
		}
		if want := strconv.FormatUint(crc64ecma.Part(before, src.sum(), size), 10); crc != want {
			return nil, fmt.Errorf("%w: OSS stored part %d of %s with CRC-64 %s, sent %s", ErrVerify, n, s.location(key), crc, want)
		}
		left -= size
		parts = append(parts, oss.UploadPart{PartNumber: n, ETag: oss.Ptr(etag)})
	}
	return parts, nil
}

func (s *ossStore) remove(ctx context.Context, key string) error {
	if err := s.calls.remove(ctx, s.prefix+key); err != nil {
		return fmt.Errorf("remove %s: %w", s.location(key), ossErr("DeleteObject", err))
	}
	return nil
}

func (s *ossStore) link(ctx context.Context, fullKey string, ttl time.Duration) (Link, error) {
	u, exp, err := s.calls.presign(ctx, fullKey, ttl)
	if err != nil {
		return Link{}, fmt.Errorf("presign oss://%s/%s: %w", s.bucket, fullKey, err)
	}
	return Link{URL: u, Expires: exp, Temporary: signedWithToken(u)}, nil
}

// signedWithToken reports whether presigned URL u carries an STS token.
func signedWithToken(u string) bool {
	parsed, err := url.Parse(u)
	return err == nil && parsed.Query().Get("x-oss-security-token") != ""
}

// conflictOr is errExists for OSS's 409 FileAlreadyExists, else err as
// a state.OSSError.
func conflictOr(op string, err error) error {
	var se *oss.ServiceError
	if errors.As(err, &se) && se.StatusCode == 409 && se.Code == "FileAlreadyExists" {
		return errExists
	}
	if err == nil {
		return nil
	}
	return ossErr(op, err)
}

func ossErr(op string, err error) error { return &state.OSSError{Op: op, Err: err} }
