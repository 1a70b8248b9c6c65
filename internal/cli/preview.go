package cli

import (
	"context"
	"fmt"
)

func runPreview(ctx context.Context, args []string, env Env) int {
	fmt.Fprintln(env.Stderr, "export-notifier preview: not implemented yet")
	return ExitFailed
}
