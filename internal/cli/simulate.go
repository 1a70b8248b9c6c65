package cli

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/export-notifier/export-notifier/internal/sassim"
)

// runSimulate serves the Security Center simulator until ctx is cancelled.
func runSimulate(ctx context.Context, args []string, env Env) int {
	fs := newFlags("simulate", "simulate [--addr 127.0.0.1:8741] [--scenario file.json] [--steps N] [--latency D] [--quiet]",
		"Serves a Security Center simulator until interrupted. Every export ID works;\n"+
			"a scenario file scripts exports' pace and faults. It prints the settings that\n"+
			"point export-notifier at it.",
		"simulate",
		"simulate --addr 127.0.0.1:9000 --steps 5 --latency 200ms")
	addr := fs.String("addr", "127.0.0.1:8741", "address to listen on")
	scenarioPath := fs.String("scenario", "", "JSON scenario file (see internal/sassim.Scenario)")
	steps := fs.Int("steps", 0, "calls an unscripted export takes to succeed (default 3, or the scenario's)")
	latency := fs.Duration("latency", 0, "latency added to every call (default none, or the scenario's)")
	quiet := fs.Bool("quiet", false, "do not log each call")
	if code, done := parseFlags(fs, args, env); done {
		return code
	}
	sc, problem := simulatorScenario(*scenarioPath, *steps, *latency)
	if problem != "" {
		return fs.usageError(env, problem)
	}
	var logMu sync.Mutex
	if !*quiet {
		sc.Options.OnCall = func(c sassim.Call) {
			logMu.Lock()
			defer logMu.Unlock()
			logSimulatedCall(env.Stderr, c)
		}
	}
	sim := sc.Simulator()

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return checkUsageError(env.Stderr, "simulate", fmt.Sprintf("--addr %q: %v", *addr, err))
	}
	logMu.Lock()
	printSimulatorUse(env.Stderr, "http://"+ln.Addr().String(), sc)
	logMu.Unlock()

	if err := serveUntilDone(ctx, &http.Server{Handler: sim, ReadHeaderTimeout: 10 * time.Second}, ln); err != nil {
		fmt.Fprintf(env.Stderr, "export-notifier simulate: %v\n", err)
		return ExitFailed
	}
	fmt.Fprintf(env.Stderr, "Security Center simulator stopped after %d calls\n", len(sim.Calls()))
	return ExitOK
}

// simulatorScenario is the scenario the flags ask for: the file's (none
// for ""), with steps and latency overriding its options when set; or
// what is wrong with them.
func simulatorScenario(path string, steps int, latency time.Duration) (sassim.Scenario, string) {
	if steps < 0 {
		return sassim.Scenario{}, fmt.Sprintf("--steps %d: want a positive number", steps)
	}
	if latency < 0 {
		return sassim.Scenario{}, fmt.Sprintf("--latency %s: want a positive duration", latency)
	}
	var sc sassim.Scenario
	if path != "" {
		var err error
		if sc, err = sassim.LoadScenario(path); err != nil {
			return sassim.Scenario{}, err.Error()
		}
	}
	if steps > 0 {
		sc.Options.Steps = steps
	}
	if latency > 0 {
		sc.Options.Latency = latency
	}
	return sc, ""
}

// printSimulatorUse says where the simulator listens and the settings that
// point export-notifier at it.
func printSimulatorUse(w io.Writer, endpoint string, sc sassim.Scenario) {
	id, secret := sc.Options.AccessKeyID, sc.Options.AccessKeySecret
	if id == "" {
		id, secret = sassim.DemoAccessKeyID, sassim.DemoAccessKeySecret
	}
	unscripted := sc.Options.Steps
	if unscripted <= 0 {
		unscripted = sassim.DefaultSteps
	}
	fmt.Fprintf(w, "Security Center simulator listening on %s (%d scripted exports; any other ID succeeds after %d calls)\n",
		endpoint, len(sc.Exports), unscripted)
	fmt.Fprintf(w, "Use it from another shell:\n\n")
	fmt.Fprintf(w, "  export SAS_ENDPOINT=%s\n", endpoint)
	fmt.Fprintf(w, "  export ALIBABA_CLOUD_ACCESS_KEY_ID=%s\n", id)
	fmt.Fprintf(w, "  export ALIBABA_CLOUD_ACCESS_KEY_SECRET=%s\n", secret)
	if sc.Options.SecurityToken != "" {
		fmt.Fprintf(w, "  export ALIBABA_CLOUD_SECURITY_TOKEN=%s\n", sc.Options.SecurityToken)
	} else {
		fmt.Fprintf(w, "  unset ALIBABA_CLOUD_SECURITY_TOKEN\n")
	}
	fmt.Fprintf(w, "  export-notifier check --id 131231\n\nStop with Ctrl-C.\n")
}

// serveUntilDone serves srv on ln until ctx is cancelled, then shuts it
// down, closing it if the shutdown takes over 5 seconds. The error is why
// serving stopped before ctx was cancelled.
func serveUntilDone(ctx context.Context, srv *http.Server, ln net.Listener) error {
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	select {
	case err := <-served:
		return err
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		srv.Close()
	}
	<-served
	return nil
}

// logSimulatedCall prints one served call; the AccessKey ID is printed,
// never a token.
func logSimulatedCall(w io.Writer, c sassim.Call) {
	outcome := c.Status
	switch {
	case c.HTTPStatus == 0:
		outcome = "connection dropped"
	case c.Code != "":
		outcome = c.Code
	}
	what := c.Action
	if c.Ref.ID != 0 {
		what += " " + c.Ref.String()
	}
	fmt.Fprintf(w, "%s %-45s -> %d %s (request %s)\n", c.Time.Format("15:04:05.000"), what, c.HTTPStatus, outcome, c.RequestID)
}
