// Command export-notifier tells people when Alibaba Cloud Security Center
// exports are ready. On Function Compute (FC_RUNTIME_API set) it serves
// timer invocations; anywhere else it is a command line tool.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/export-notifier/export-notifier/internal/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Run(ctx, os.Args[1:], cli.Env{Stdout: os.Stdout, Stderr: os.Stderr, Getenv: os.Getenv})
	stop()
	os.Exit(code)
}
