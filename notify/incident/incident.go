// Package incident is what the incident formats (the Alertmanager webhook
// body, PagerDuty Events v2) share: a failed or stalled export opens an
// incident keyed by the export, the same on every retry and cycle, and a
// later completion of the same export resolves it. A completion of an
// export that never failed or stalled, and a started export, are no
// incident: those formats send nothing about them.
package incident

import (
	"crypto/sha256"
	"encoding/hex"
	"strconv"

	"github.com/export-notifier/export-notifier/event"
	"github.com/export-notifier/export-notifier/notify"
)

// The alert names of the two incidents an export may open.
const (
	AlertFailed  = "SecurityCenterExportFailed"
	AlertStalled = "SecurityCenterExportStalled"
)

// ConsoleURL is where people look at exports: Security Center's console.
const ConsoleURL = "https://yundun.console.aliyun.com/?p=sas"

// Takes reports whether ev opens or resolves an incident.
func Takes(ev event.Event) bool {
	switch ev.Type {
	case event.Failed, event.Stalled:
		return true
	case event.Completed:
		return len(ev.Resolves) > 0
	}
	return false
}

// Opens reports whether ev opens an incident (else it resolves one).
func Opens(ev event.Event) bool { return ev.Type == event.Failed || ev.Type == event.Stalled }

// Key is the incident key of an export: its reference, "vul:52" or
// "asset:131231@16670360956".
func Key(ref event.Ref) string { return ref.String() }

// AlertName is the alert name of an incident of type t.
func AlertName(t event.Type) string {
	if t == event.Stalled {
		return AlertStalled
	}
	return AlertFailed
}

// Fingerprint identifies the incident of alert name about ref: 16 hex
// digits, as Alertmanager's, stable for the export and the alert name.
func Fingerprint(ref event.Ref, alertName string) string {
	sum := sha256.Sum256([]byte(Key(ref) + "|" + alertName))
	return hex.EncodeToString(sum[:8])
}

// Account is the member account as a label: its ID, or "own".
func Account(ref event.Ref) string {
	if ref.Account == 0 {
		return "own"
	}
	return strconv.FormatInt(ref.Account, 10)
}

// Summary is one line about the incident ev opens or resolves.
func Summary(ev event.Event) string {
	if Opens(ev) {
		return notify.Summary(ev, false)
	}
	return "Export completed, incident resolved: " + ev.Status.Ref.String()
}

// Hint says what to do about a failure, "" when there is nothing useful to
// say or ev is no failure.
func Hint(ev event.Event) string {
	switch ev.Type {
	case event.Failed:
		return notify.Hint(ev.Status.Kind, notify.FailureOf(ev).Code)
	case event.Stalled:
		return "Security Center has made no progress on the export; start it again in the console if it stays stuck."
	}
	return ""
}
