package cli

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func TestCompletionScriptsNameEveryCommandAndFlag(t *testing.T) {
	for _, shell := range []string{"bash", "zsh", "fish"} {
		t.Run(shell, func(t *testing.T) {
			code, script, stderr := runCLI(t, "completion", shell)
			if code != ExitOK || stderr != "" {
				t.Fatalf("exit %d, stderr %q", code, stderr)
			}
			for _, c := range commands() {
				if !strings.Contains(script, c.name) {
					t.Errorf("script does not name %s", c.name)
				}
			}
			poll, _ := findCommand("poll")
			for _, name := range declaredFlags(poll) {
				flagWord := "--" + name
				if shell == "fish" {
					flagWord = "-l " + name
				}
				if !strings.Contains(script, flagWord) {
					t.Errorf("script does not offer poll's %s", flagWord)
				}
			}
			checkSyntax(t, shell, script)
		})
	}
}

// checkSyntax has the shell parse script without running it, when the
// shell is installed.
func checkSyntax(t *testing.T, shell, script string) {
	t.Helper()
	path, err := exec.LookPath(shell)
	if err != nil {
		t.Logf("%s is not installed: syntax not checked", shell)
		return
	}
	file := filepath.Join(t.TempDir(), "completion")
	if err := os.WriteFile(file, []byte(script), 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(path, "-n", file).CombinedOutput(); err != nil {
		t.Errorf("%s -n: %v\n%s", shell, err, out)
	}
}

func TestBashCompletesCommandsFlagsAndValues(t *testing.T) {
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Skip("bash is not installed")
	}
	_, script, _ := runCLI(t, "completion", "bash")
	file := filepath.Join(t.TempDir(), "completion.bash")
	if err := os.WriteFile(file, []byte(script), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		line string // the words typed, the last one being completed
		want string
	}{
		{"export-notifier pol", "poll"},
		{"export-notifier poll --dr", "--dry-run"},
		{"export-notifier check --kind susp", "suspEvent"},
		{"export-notifier start --kind v", "vul"},
		{"export-notifier preview --event st", "stalled started"},
		{"export-notifier completion fi", "fish"},
		{"export-notifier help si", "simulate"},
	}
	for _, tt := range tests {
		t.Run(tt.line, func(t *testing.T) {
			words := strings.Fields(tt.line)
			args := append([]string{"--noprofile", "--norc", "-c",
				`source "$0"; COMP_WORDS=("$@"); COMP_CWORD=$(($#-1)); _export_notifier; echo "${COMPREPLY[*]}"`,
				file}, words...)
			cmd := exec.Command(bash, args...)
			out, err := cmd.CombinedOutput()
			if err != nil || strings.TrimSpace(string(out)) != tt.want {
				t.Errorf("completing %q: %q, %v; want %q", tt.line, out, err, tt.want)
			}
		})
	}
}
