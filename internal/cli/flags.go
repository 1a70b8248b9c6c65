package cli

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/export-notifier/export-notifier/event"
	"github.com/export-notifier/export-notifier/exports/catalog"
)

// flagSet is one command's flags together with the text its --help shows.
// Every command parses through parseFlags, so help, usage errors and
// suggestions look the same everywhere.
type flagSet struct {
	*flag.FlagSet
	usage       string            // the command line's shapes, one per line, without the program name
	description string            // what the command does, a few sentences
	examples    []string          // command lines, without the program name
	maxArgs     int               // positional arguments the command takes
	given       map[string]string // the text each flag set on the command line was given
}

// newFlags returns an empty flag set for the command name. usage lists
// the command's shapes, one per line, each starting with name.
func newFlags(name, usage, description string, examples ...string) *flagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	// flag's own messages would print the whole usage on every mistake;
	// parseFlags prints one line instead.
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	return &flagSet{FlagSet: fs, usage: usage, description: description, examples: examples, given: map[string]string{}}
}

// parseFlags parses args into fs. done is true when the command must stop
// with code: help was asked for (printed on stdout, code 0), or args are
// wrong (one line on stderr, code 2).
func parseFlags(fs *flagSet, args []string, env Env) (code int, done bool) {
	if env.describe != nil {
		env.describe(fs)
		return ExitOK, true
	}
	fs.VisitAll(func(f *flag.Flag) { f.Value = recordedValue{Value: f.Value, name: f.Name, given: fs.given} })
	err := fs.Parse(args)
	switch {
	case errors.Is(err, flag.ErrHelp):
		fs.printHelp(env.Stdout)
		return ExitOK, true
	case err != nil:
		return fs.usageError(env, fs.flagProblem(err)), true
	case fs.NArg() > fs.maxArgs:
		return fs.usageError(env, fmt.Sprintf("unexpected argument %q", fs.Arg(fs.maxArgs))), true
	}
	return ExitOK, false
}

// usageError prints problem as one line on stderr, with a suggestion when
// an enumerated flag holds a value close to a known one, and returns
// ExitUsage.
func (fs *flagSet) usageError(env Env, problem string) int {
	fs.Visit(func(f *flag.Flag) {
		value, ok := fs.given[f.Name]
		if !ok {
			return
		}
		if choice := suggest(value, flagChoices(fs.Name(), f.Name)); choice != "" && choice != value {
			problem += fmt.Sprintf("; did you mean --%s %s?", f.Name, choice)
		}
	})
	fmt.Fprintf(env.Stderr, "export-notifier %s: %s (run 'export-notifier %s --help')\n", fs.Name(), problem, fs.Name())
	return ExitUsage
}

// flagProblem is flag's error, with the flag a misspelt one may have meant.
func (fs *flagSet) flagProblem(err error) string {
	name, undefined := strings.CutPrefix(err.Error(), "flag provided but not defined: -")
	if !undefined {
		return err.Error()
	}
	var names []string
	fs.VisitAll(func(f *flag.Flag) { names = append(names, f.Name) })
	if choice := suggest(strings.TrimPrefix(name, "-"), names); choice != "" {
		return fmt.Sprintf("%v; did you mean --%s?", err, choice)
	}
	return err.Error()
}

// flagChoices lists the values an enumerated flag of a command takes, so
// that a misspelt value gets a suggestion and completion offers them. It
// is the one place that knows where each command's enumerations live.
func flagChoices(command, name string) []string {
	if command == "start" {
		for _, f := range catalog.Flags() {
			if f.Name == name {
				return f.Values
			}
		}
		return nil
	}
	switch command + " --" + name {
	case "check --kind":
		return kindNames(event.Kinds())
	case "preview --event":
		var names []string
		for _, t := range event.Types() {
			names = append(names, string(t))
		}
		return names
	}
	return nil
}

func kindNames(kinds []event.Kind) []string {
	names := make([]string, len(kinds))
	for i, k := range kinds {
		names[i] = string(k)
	}
	return names
}

// printHelp writes the command's help: usage, description, examples and
// flags spelt --flag, with their defaults.
func (fs *flagSet) printHelp(w io.Writer) {
	var b strings.Builder
	prefix := "usage:"
	for line := range strings.SplitSeq(fs.usage, "\n") {
		fmt.Fprintf(&b, "%-6s export-notifier %s\n", prefix, line)
		prefix = ""
	}
	fmt.Fprintf(&b, "\n%s\n", fs.description)
	if len(fs.examples) > 0 {
		b.WriteString("\nexamples:\n")
		for _, e := range fs.examples {
			fmt.Fprintf(&b, "  export-notifier %s\n", e)
		}
	}
	b.WriteString("\nflags:\n")
	fs.VisitAll(func(f *flag.Flag) {
		declared := *f
		if r, ok := f.Value.(recordedValue); ok {
			declared.Value = r.Value // flag names a value's type from its Go type
		}
		typ, usage := flag.UnquoteUsage(&declared)
		if typ != "" {
			typ = " " + typ
		}
		fmt.Fprintf(&b, "  --%s%s\n        %s%s\n", f.Name, typ, usage, defaultNote(f))
	})
	b.WriteString("  -h, --help\n        show this help\n")
	io.WriteString(w, b.String())
}

// defaultNote says what a flag defaults to, unless that is its type's
// zero value.
func defaultNote(f *flag.Flag) string {
	switch f.DefValue {
	case "", "0", "0s", "false":
		return ""
	}
	if g, ok := f.Value.(flag.Getter); ok {
		if _, isText := g.Get().(string); isText {
			return fmt.Sprintf(" (default %q)", f.DefValue)
		}
	}
	return fmt.Sprintf(" (default %s)", f.DefValue)
}

// recordedValue keeps the text each flag was given: a Func flag's value
// cannot say it, and suggestions need it.
type recordedValue struct {
	flag.Value
	name  string
	given map[string]string
}

func (v recordedValue) Set(s string) error {
	v.given[v.name] = s
	return v.Value.Set(s)
}

// IsBoolFlag lets a wrapped bool flag go without a value, as flag allows.
func (v recordedValue) IsBoolFlag() bool {
	b, ok := v.Value.(interface{ IsBoolFlag() bool })
	return ok && b.IsBoolFlag()
}

// Get returns the wrapped value's Get, so defaults print as their type.
func (v recordedValue) Get() any {
	if g, ok := v.Value.(flag.Getter); ok {
		return g.Get()
	}
	return v.Value.String()
}
