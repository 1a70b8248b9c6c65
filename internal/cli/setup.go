package cli

import (
	"errors"

	"github.com/export-notifier/export-notifier/internal/app"
)

// SetupExit is the exit status for an error from app.NewCycle or
// app.OpenState: ExitFailed when the state store could not be reached,
// else ExitUsage (bad configuration).
func SetupExit(err error) int {
	if errors.Is(err, app.ErrStateUnavailable) {
		return ExitFailed
	}
	return ExitUsage
}
