package cli

import (
	"context"
	"fmt"
	"runtime"
	"runtime/debug"
)

// runVersion prints the module version, the commit it was built from and
// the Go version, as the build recorded them.
func runVersion(_ context.Context, args []string, env Env) int {
	fs := newFlags("version", "version", "Prints the module version, the commit the binary was built from\n(with \"modified\" when the work tree had changes) and the Go version.", "version", "--version")
	if code, done := parseFlags(fs, args, env); done {
		return code
	}
	info, ok := debug.ReadBuildInfo()
	if !ok {
		fmt.Fprintf(env.Stdout, "export-notifier: no build information (%s %s/%s)\n", runtime.Version(), runtime.GOOS, runtime.GOARCH)
		return ExitOK
	}
	fmt.Fprintln(env.Stdout, versionLine(info))
	return ExitOK
}

// versionLine is "export-notifier VERSION (commit C[, modified]; GO OS/ARCH)".
// A binary built by go build in a checkout says (devel): Go stamps a
// module version only on go install of a tagged version.
func versionLine(info *debug.BuildInfo) string {
	commit, modified := "", false
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			commit = s.Value
		case "vcs.modified":
			modified = s.Value == "true"
		}
	}
	build := fmt.Sprintf("%s %s/%s", info.GoVersion, runtime.GOOS, runtime.GOARCH)
	switch {
	case commit == "":
		build = "commit unknown; " + build
	case modified:
		build = fmt.Sprintf("commit %.12s, modified; %s", commit, build)
	default:
		build = fmt.Sprintf("commit %.12s; %s", commit, build)
	}
	return fmt.Sprintf("export-notifier %s (%s)", info.Main.Version, build)
}
