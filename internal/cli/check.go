package cli

import (
	"context"
	"fmt"
)

func runCheck(ctx context.Context, args []string, env Env) int {
	fmt.Fprintln(env.Stderr, "export-notifier check: not implemented yet")
	return ExitFailed
}
