package state

import (
	"context"
	"errors"
	"time"

	"github.com/export-notifier/export-notifier/event"
)

// StartRecord is an export a payload asked to start. It is recorded before
// Security Center is asked and completed after, so that an invocation FC
// retries does not start the export twice: starting is not idempotent, so
// a record whose outcome never arrived is never started again.
type StartRecord struct {
	Spec      event.StartSpec
	Requested time.Time
	// ClaimedBy names the cycle that asked Security Center.
	ClaimedBy string
	// Settled is when the outcome was recorded; zero while unknown.
	Settled time.Time
	// Ref is the started export, zero unless the start succeeded.
	Ref       event.Ref
	RequestID string
	// Error is why the start failed; MayHaveStarted says the request may
	// have reached Security Center all the same.
	Error          string
	MayHaveStarted bool
	// Code is Security Center's error code of a failed start, when known.
	Code string
	// Batch names the batch the start belongs to (see IntendBatch); empty
	// for a start of its own.
	Batch string

	// clean says the record is as the store last read or wrote it (see
	// Export's).
	clean bool
}

// Intend records that cycle is about to start spec under key (an
// invocation's identity and the spec's own key). It returns false, changing
// nothing, when key is already recorded: that start was made, or is being
// made, by another run of the same invocation.
func (s *Snapshot) Intend(key string, spec event.StartSpec, cycle string, now time.Time) bool {
	if _, ok := s.Starts[key]; ok {
		return false
	}
	if s.Starts == nil {
		s.Starts = map[string]*StartRecord{}
	}
	s.Starts[key] = &StartRecord{Spec: spec, Requested: now, ClaimedBy: cycle}
	return true
}

// SettleStart records the outcome of cycle's start under key: the started
// export, which joins the watched set, or the error. It returns the
// export's state record when the start succeeded, and nil otherwise (also
// when the record is gone or was settled already).
func (s *Snapshot) SettleStart(key, cycle string, ref event.Ref, requestID string, startErr error, mayHaveStarted bool, now time.Time) *Export {
	r, ok := s.Starts[key]
	if !ok || r.ClaimedBy != cycle || !r.Settled.IsZero() {
		return nil
	}
	r.Settled, r.RequestID, r.clean = now, requestID, false
	if startErr != nil {
		r.Error, r.MayHaveStarted = startErr.Error(), mayHaveStarted
		var described interface{ Failure() event.Failure }
		if errors.As(startErr, &described) {
			r.Code = described.Failure().Code
		}
		return nil
	}
	r.Ref = ref
	return s.Watch(ref, now)
}

// pruneStarts drops start records requested more than retention before
// now: by then no retry of their invocation can arrive.
func (s *Snapshot) pruneStarts(now time.Time, retention time.Duration) {
	for key, r := range s.Starts {
		if now.Sub(r.Requested) > retention {
			delete(s.Starts, key)
		}
	}
}

// RecordStarted records in st that ref was started at now, as pending:
// the next cycle watches it, and a cycle following at the time picks it
// up. It is what export-notifier start does once Security Center has
// answered the export's ID.
func RecordStarted(ctx context.Context, st Store, ref event.Ref, now time.Time) error {
	_, err := Update(ctx, st, func(s *Snapshot) error {
		s.Watch(ref, now)
		return nil
	})
	return err
}
