package cli

import (
	"context"
	"fmt"
)

func runDemo(ctx context.Context, args []string, env Env) int {
	fmt.Fprintln(env.Stderr, "export-notifier demo: not implemented yet")
	return ExitFailed
}
