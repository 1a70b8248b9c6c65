package app

import (
	"context"
	"go/ast"
	"go/build"
	"go/parser"
	"go/token"
	"io"
	"maps"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/export-notifier/export-notifier/credential"
	"github.com/export-notifier/export-notifier/setting"
)

// moduleRoot is the repository's root, seen from this package.
const moduleRoot = "../.."

var variableName = regexp.MustCompile(`^[A-Z][A-Z0-9]*(_[A-Z0-9]+)*$`)

func TestVariablesAreListedOnceAndDescribed(t *testing.T) {
	seen := map[string]bool{}
	for _, v := range slices.Concat(Variables(), PlatformVariables()) {
		if seen[v.Name] {
			t.Errorf("%s is listed twice", v.Name)
		}
		seen[v.Name] = true
		if !variableName.MatchString(v.Name) {
			t.Errorf("%q does not look like an environment variable", v.Name)
		}
		if v.Meaning == "" {
			t.Errorf("%s has no meaning", v.Name)
		}
	}
}

// TestVariablesAreTheOnesTheProgramReads compares the table with the
// variables the program reads: the names its source (the packages main
// imports from this module, tests aside) passes to a getenv function, and
// the names the readers ask for when they build a cycle, which also catches
// a reader that takes its names from a table. A variable read but not listed
// would be missing from README.md and s.yaml; one listed but never read
// documents nothing.
func TestVariablesAreTheOnesTheProgramReads(t *testing.T) {
	read := slices.Concat(variablesRead(t), variablesAsked(t))
	listed := setting.Names(slices.Concat(Variables(), PlatformVariables()))
	for _, name := range read {
		if !slices.Contains(listed, name) {
			t.Errorf("the program reads %s, which neither Variables nor PlatformVariables lists", name)
		}
	}
	for _, name := range listed {
		if !slices.Contains(read, name) {
			t.Errorf("%s is listed, but no getenv call in the program reads it", name)
		}
	}
}

// variablesAsked returns the names the readers ask for while building a
// cycle with a file store, opening an oss:// store and reading credentials,
// the logger's settings and POLL_TIMEOUT.
func variablesAsked(t *testing.T) []string {
	t.Helper()
	asked := map[string]bool{}
	env := func(vars map[string]string) func(string) string {
		return func(name string) string {
			asked[name] = true
			return vars[name]
		}
	}
	ctx := context.Background()
	creds := credential.Static{AccessKeyID: "id", AccessKeySecret: "secret"}
	if _, err := NewCycle(ctx, Setup{Getenv: env(map[string]string{"STATE_URL": "file://" + t.TempDir()}), Credentials: creds}); err != nil {
		t.Fatalf("a cycle with no settings but STATE_URL: %v", err)
	}
	// Refused for want of a region, once it has read where the bucket is.
	if _, err := OpenState(ctx, Setup{Getenv: env(map[string]string{"STATE_URL": "oss://bucket/prefix"}), Credentials: creds}); err == nil {
		t.Fatal("an oss:// store with no region opened")
	}
	CredentialsFrom(env(map[string]string{"ALIBABA_CLOUD_ACCESS_KEY_ID": "id", "ALIBABA_CLOUD_ACCESS_KEY_SECRET": "secret"}))
	if _, err := NewLogger(env(nil), io.Discard, false, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := PollTimeout(env(nil)); err != nil {
		t.Fatal(err)
	}
	return slices.Sorted(maps.Keys(asked))
}

// variablesRead returns the sorted names the program's source reads.
func variablesRead(t *testing.T) []string {
	t.Helper()
	modulePath := "github.com/export-notifier/export-notifier"
	found := map[string]bool{}
	visited := map[string]bool{}
	queue := []string{modulePath}
	for len(queue) > 0 {
		path := queue[0]
		queue = queue[1:]
		if visited[path] {
			continue
		}
		visited[path] = true
		dir := filepath.Join(moduleRoot, strings.TrimPrefix(strings.TrimPrefix(path, modulePath), "/"))
		pkg, err := build.ImportDir(dir, 0)
		if err != nil {
			t.Fatalf("%s: %v", dir, err)
		}
		for _, name := range pkg.GoFiles {
			file, err := parser.ParseFile(token.NewFileSet(), filepath.Join(dir, name), nil, parser.SkipObjectResolution)
			if err != nil {
				t.Fatal(err)
			}
			for _, v := range namesRead(file) {
				found[v] = true
			}
		}
		for _, imp := range pkg.Imports {
			if imp == modulePath || strings.HasPrefix(imp, modulePath+"/") {
				queue = append(queue, imp)
			}
		}
	}
	if len(visited) < 5 {
		t.Fatalf("walked only %v: the scan lost its way", visited)
	}
	return slices.Sorted(maps.Keys(found))
}

// namesRead finds the variable names a file reads: string literals passed
// to a getenv-like function (getenv, Getenv, or a get that wraps one), or
// to a function that is handed one (duration(getenv, "STALL_AFTER", ...)),
// and the names of a []string literal that a loop reads one by one.
func namesRead(file *ast.File) []string {
	var names []string
	add := func(exprs []ast.Expr) {
		for _, e := range exprs {
			if lit, ok := e.(*ast.BasicLit); ok && lit.Kind == token.STRING {
				if s, err := strconv.Unquote(lit.Value); err == nil && variableName.MatchString(s) {
					names = append(names, s)
				}
			}
		}
	}
	ast.Inspect(file, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.CallExpr:
			if isReader(n.Fun) || slices.ContainsFunc(n.Args, isReader) {
				add(n.Args)
			}
		case *ast.RangeStmt:
			if list, ok := n.X.(*ast.CompositeLit); ok && callsReader(n.Body) {
				add(list.Elts)
			}
		}
		return true
	})
	return names
}

