package notify

import (
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/export-notifier/export-notifier/event"
)

// DigestOf is ev's batch digest as a sink shows it: the links left out
// unless includeLink. It is nil when ev is not a digest.
func DigestOf(ev event.Event, includeLink bool) *event.BatchDigest {
	if ev.Type != event.Digest || ev.Digest == nil {
		return nil
	}
	d := *ev.Digest
	d.Rows = append([]event.DigestRow(nil), d.Rows...)
	if !includeLink {
		for i := range d.Rows {
			d.Rows[i].Link = ""
		}
	}
	return &d
}

// DigestHeadline is "Export batch asset/assetInstance (en): 11 of 12
// accounts ready, 1 failed", and for a partial digest how many are still
// running.
func DigestHeadline(d *event.BatchDigest) string {
	s := "Export batch " + OneLine(d.Title) + ": " + strconv.Itoa(d.Ready) + " of " + strconv.Itoa(d.Accounts) + " accounts ready"
	if d.Failed > 0 {
		s += ", " + strconv.Itoa(d.Failed) + " failed"
	}
	if d.Partial {
		s += ", " + strconv.Itoa(d.Pending) + " still running"
	}
	return s
}

// DigestNote is what a partial digest adds: the rest follow on their own.
func DigestNote(d *event.BatchDigest) string {
	if !d.Partial {
		return ""
	}
	return "The batch's deadline (STALL_AFTER) passed: the exports still running are announced on their own as they finish."
}

// DigestRowText is "16670360956: assetInstance_20261130.xlsx, 1,234 rows",
// and the link when the row has one.
func DigestRowText(r event.DigestRow) string {
	s := strconv.FormatInt(r.Account, 10) + ": "
	if r.FileName != "" {
		s += OneLine(r.FileName)
	} else {
		s += r.Export
	}
	s += ", " + Thousands(r.TotalCount) + " rows"
	if r.Link != "" {
		s += ", " + OneLine(r.Link)
	}
	return s
}

// DigestMaxAccounts is how many accounts a chat message's failure line
// names; the rest are counted.
const DigestMaxAccounts = 20

// DigestFailureText is "RdCheckNoPermission, 2 accounts (1002, 1003):
// message", the accounts listed up to maxAccounts and then counted.
func DigestFailureText(f event.DigestFailure, maxAccounts int) string {
	s := OneLine(f.Code) + ", " + Plural(len(f.Accounts), "account") + " (" + AccountList(f.Accounts, maxAccounts) + ")"
	if m := OneLine(f.Message); m != "" {
		s += ": " + m
	}
	return s
}

// DigestFailureAccounts is what a chat message shows beside a failure's
// code: "2 accounts (1002, 1003): message", at most DigestMaxAccounts
// accounts named.
func DigestFailureAccounts(f event.DigestFailure) string {
	return Plural(len(f.Accounts), "account") + " (" + AccountList(f.Accounts, DigestMaxAccounts) + "): " + OneLine(f.Message)
}

// AccountList is "1001, 1002 and 3 more" with at most max accounts named.
func AccountList(accounts []int64, max int) string {
	names := make([]string, 0, min(len(accounts), max))
	for _, a := range accounts[:min(len(accounts), max)] {
		names = append(names, strconv.FormatInt(a, 10))
	}
	s := strings.Join(names, ", ")
	if n := len(accounts) - len(names); n > 0 {
		s += " " + AndMore(n)
	}
	return s
}

// AndMore is "and 3 more": what a message says of what it had no room for.
func AndMore(n int) string { return fmt.Sprintf("and %d more", n) }

// Plural is "1 account", "2 accounts".
func Plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return strconv.Itoa(n) + " " + noun + "s"
}

