// Package archive copies a completed export's file from Security Center's
// download link into the team's own store, an OSS bucket (oss://) or a
// directory (file://), and hands out a link to the copy.
//
// A copy is one stream from the link to the store (a multipart upload
// above a threshold), so memory does not grow with the file. It is
// verified: the stored size equals the link's Content-Length and the
// CRC-64 (ECMA) the store reports equals the one computed while
// streaming; otherwise nothing is left stored. It is done once: the key is
// deterministic and written only if absent, and a key that already holds
// the same size and CRC counts as done, so overlapping cycles and retries
// store one object.
package archive
