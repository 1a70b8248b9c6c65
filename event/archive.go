package event

import (
	"net/url"
	"strconv"
	"time"
)

// Archive is where a completed export's file was copied (ARCHIVE_URL), or
// why it could not be.
type Archive struct {
	// URL is where the copy is kept: oss://bucket/key or file:///path.
	URL    string `json:"url,omitempty"`
	Bucket string `json:"bucket,omitempty"`
	Key    string `json:"key,omitempty"`
	Size   int64  `json:"size,omitempty"`
	// CRC64 is the copy's CRC-64 (ECMA) in decimal, as OSS reports it.
	CRC64 string `json:"crc64,omitempty"`
	// LinkExpires is when the link to the copy (the event's Link) stops
	// working; zero when it does not expire.
	LinkExpires time.Time `json:"linkExpires,omitzero"`
	// LinkTemporary: the link was signed with temporary credentials (the
	// function's role on FC) and stops working when they expire, which
	// may be before LinkExpires.
	LinkTemporary bool `json:"linkTemporary,omitempty"`
	// Error says why the file could not be archived; the event's Link is
	// then Security Center's own.
	Error string `json:"error,omitempty"`
}

// LinkExpires reads until when a presigned OSS link works: its Expires
// (V1 signatures, as Security Center's links carry, Unix seconds), or
// x-oss-date plus x-oss-expires (V4). ok is false when the link says
// nothing.
func LinkExpires(link string) (t time.Time, ok bool) {
	u, err := url.Parse(link)
	if err != nil {
		return time.Time{}, false
	}
	q := u.Query()
	if s := q.Get("Expires"); s != "" {
		if sec, err := strconv.ParseInt(s, 10, 64); err == nil && sec > 0 && sec < 1<<40 {
			return time.Unix(sec, 0).UTC(), true
		}
	}
	if d, e := q.Get("x-oss-date"), q.Get("x-oss-expires"); d != "" && e != "" {
		start, err1 := time.Parse("20060102T150405Z", d)
		sec, err2 := strconv.ParseInt(e, 10, 64)
		if err1 == nil && err2 == nil && sec > 0 && sec < 1<<32 {
			return start.Add(time.Duration(sec) * time.Second), true
		}
	}
	return time.Time{}, false
}
