package cli

import (
	"context"
	"fmt"
)

func runPoll(ctx context.Context, args []string, env Env) int {
	fmt.Fprintln(env.Stderr, "export-notifier poll: not implemented yet")
	return ExitFailed
}
