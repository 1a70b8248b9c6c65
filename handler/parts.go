package handler

import (
	"context"

	"github.com/export-notifier/export-notifier/event"
)

// What a cycle needs of the world outside, declared here so that handler
// depends on these few methods rather than on the client that has them
// (*exports.Client has them all).

// Checker asks Security Center about one export.
type Checker interface {
	Get(ctx context.Context, ref event.Ref) (event.Status, error)
}

// Starter starts exports.
type Starter interface {
	Start(ctx context.Context, spec event.StartSpec) (event.Ref, string, error)
}

// CredentialChecker is a Checker that can tell, before it is asked about
// any export, that it has no credentials to sign with. Its error means
// exactly that: other failures are left to the checks themselves.
type CredentialChecker interface {
	CheckCredentials(ctx context.Context) error
}

// describedFailure is an error that describes itself as an event's
// failure, with the code and HTTP status Security Center answered.
type describedFailure interface {
	error
	Failure() event.Failure
}

// uncertainStart is a start's error after which the export may have
// started all the same (the answer was lost, not refused).
type uncertainStart interface {
	error
	StartOutcomeUnknown() bool
}
