package cli

import (
	"bytes"
	"context"
	"flag"
	"regexp"
	"runtime"
	"runtime/debug"
	"strings"
	"testing"
)

// runCLI runs the command line with an empty environment and returns its
// exit status and output.
func runCLI(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = Run(context.Background(), args, Env{Stdout: &out, Stderr: &errOut, Getenv: func(string) string { return "" }})
	return code, out.String(), errOut.String()
}

// declaredFlags returns the flags command c declares.
func declaredFlags(c command) []string {
	var names []string
	c.run(context.Background(), nil, Env{describe: func(fs *flagSet) {
		fs.VisitAll(func(f *flag.Flag) { names = append(names, f.Name) })
	}})
	return names
}

func TestEveryCommandPrintsItsHelpOnStdout(t *testing.T) {
	for _, c := range commands() {
		for _, args := range [][]string{{c.name, "-h"}, {c.name, "--help"}, {"help", c.name}} {
			t.Run(strings.Join(args, " "), func(t *testing.T) {
				code, stdout, stderr := runCLI(t, args...)
				if code != ExitOK || stderr != "" {
					t.Fatalf("exit %d, stderr %q; want 0 and nothing on stderr", code, stderr)
				}
				if !strings.HasPrefix(stdout, "usage: export-notifier "+c.name) {
					t.Errorf("help does not open with the usage line:\n%s", stdout)
				}
				for _, want := range []string{"\nexamples:\n  export-notifier " + c.name, "\nflags:\n", "  -h, --help\n"} {
					if !strings.Contains(stdout, want) {
						t.Errorf("help lacks %q:\n%s", want, stdout)
					}
				}
				for _, name := range declaredFlags(c) {
					if !strings.Contains(stdout, "\n  --"+name) {
						t.Errorf("help does not list --%s:\n%s", name, stdout)
					}
				}
			})
		}
	}
}

func TestHelpShowsFlagTypesAndDefaults(t *testing.T) {
	_, stdout, _ := runCLI(t, "simulate", "--help")
	for _, want := range []string{
		"  --addr string\n        address to listen on (default \"127.0.0.1:8741\")\n",
		"  --latency duration\n",
		"  --quiet\n        do not log each call\n",
	} {
		if !strings.Contains(stdout, want) {
			t.Errorf("simulate --help lacks %q:\n%s", want, stdout)
		}
	}
}

func TestTopLevelUsage(t *testing.T) {
	tests := []struct {
		args       []string
		wantCode   int
		wantStdout bool
	}{
		{nil, ExitUsage, false},
		{[]string{"help"}, ExitOK, true},
		{[]string{"-h"}, ExitOK, true},
		{[]string{"--help"}, ExitOK, true},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			code, stdout, stderr := runCLI(t, tt.args...)
			usage, other := stderr, stdout
			if tt.wantStdout {
				usage, other = stdout, stderr
			}
			if code != tt.wantCode || other != "" {
				t.Fatalf("exit %d, stdout %q, stderr %q; want exit %d and the usage on one stream", code, stdout, stderr, tt.wantCode)
			}
			for _, c := range commands() {
				if !regexp.MustCompile(`(?m)^  ` + c.name + ` +` + regexp.QuoteMeta(c.summary) + `$`).MatchString(usage) {
					t.Errorf("usage does not list %s:\n%s", c.name, usage)
				}
			}
		})
	}
}

func TestUsageErrorsAreOneLine(t *testing.T) {
	tests := []struct {
		args    []string
		command string // whose help the line points to; empty for the top level
		want    string
	}{
		{[]string{"poll", "--bogus"}, "poll", "flag provided but not defined: -bogus"},
		{[]string{"poll", "--every", "soon"}, "poll", `invalid value "soon" for flag -every`},
		{[]string{"poll", "--every", "-1m"}, "poll", "--every -1m0s is negative"},
		{[]string{"poll", "now"}, "poll", `unexpected argument "now"`},
		{[]string{"poll", "--ids", "vul:x"}, "poll", `--ids: export "vul:x"`},
		{[]string{"check", "--id"}, "check", "flag needs an argument: -id"},
		{[]string{"start", "--group-id", "abc"}, "start", `invalid value "abc" for flag -group-id`},
		{[]string{"start", "--spec", `{"kind": "vul", "type": "cve"}`, "--lang", "en"}, "start", "--lang and --spec"},
		{[]string{"status", "--json=maybe"}, "status", `invalid boolean value "maybe" for -json`},
		{[]string{"simulate", "--steps", "-2"}, "simulate", "--steps -2: want a positive number"},
		{[]string{"simulate", "--scenario", "no-such-scenario.json"}, "simulate", "no-such-scenario.json"},
		{[]string{"demo", "--cycles", "many"}, "demo", `invalid value "many" for flag -cycles`},
		{[]string{"preview", "--count", "x"}, "preview", `invalid value "x" for flag -count`},
		{[]string{"preview", "--count", "0"}, "preview", "--count 0: want 1"},
		{[]string{"preview", "--sinks", "slack,discord"}, "preview", `unknown sink "discord"`},
		{[]string{"version", "--short"}, "version", "flag provided but not defined: -short"},
		{[]string{"completion"}, "completion", "want a shell: bash, fish, zsh"},
		{[]string{"completion", "tcsh"}, "completion", `unknown shell "tcsh"`},
		{[]string{"completion", "bash", "zsh"}, "completion", `unexpected argument "zsh"`},
		{[]string{"help", "frobnicate"}, "", `unknown command "frobnicate"`},
		{[]string{"frobnicate"}, "", `unknown command "frobnicate"`},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			code, stdout, stderr := runCLI(t, tt.args...)
			if code != ExitUsage || stdout != "" {
				t.Fatalf("exit %d, stdout %q; want 2 and nothing on stdout", code, stdout)
			}
			if strings.Count(stderr, "\n") != 1 || !strings.HasSuffix(stderr, "\n") {
				t.Errorf("stderr %q: want exactly one line", stderr)
			}
			help := strings.TrimSpace("export-notifier " + tt.command)
			for _, want := range []string{tt.want, "(run '" + help + " --help')"} {
				if !strings.Contains(stderr, want) {
					t.Errorf("stderr %q lacks %q", stderr, want)
				}
			}
		})
	}
}

