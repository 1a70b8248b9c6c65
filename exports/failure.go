package exports

import (
	"context"
	"errors"

	"github.com/export-notifier/export-notifier/credential"
)

// StartOutcomeUnknown reports whether the export may have started even
// though the start failed: the answer was lost, not refused.
func (e *Error) StartOutcomeUnknown() bool { return e.MayHaveStarted }

// CheckCredentials returns an error, wrapping credential.ErrMissing, when
// the client has no credentials to sign with, so that a caller can refuse
// to run before asking about any export. Any other failure to get them
// (the context ended, say) is left to the calls themselves.
func (c *Client) CheckCredentials(ctx context.Context) error {
	_, err := c.cfg.Credentials.Credentials(ctx)
	if errors.Is(err, credential.ErrMissing) {
		return err
	}
	return nil
}
