package cli

import (
	"context"
	"flag"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
)

// completedCommand is what a completion script offers for one command.
type completedCommand struct {
	name, summary string
	flags         []string            // names, without dashes
	choices       map[string][]string // the values of enumerated flags, by name
}

// completedCommands asks each command for its flags, so the scripts list
// exactly what the commands accept.
func completedCommands(ctx context.Context) []completedCommand {
	var all []completedCommand
	for _, c := range commands() {
		cc := completedCommand{name: c.name, summary: c.summary, choices: map[string][]string{}}
		c.run(ctx, nil, Env{Stdout: io.Discard, Stderr: io.Discard, describe: func(fs *flagSet) {
			fs.VisitAll(func(f *flag.Flag) {
				cc.flags = append(cc.flags, f.Name)
				if choices := flagChoices(c.name, f.Name); choices != nil {
					cc.choices[f.Name] = choices
				}
			})
		}})
		cc.flags = append(cc.flags, "help")
		all = append(all, cc)
	}
	return all
}

// shells maps each shell to the function that writes its script.
func shells() map[string]func(io.Writer, []completedCommand) {
	return map[string]func(io.Writer, []completedCommand){
		"bash": bashCompletion,
		"zsh":  zshCompletion,
		"fish": fishCompletion,
	}
}

// runCompletion prints a completion script for the shell it names.
func runCompletion(ctx context.Context, args []string, env Env) int {
	fs := newFlags("completion", "completion bash|zsh|fish",
		"Prints a script that completes export-notifier's commands and flags in the\nshell named. Load it in the shell's start-up file.",
		`completion bash > ~/.local/share/bash-completion/completions/export-notifier`,
		`completion zsh > "${fpath[1]}/_export-notifier"`,
		`completion fish > ~/.config/fish/completions/export-notifier.fish`)
	fs.maxArgs = 1
	if code, done := parseFlags(fs, args, env); done {
		return code
	}
	names := slices.Sorted(maps.Keys(shells()))
	write, ok := shells()[fs.Arg(0)]
	if !ok {
		problem := fmt.Sprintf("want a shell: %s", strings.Join(names, ", "))
		if fs.NArg() > 0 {
			problem = fmt.Sprintf("unknown shell %q (%s)", fs.Arg(0), problem)
			if choice := suggest(fs.Arg(0), names); choice != "" {
				problem += fmt.Sprintf("; did you mean %s?", choice)
			}
		}
		return fs.usageError(env, problem)
	}
	write(env.Stdout, completedCommands(ctx))
	return ExitOK
}

func commandNames(cmds []completedCommand) string {
	names := make([]string, len(cmds))
	for i, c := range cmds {
		names[i] = c.name
	}
	return strings.Join(names, " ")
}

func dashed(flags []string) string {
	return "--" + strings.Join(flags, " --")
}

func bashCompletion(w io.Writer, cmds []completedCommand) {
	fmt.Fprintf(w, `# bash completion for export-notifier
_export_notifier() {
    local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]}
    if [[ $COMP_CWORD -eq 1 ]]; then
        COMPREPLY=($(compgen -W "%s --help --version" -- "$cur"))
        return
    fi
    local words=""
    case "${COMP_WORDS[1]} $prev" in
`, commandNames(cmds))
	for _, c := range cmds {
		for _, f := range slices.Sorted(maps.Keys(c.choices)) {
			fmt.Fprintf(w, "        %q) words=%q ;;\n", c.name+" --"+f, strings.Join(c.choices[f], " "))
		}
	}
	fmt.Fprint(w, `        *) case ${COMP_WORDS[1]} in
`)
	for _, c := range cmds {
		fmt.Fprintf(w, "            %s) words=%q ;;\n", c.name, dashed(c.flags)+positional(c.name, cmds))
	}
	fmt.Fprint(w, `        esac ;;
    esac
    COMPREPLY=($(compgen -W "$words" -- "$cur"))
}
complete -F _export_notifier export-notifier
`)
}

func zshCompletion(w io.Writer, cmds []completedCommand) {
	fmt.Fprint(w, "#compdef export-notifier\n\n_export_notifier() {\n    local -a commands\n    commands=(\n")
	for _, c := range cmds {
		fmt.Fprintf(w, "        %s\n", shellQuote(c.name+":"+strings.ReplaceAll(c.summary, ":", `\:`)))
	}
	fmt.Fprint(w, "    )\n    if (( CURRENT == 2 )); then\n        _describe command commands\n        return\n    fi\n")
	fmt.Fprint(w, "    case \"$words[2] $words[CURRENT-1]\" in\n")
	for _, c := range cmds {
		for _, f := range slices.Sorted(maps.Keys(c.choices)) {
			fmt.Fprintf(w, "        %s) compadd -- %s; return ;;\n", shellQuote(c.name+" --"+f), strings.Join(c.choices[f], " "))
		}
	}
	fmt.Fprint(w, "    esac\n    case $words[2] in\n")
	for _, c := range cmds {
		fmt.Fprintf(w, "        %s) compadd -- %s ;;\n", c.name, dashed(c.flags)+positional(c.name, cmds))
	}
	fmt.Fprint(w, "    esac\n}\n\ncompdef _export_notifier export-notifier\n")
}

func fishCompletion(w io.Writer, cmds []completedCommand) {
	fmt.Fprintln(w, "# fish completion for export-notifier")
	fmt.Fprintln(w, "complete -c export-notifier -f")
	for _, c := range cmds {
		fmt.Fprintf(w, "complete -c export-notifier -n __fish_use_subcommand -a %s -d %s\n", c.name, shellQuote(c.summary))
	}
	for _, c := range cmds {
		for _, f := range c.flags {
			values := ""
			if choices, ok := c.choices[f]; ok {
				values = " -x -a " + shellQuote(strings.Join(choices, " "))
			}
			fmt.Fprintf(w, "complete -c export-notifier -n '__fish_seen_subcommand_from %s' -l %s%s\n", c.name, f, values)
		}
		if words := positional(c.name, cmds); words != "" {
			fmt.Fprintf(w, "complete -c export-notifier -n '__fish_seen_subcommand_from %s' -a %s\n", c.name, shellQuote(strings.TrimSpace(words)))
		}
	}
}

// positional is what a command takes besides flags, with a leading space:
// help takes a command, completion a shell.
func positional(name string, cmds []completedCommand) string {
	switch name {
	case "help":
		return " " + commandNames(cmds)
	case "completion":
		return " bash fish zsh"
	}
	return ""
}

// shellQuote quotes s for bash, zsh and fish alike.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
