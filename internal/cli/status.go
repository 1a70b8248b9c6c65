package cli

import (
	"context"
	"fmt"
)

func runStatus(ctx context.Context, args []string, env Env) int {
	fmt.Fprintln(env.Stderr, "export-notifier status: not implemented yet")
	return ExitFailed
}
