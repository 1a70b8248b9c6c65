package handler

import (
	"strconv"

	"github.com/export-notifier/export-notifier/setting"
)

// Variables lists the environment variables ConfigFromEnv reads.
func Variables() []setting.Var {
	return []setting.Var{
		{Name: "EXPORT_IDS", Meaning: "exports to watch, comma or space separated: 131231, vul:52, 131231@16670360956; @path reads them from a file"},
		{Name: "NOTIFY_ON", Meaning: "events to send: completed, failed, stalled, and started for exports a payload starts", Default: "completed,failed,stalled"},
		{Name: "STALL_AFTER", Meaning: "no progress for this long is a stall; 1m to 720h (30 days)", Default: "2h"},
		{Name: "CLAIM_LEASE", Meaning: "how long a cycle's claim on an event holds before another cycle may take it over; 1s to 24h", Default: "twice the cycle's deadline"},
		{Name: "FOLLOW_FOR", Meaning: "how long a cycle keeps following running exports after its first pass, up to 1h; 0 is one pass, deadline follows until the deadline less the time to send and commit (8s with a 60s timeout)", Default: "FC: deadline; CLI: 0"},
		{Name: "POLL_CONCURRENCY", Meaning: "parallel Security Center calls, 1 to 256", Default: strconv.Itoa(DefaultConcurrency)},
		{Name: "POLL_QPS", Meaning: "Security Center calls a second at most, above 0 and at most 10000", Default: strconv.Itoa(DefaultQPS)},
		{Name: "DIGEST", Meaning: "batch: the exports a start item started for member accounts are told in one message, once all have settled or STALL_AFTER has passed", Default: "none"},
	}
}
