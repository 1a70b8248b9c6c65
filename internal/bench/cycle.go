package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"time"

	"github.com/export-notifier/export-notifier/credential"
	"github.com/export-notifier/export-notifier/event"
	"github.com/export-notifier/export-notifier/exports"
	"github.com/export-notifier/export-notifier/handler"
	"github.com/export-notifier/export-notifier/internal/sassim"
	"github.com/export-notifier/export-notifier/notify/sinks"
	"github.com/export-notifier/export-notifier/state"
)

// cycleSetup is one timed cycle: how many exports, how slow Security
// Center is, and the POLL_CONCURRENCY and POLL_QPS the cycle runs with.
type cycleSetup struct {
	Exports     int
	Latency     time.Duration
	Concurrency int
	QPS         float64
	// SimMaxQPS caps the simulator's rate (sassim.Options.MaxQPS); 0 means
	// no cap.
	SimMaxQPS float64
}

// cycleOutcome is what one timed cycle gave.
type cycleOutcome struct {
	Elapsed     time.Duration
	Checked     int
	CheckFailed int
	Skipped     int
	Calls       int // requests the simulator served
	Throttled   int // of which refused as Throttling
	Connections int // TCP connections the client opened
}

// ideal is the shortest a cycle can take: every call waits the latency,
// Concurrency at a time, and no faster than QPS allows.
func (s cycleSetup) ideal() time.Duration {
	rounds := (s.Exports + s.Concurrency - 1) / s.Concurrency
	byLatency := time.Duration(rounds) * s.Latency
	byRate := time.Duration(float64(s.Exports) / s.QPS * float64(time.Second))
	return max(byLatency, byRate)
}

// demoCredentials are the ones the simulator accepts.
var demoCredentials = credential.Static{AccessKeyID: sassim.DemoAccessKeyID, AccessKeySecret: sassim.DemoAccessKeySecret}

// timeCycle runs one cycle in this process over setup.Exports fresh
// exports (all at init, so nothing is announced) against an in-process
// simulator, with a file state in dir and the console sink writing
// nowhere, and times Cycle.Run from its start to its return: load, poll,
// decide, claim commit.
func timeCycle(ctx context.Context, setup cycleSetup, dir string) (cycleOutcome, error) {
	sim := sassim.New(sassim.Options{Latency: setup.Latency, MaxQPS: setup.SimMaxQPS})
	var conns atomic.Int64
	srv := httptest.NewUnstartedServer(sim)
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	srv.Start()
	defer srv.Close()

	client, err := exports.New(exports.Config{Endpoint: srv.URL, Credentials: demoCredentials})
	if err != nil {
		return cycleOutcome{}, err
	}
	defer client.Close()
	store, err := state.Open(ctx, "file://"+dir, state.Options{})
	if err != nil {
		return cycleOutcome{}, err
	}
	notifiers, err := sinks.FromEnv(func(string) string { return "" }, io.Discard)
	if err != nil {
		return cycleOutcome{}, err
	}
	cycle := &handler.Cycle{
		Config:  cycleConfig(refs(1, setup.Exports), setup.Concurrency, setup.QPS),
		Checker: client,
		Store:   store,
		Sinks:   notifiers,
		// JSON, as on FC, so that logging each export costs what it costs
		// there.
		Log: slog.New(slog.NewJSONHandler(io.Discard, nil)),
	}
	// Polling gets half of the cycle's time: leave room for the slowest
	// run (concurrency 1) and more.
	runCtx, cancel := context.WithTimeout(ctx, 4*setup.ideal()+time.Minute)
	defer cancel()
	start := time.Now()
	res, err := cycle.Run(runCtx, handler.Options{})
	elapsed := time.Since(start)
	if err != nil {
		return cycleOutcome{}, fmt.Errorf("cycle over %d exports: %w", setup.Exports, err)
	}
	return cycleOutcome{
		Elapsed:     elapsed,
		Checked:     res.Checked,
		CheckFailed: res.CheckFailed,
		Skipped:     res.Skipped,
		Calls:       len(sim.Calls()),
		Throttled:   sim.Throttled(),
		Connections: int(conns.Load()),
	}, nil
}

// refs names n asset exports with consecutive IDs from first.
func refs(first int64, n int) []event.Ref {
	out := make([]event.Ref, n)
	for i := range out {
		out[i] = event.Ref{Kind: event.Asset, ID: first + int64(i)}
	}
	return out
}

// cycleConfig is the configuration ConfigFromEnv gives by default, with
// the exports and the pace given.
func cycleConfig(watch []event.Ref, concurrency int, qps float64) handler.Config {
	return handler.Config{
		ExportIDs:   watch,
		NotifyOn:    map[event.Type]bool{event.Completed: true, event.Failed: true, event.Stalled: true},
		StallAfter:  handler.DefaultStallAfter,
		Concurrency: concurrency,
		QPS:         qps,
		Retention:   state.DefaultRetention,
		Region:      exports.DefaultRegion,
	}
}
