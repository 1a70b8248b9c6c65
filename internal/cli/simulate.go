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
	if *steps < 0 {
		return fs.usageError(env, fmt.Sprintf("--steps %d: want a positive number", *steps))
	}
	if *latency < 0 {
		return fs.usageError(env, fmt.Sprintf("--latency %s: want a positive duration", *latency))
	}
	var sc sassim.Scenario
	if *scenarioPath != "" {
		var err error
		if sc, err = sassim.LoadScenario(*scenarioPath); err != nil {
			return fs.usageError(env, err.Error())
		}
	}
	if *steps > 0 {
		sc.Options.Steps = *steps
	}
	if *latency > 0 {
		sc.Options.Latency = *latency
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
	srv := &http.Server{Handler: sim, ReadHeaderTimeout: 10 * time.Second}
	endpoint := "http://" + ln.Addr().String()
	id, secret := sc.Options.AccessKeyID, sc.Options.AccessKeySecret
	if id == "" {
		id, secret = sassim.DemoAccessKeyID, sassim.DemoAccessKeySecret
	}
	unscripted := sc.Options.Steps
	if unscripted <= 0 {
		unscripted = sassim.DefaultSteps
	}
	logMu.Lock()
	fmt.Fprintf(env.Stderr, "Security Center simulator listening on %s (%d scripted exports; any other ID succeeds after %d calls)\n",
		endpoint, len(sc.Exports), unscripted)
	fmt.Fprintf(env.Stderr, "Use it from another shell:\n\n")
	fmt.Fprintf(env.Stderr, "  export SAS_ENDPOINT=%s\n", endpoint)
	fmt.Fprintf(env.Stderr, "  export ALIBABA_CLOUD_ACCESS_KEY_ID=%s\n", id)
	fmt.Fprintf(env.Stderr, "  export ALIBABA_CLOUD_ACCESS_KEY_SECRET=%s\n", secret)
	if sc.Options.SecurityToken != "" {
		fmt.Fprintf(env.Stderr, "  export ALIBABA_CLOUD_SECURITY_TOKEN=%s\n", sc.Options.SecurityToken)
	} else {
		fmt.Fprintf(env.Stderr, "  unset ALIBABA_CLOUD_SECURITY_TOKEN\n")
	}
	fmt.Fprintf(env.Stderr, "  export-notifier check --id 131231\n\nStop with Ctrl-C.\n")
	logMu.Unlock()

	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	select {
	case err := <-served:
		fmt.Fprintf(env.Stderr, "export-notifier simulate: %v\n", err)
		return ExitFailed
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		srv.Close()
	}
	<-served
	fmt.Fprintf(env.Stderr, "Security Center simulator stopped after %d calls\n", len(sim.Calls()))
	return ExitOK
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
