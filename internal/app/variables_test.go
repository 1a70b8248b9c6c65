package app

import (
	"go/ast"
	"go/build"
	"go/parser"
	"go/token"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

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

// TestVariablesAreTheOnesTheProgramReads scans the program's source (the
// packages main imports from this module, tests aside) for the variable
// names it passes to a getenv function, and compares them with the table:
// a variable read but not listed would be missing from README.md and
// s.yaml, one listed but never read documents nothing.
func TestVariablesAreTheOnesTheProgramReads(t *testing.T) {
	read := variablesRead(t)
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
	names := make([]string, 0, len(found))
	for name := range found {
		names = append(names, name)
	}
	slices.Sort(names)
	return names
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
