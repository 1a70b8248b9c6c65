package cli

import (
	"context"
	"fmt"
)

func runSimulate(ctx context.Context, args []string, env Env) int {
	fmt.Fprintln(env.Stderr, "export-notifier simulate: not implemented yet")
	return ExitFailed
}
