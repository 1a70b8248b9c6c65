package event

// Digest is the one message about a batch: the exports one start item
// started, one per member account, once they have all settled, or once
// the batch's deadline passed with some still running (Partial). It is
// not a NOTIFY_ON type: DIGEST=batch turns it on.
const Digest Type = "digest"

// BatchDigest is what a digest tells: the batch, how many of its member
// accounts' exports are ready, failed or still running, a row per ready
// export, and the failures grouped by error code.
type BatchDigest struct {
	// Title is the start item, such as "asset/assetInstance (en)".
	Title    string `json:"title"`
	Batch    string `json:"batch"`
	Accounts int    `json:"accounts"`
	Ready    int    `json:"ready"`
	Failed   int    `json:"failed"`
	Pending  int    `json:"pending"`
	// Partial: the deadline passed with Pending exports; each is announced
	// on its own as it finishes.
	Partial  bool            `json:"partial,omitempty"`
	Rows     []DigestRow     `json:"rows"`
	Failures []DigestFailure `json:"failures,omitempty"`
}

// DigestRow is one member account's ready export.
type DigestRow struct {
	Account    int64  `json:"account"`
	Export     string `json:"export"`
	FileName   string `json:"fileName,omitempty"`
	TotalCount int64  `json:"totalCount"`
	// Link is the archived copy's link when the file was archived
	// (ARCHIVE_URL), else Security Center's own.
	Link string `json:"link,omitempty"`
	// Archive is where the file was copied, or why it could not be, as
	// the member's completion told it; nil without ARCHIVE_URL.
	Archive *Archive `json:"archive,omitempty"`
}

// DigestFailure is the member accounts whose export failed with one
// error code, and the message of the first of them.
type DigestFailure struct {
	Code     string  `json:"code"`
	Message  string  `json:"message,omitempty"`
	Accounts []int64 `json:"accounts"`
}

// digestKey names a digest among its anchor export's events: a batch has
// one digest, or one partial digest.
func digestKey(d *BatchDigest) string {
	if d != nil && d.Partial {
		return string(Digest) + ":partial"
	}
	return string(Digest)
}