// SampleDigest is a made-up batch digest of accounts member accounts, the
// last refused, for previews and for testing size limits.
func SampleDigest(accounts int, partial bool) event.Event {
	d := &event.BatchDigest{Title: "asset/assetInstance (en)", Batch: "weekly@2026-11-30T00:00:00Z|0|accounts=all&exportType=assetInstance&kind=asset&lang=en",
		Accounts: accounts, Partial: partial, Rows: []event.DigestRow{}}
	for i := range accounts - 1 {
		account, id := int64(16670360956+i), int64(500001+i)
		if partial && i == accounts-2 {
			d.Pending++
			continue
		}
		d.Ready++
		d.Rows = append(d.Rows, event.DigestRow{Account: account, Export: fmt.Sprintf("asset:%d@%d", id, account),
			FileName: fmt.Sprintf("assetInstance_20261130_%d.xlsx", id), TotalCount: int64(1000 + 37*i),
			Link: fmt.Sprintf("https://sas-export-cn-shanghai.oss-cn-shanghai.aliyuncs.com/assetInstance_20261130_%d.xlsx?Expires=1700000000&OSSAccessKeyId=LTAI-sample&Signature=sample%%3D", id)})
	}
	refused := int64(16670360956 + accounts - 1)
	d.Failed = 1
	d.Failures = []event.DigestFailure{{Code: "RdCheckNoPermission", Accounts: []int64{refused},
		Message: "Resource directory account verification has no permission."}}
	st := event.Status{Ref: event.Ref{Kind: event.Asset, ID: 500001, Account: 16670360956}, State: event.Success, Progress: 100,
		FileName: "assetInstance_20261130_500001.xlsx", TotalCount: 1000}
	ev := event.Event{Type: event.Digest, Time: time.Date(2026, 11, 30, 0, 42, 0, 0, time.UTC), Region: "cn-shanghai", Status: st, Digest: d}
	ev.ID = event.NewID(st.Ref, ev.Key())
	return ev
}

// PackLines packs lines, in order, into at most maxChunks texts of at
// most limit units each, a line per line. When they do not all fit, as
// many as fit come first and the last text ends with "…and N more"; a
// line longer than limit is cut.
func PackLines(lines []string, limit, maxChunks int, unit Unit) []string {
	if len(lines) == 0 || maxChunks <= 0 {
		return nil
	}
	if chunks, ok := pack(lines, limit, maxChunks, unit); ok {
		return chunks
	}
	// The most lines that fit beside the note, by bisection: fitting is
	// monotonic in how many lines are kept.
	lo, hi := 0, len(lines)-1
	for lo < hi {
		mid := (lo + hi + 1) / 2
		if _, ok := pack(withMore(lines, mid), limit, maxChunks, unit); ok {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	chunks, _ := pack(withMore(lines, lo), limit, maxChunks, unit)
	return chunks
}

func withMore(lines []string, keep int) []string {
	return append(lines[:keep:keep], "…"+AndMore(len(lines)-keep))
}

// pack is lines packed greedily into texts of at most limit; ok is false
// when that takes more than maxChunks.
func pack(lines []string, limit, maxChunks int, unit Unit) ([]string, bool) {
	size := func(s string) int {
		if unit == Bytes {
			return len(s)
		}
		return utf8.RuneCountInString(s)
	}
	var chunks []string
	var cur strings.Builder
	used := 0
	for _, line := range lines {
		line = Cut(line, limit, unit)
		n := size(line)
		if used > 0 && used+1+n > limit {
			chunks = append(chunks, cur.String())
			cur.Reset()
			used = 0
		}
		if used > 0 {
			cur.WriteByte('\n')
			used++
		}
		cur.WriteString(line)
		used += n
	}
	if used > 0 {
		chunks = append(chunks, cur.String())
	}
	return chunks, len(chunks) <= maxChunks
}

// MaxDigestFailures is how many error codes a chat message's digest
// lists; the rest are counted (DigestMoreFailures).
const MaxDigestFailures = 10

// DigestFailures are the failures a chat message lists, at most
// MaxDigestFailures, and the note about the rest, "" when none are left
// out.
//
// Each message is cut to maxDigestMessage characters: the rows need the
// room more than a tenth repeat of Security Center's words.
func DigestFailures(d *event.BatchDigest) ([]event.DigestFailure, string) {
	return DigestFailuresUpTo(d, MaxDigestFailures)
}

// DigestFailuresUpTo is DigestFailures listing at most maxCodes error
// codes, for a message with less room.
func DigestFailuresUpTo(d *event.BatchDigest, maxCodes int) ([]event.DigestFailure, string) {
	shown := d.Failures[:min(len(d.Failures), maxCodes)]
	out := make([]event.DigestFailure, len(shown))
	for i, f := range shown {
		f.Message = Cut(OneLine(f.Message), maxDigestMessage, Chars)
		out[i] = f
	}
	rest := d.Failures[len(shown):]
	if len(rest) == 0 {
		return out, ""
	}
	accounts := 0
	for _, f := range rest {
		accounts += len(f.Accounts)
	}
	return out, "…" + AndMore(len(rest)) + " error codes (" + Plural(accounts, "account") + ")"
}

// maxDigestMessage bounds each failure's message in a chat digest.
const maxDigestMessage = 200