func TestMisspellingsGetASuggestion(t *testing.T) {
	tests := []struct {
		args []string
		want string // "" when nothing is close enough to suggest
	}{
		{[]string{"pol"}, `did you mean "poll"?`},
		{[]string{"staus"}, `did you mean "status"?`},
		{[]string{"simualte"}, `did you mean "simulate"?`},
		{[]string{"help", "previwe"}, `did you mean "preview"?`},
		{[]string{"--verison"}, `unknown flag "--verison"; did you mean "--version"?`},
		{[]string{"deploy"}, ""},
		{[]string{"status", "--jsn"}, "did you mean --json?"},
		{[]string{"check", "--id", "1", "--kind", "vull"}, "did you mean --kind vul?"},
		{[]string{"check", "--id", "1", "--kind", "suspevent"}, "did you mean --kind suspEvent?"},
		{[]string{"check", "--id", "1", "--kind", "warnings"}, "did you mean --kind warning?"},
		{[]string{"check", "--id", "1", "--kind", "hx"}, "did you mean --kind hc?"},
		{[]string{"check", "--id", "1", "--kind", "disk"}, ""},
		{[]string{"start", "--kind", "vlu", "--type", "cve"}, "did you mean --kind vul?"},
		{[]string{"start", "--export-type", "assetInstnce"}, "did you mean --export-type assetInstance?"},
		{[]string{"start", "--export-type", "webserve"}, "did you mean --export-type webserver?"},
		{[]string{"start", "--kind", "vul", "--type", "cev"}, "did you mean --type cve?"},
		{[]string{"preview", "--event", "faild"}, "did you mean --event failed?"},
		{[]string{"completion", "fsh"}, "did you mean fish?"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			code, _, stderr := runCLI(t, tt.args...)
			if code != ExitUsage || strings.Count(stderr, "\n") != 1 {
				t.Fatalf("exit %d, stderr %q; want 2 and one line", code, stderr)
			}
			if tt.want == "" && strings.Contains(stderr, "did you mean") {
				t.Errorf("stderr %q suggests something for a word close to nothing", stderr)
			}
			if !strings.Contains(stderr, tt.want) {
				t.Errorf("stderr %q lacks %q", stderr, tt.want)
			}
		})
	}
}

func TestVersionPrintsTheBuild(t *testing.T) {
	for _, args := range [][]string{{"version"}, {"--version"}} {
		code, stdout, stderr := runCLI(t, args...)
		// go test builds the module as (devel), without VCS stamps.
		want := "export-notifier (devel) (commit unknown; " + runtime.Version() + " " + runtime.GOOS + "/" + runtime.GOARCH + ")\n"
		if code != ExitOK || stdout != want || stderr != "" {
			t.Errorf("%s: exit %d, stdout %q, stderr %q; want 0 and %q", args[0], code, stdout, stderr, want)
		}
	}
}

func TestVersionLineNamesTheCommit(t *testing.T) {
	const commit = "5e9d2341a6c1f0e5b7d8c9a0b1c2d3e4f5a6b7c8"
	tests := []struct {
		name     string
		version  string
		settings []debug.BuildSetting
		want     string
	}{
		{"tagged", "v1.4.0", []debug.BuildSetting{{Key: "vcs.revision", Value: commit}, {Key: "vcs.modified", Value: "false"}}, "export-notifier v1.4.0 (commit 5e9d2341a6c1; go1.26.0 "},
		{"local changes", "(devel)", []debug.BuildSetting{{Key: "vcs.revision", Value: commit}, {Key: "vcs.modified", Value: "true"}}, "export-notifier (devel) (commit 5e9d2341a6c1, modified; go1.26.0 "},
		{"no VCS", "(devel)", nil, "export-notifier (devel) (commit unknown; go1.26.0 "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := versionLine(&debug.BuildInfo{GoVersion: "go1.26.0", Main: debug.Module{Version: tt.version}, Settings: tt.settings})
			if !strings.HasPrefix(got, tt.want) {
				t.Errorf("got %q, want it to start %q", got, tt.want)
			}
		})
	}
}
