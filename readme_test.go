package main

import (
	"strings"
	"testing"

	"github.com/export-notifier/export-notifier/internal/app"
	"github.com/export-notifier/export-notifier/setting"
)

// TestReadmeDocumentsEveryVariable keeps README.md's configuration in step
// with the settings the program reads.
func TestReadmeDocumentsEveryVariable(t *testing.T) {
	for _, p := range readmeProblems(string(readFile(t, readmeFile)), app.Variables()) {
		t.Error(p)
	}
}

func TestReadmeCheckCanFail(t *testing.T) {
	readme := string(readFile(t, readmeFile))
	for _, name := range []string{"LOG_FORMAT", "WEBHOOK_SECRET"} {
		t.Run(name, func(t *testing.T) {
			copied := strings.ReplaceAll(readme, "`"+name+"`", "`SOMETHING_ELSE`")
			problems := readmeProblems(copied, app.Variables())
			if len(problems) != 1 || !strings.Contains(problems[0], name) {
				t.Errorf("a README without %s: problems %q, want one naming it", name, problems)
			}
		})
	}
}

// readmeProblems lists each variable the README does not mention, in code
// type (`NAME`).
func readmeProblems(readme string, vars []setting.Var) []string {
	var problems []string
	for _, v := range vars {
		if !strings.Contains(readme, "`"+v.Name+"`") {
			problems = append(problems, readmeFile+" does not document "+v.Name+" ("+v.Meaning+")")
		}
	}
	return problems
}
