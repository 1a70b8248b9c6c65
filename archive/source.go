package archive

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
)

// open starts downloading link. It returns the body, its length (the
// answer must carry Content-Length) and the CRC-64 OSS sent with it, if
// any. Only the link's host is named in errors: its query is a
// credential.
func (a *Archiver) open(ctx context.Context, link string) (io.ReadCloser, int64, *uint64, error) {
	u, err := url.Parse(link)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, 0, nil, fmt.Errorf("the download link is not an http(s) URL")
	}
	where := u.Scheme + "://" + u.Host + "/..."
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, link, nil)
	if err != nil {
		return nil, 0, nil, fmt.Errorf("download %s: %w", where, err)
	}
	res, err := a.httpClient().Do(req)
	if err != nil {
		return nil, 0, nil, fmt.Errorf("download %s: %w", where, stripURL(err))
	}
	fail := func(err error) (io.ReadCloser, int64, *uint64, error) {
		_ = res.Body.Close()
		return nil, 0, nil, err
	}
	switch {
	case res.StatusCode == http.StatusForbidden:
		return fail(fmt.Errorf("%w: download %s: 403 Forbidden", ErrLinkExpired, where))
	case res.StatusCode != http.StatusOK:
		return fail(fmt.Errorf("download %s: %s", where, res.Status))
	case res.ContentLength < 0:
		return fail(fmt.Errorf("download %s: the answer has no Content-Length, so the copy could not be verified", where))
	case res.ContentLength > a.maxBytes():
		return fail(fmt.Errorf("%w: the file has %d bytes, the limit is %d", ErrTooLarge, res.ContentLength, a.maxBytes()))
	}
	var crc *uint64
	if s := res.Header.Get("x-oss-hash-crc64ecma"); s != "" {
		if v, err := strconv.ParseUint(s, 10, 64); err == nil {
			crc = &v
		}
	}
	return res.Body, res.ContentLength, crc, nil
}

// DefaultMaxBytes is the largest file archived unless ARCHIVE_MAX_BYTES
// says otherwise: 5 GiB.
const DefaultMaxBytes int64 = 5 << 30

func (a *Archiver) maxBytes() int64 {
	if a.MaxBytes > 0 {
		return a.MaxBytes
	}
	return DefaultMaxBytes
}

func (a *Archiver) httpClient() *http.Client {
	if a.HTTP != nil {
		return a.HTTP
	}
	return http.DefaultClient
}

// stripURL drops the URL from a client error: it holds the link's
// signature.
func stripURL(err error) error {
	if ue, ok := err.(*url.Error); ok {
		return fmt.Errorf("%s: %w", ue.Op, ue.Err)
	}
	return err
}
