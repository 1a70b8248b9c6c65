// Package cli is export-notifier's command line: it reads flags and the
// environment, wires the parts together and runs one command.
package cli

import (
	"context"
	"fmt"
	"io"
	"strings"
)

// Exit statuses.
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

	// describe, when set, receives the command's flags instead of running
	// it: completion scripts are made from the flags commands declare.
	describe func(*flagSet)
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
		{"version", "print the version, commit and Go version", runVersion},
		{"completion", "print a shell completion script: bash, zsh or fish", runCompletion},
		{"help", "print a command's help", runHelp},
	}
}

// Run runs the command named by args[0] and returns the process's exit
// status.
func Run(ctx context.Context, args []string, env Env) int {
	if len(args) == 0 {
		usage(env.Stderr)
		return ExitUsage
	}
	switch args[0] {
	case "-h", "--help":
		usage(env.Stdout)
		return ExitOK
	case "--version":
		return runVersion(ctx, args[1:], env)
	}
	c, ok := findCommand(args[0])
	if !ok {
		return unknownCommand(env, args[0])
	}
	return c.run(ctx, args[1:], env)
}

func findCommand(name string) (command, bool) {
	for _, c := range commands() {
		if c.name == name {
			return c, true
		}
	}
	return command{}, false
}

// unknownCommand prints one line naming name and the command or flag it
// may misspell.
func unknownCommand(env Env, name string) int {
	problem := fmt.Sprintf("unknown command %q", name)
	names := []string{"--help", "--version"}
	if strings.HasPrefix(name, "-") {
		problem = fmt.Sprintf("unknown flag %q", name)
	} else {
		names = nil
		for _, c := range commands() {
			names = append(names, c.name)
		}
	}
	if choice := suggest(name, names); choice != "" {
		problem += fmt.Sprintf("; did you mean %q?", choice)
	}
	fmt.Fprintf(env.Stderr, "export-notifier: %s (run 'export-notifier --help')\n", problem)
	return ExitUsage
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: export-notifier <command> [flags]")
	fmt.Fprintln(w, "\nexport-notifier tells people when Alibaba Cloud Security Center exports are ready.")
	fmt.Fprintln(w, "\ncommands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-11s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "\nflags:\n  -h, --help  print this help\n  --version   print the version")
	fmt.Fprintln(w, "\nRun 'export-notifier <command> --help' for a command's flags and examples.")
}

// runHelp prints the help of the command it names, or the list of
// commands.
func runHelp(ctx context.Context, args []string, env Env) int {
	fs := newFlags("help", "help [command]", "Prints a command's help, or the list of commands.", "help poll")
	fs.maxArgs = 1
	if code, done := parseFlags(fs, args, env); done {
		return code
	}
	if fs.NArg() == 0 {
		usage(env.Stdout)
		return ExitOK
	}
	if _, ok := findCommand(fs.Arg(0)); !ok {
		return unknownCommand(env, fs.Arg(0))
	}
	return Run(ctx, []string{fs.Arg(0), "--help"}, env)
}