// isReader reports whether e names a function that reads a variable.
func isReader(e ast.Expr) bool {
	switch e := e.(type) {
	case *ast.Ident:
		return e.Name == "getenv" || e.Name == "get"
	case *ast.SelectorExpr:
		return e.Sel.Name == "Getenv"
	}
	return false
}

func callsReader(body ast.Node) bool {
	var calls bool
	ast.Inspect(body, func(n ast.Node) bool {
		if call, ok := n.(*ast.CallExpr); ok && isReader(call.Fun) {
			calls = true
		}
		return !calls
	})
	return calls
}

func TestNamesReadFindsEachWayOfReading(t *testing.T) {
	for _, tc := range []struct {
		name, body string
		want       []string
	}{
		{"getenv", `getenv("EXPORT_IDS")`, []string{"EXPORT_IDS"}},
		{"os.Getenv", `os.Getenv("GOMEMLIMIT")`, []string{"GOMEMLIMIT"}},
		{"a Getenv field", `opts.Getenv("OSS_REGION")`, []string{"OSS_REGION"}},
		{"a get wrapper", `get("SLACK_CHANNEL")`, []string{"SLACK_CHANNEL"}},
		{"the reader handed on", `duration(getenv, "STALL_AFTER", 0)`, []string{"STALL_AFTER"}},
		{"a list read in a loop", `for _, n := range []string{"SAS_REGION", "FC_REGION"} { getenv(n) }`, []string{"SAS_REGION", "FC_REGION"}},
		{"a name in a message", `fmt.Println("LOG_LEVEL")`, nil},
		{"a list not read", `for _, n := range []string{"SAS_REGION"} { fmt.Println(n) }`, nil},
		{"not a variable name", `getenv("path")`, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src := "package p\nfunc f() {\n" + tc.body + "\n}\n"
			file, err := parser.ParseFile(token.NewFileSet(), "p.go", src, 0)
			if err != nil {
				t.Fatal(err)
			}
			if got := namesRead(file); !slices.Equal(got, tc.want) {
				t.Errorf("namesRead = %v, want %v", got, tc.want)
			}
		})
	}
}
