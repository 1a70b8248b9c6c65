// Package cli is export-notifier's command line: it reads flags and the
// environment, wires the parts together and runs one command.
package cli

import (
	"context"
	"fmt"
	"io"
)

// Exit statuses, as DESIGN.md's CLI section defines them.
const (
	ExitOK     = 0 // the command ran
	ExitFailed = 1 // it could not finish
	ExitUsage  = 2 // bad flags, configuration or input
)

// Env is what a command may touch of its process: its output streams and
// its environment variables. Tests pass their own.
type Env struct {
	Stdout io.Writer
	Stderr io.Writer
	Getenv func(string) string
}

type command struct {
	name    string
	summary string
	run     func(ctx context.Context, args []string, env Env) int
}

func commands() []command {
	return []command{
		{"poll", "run one poll cycle, or one every --every", runPoll},
		{"check", "print one export's status as JSON", runCheck},
		{"start", "start one export and print its ID as JSON", runStart},
		{"status", "print what the state holds", runStatus},
		{"simulate", "run the Security Center simulator", runSimulate},
		{"demo", "run the whole flow on the simulator", runDemo},
		{"preview", "print the messages a sample event produces", runPreview},
	}
}

// Run runs the command named by args[0] and returns the process's exit
// status.
func Run(ctx context.Context, args []string, env Env) int {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		usage(env.Stderr)
		if len(args) == 0 {
			return ExitUsage
		}
		return ExitOK
	}
	for _, c := range commands() {
		if c.name == args[0] {
			return c.run(ctx, args[1:], env)
		}
	}
	fmt.Fprintf(env.Stderr, "export-notifier: unknown command %q (run export-notifier help)\n", args[0])
	return ExitUsage
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: export-notifier <command> [flags]")
	fmt.Fprintln(w)
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-9s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "\nRun export-notifier <command> -h for a command's flags.")
}
