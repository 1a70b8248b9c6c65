package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"syscall"
	"testing"
	"time"

	"github.com/export-notifier/export-notifier/exports"
	"github.com/export-notifier/export-notifier/handler"
	"github.com/export-notifier/export-notifier/notify/sinks"
	"github.com/export-notifier/export-notifier/state"
)

// cyclePerExport is the number of exports in each cycle the CPU benchmark
// runs; one op is one export's share.
const cyclePerExport = 1000

// benchmarkExport measures one export's share of a poll cycle with no
// simulated latency: signing and sending its request, parsing the answer,
// deciding, logging, and its share of loading and committing the state
// (the in-memory store, which encodes and decodes like the others, without
// the disk). Cycles of cyclePerExport fresh exports run until b.N exports
// are done. Besides ns/op (wall time) and allocs/op it reports cpu-ns/op:
// this process's CPU time, user and system, per export. It returns what
// went wrong rather than failing b, so that a program can report it.
func benchmarkExport(b *testing.B, endpoint string) error {
	ctx := context.Background()
	client, err := exports.New(exports.Config{Endpoint: endpoint, Credentials: demoCredentials})
	if err != nil {
		return err
	}
	defer client.Close()
	notifiers, err := sinks.FromEnv(func(string) string { return "" }, io.Discard)
	if err != nil {
		return err
	}
	log := slog.New(slog.NewJSONHandler(io.Discard, nil))
	next := int64(1) << 40 // IDs no earlier run used, so each starts at init
	b.ReportAllocs()
	cpuStart := processCPU()
	b.ResetTimer()
	for done := 0; done < b.N; {
		n := min(cyclePerExport, b.N-done)
		cycle := &handler.Cycle{
			Config:  cycleConfig(refs(next, n), handler.DefaultConcurrency, 10000),
			Checker: client,
			Store:   state.NewMemory(),
			Sinks:   notifiers,
			Log:     log,
		}
		runCtx, cancel := context.WithTimeout(ctx, time.Minute)
		res, err := cycle.Run(runCtx, handler.Options{})
		cancel()
		if err != nil {
			return err
		}
		if res.Checked != n || res.CheckFailed != 0 {
			return fmt.Errorf("cycle over %d exports: %d checked, %d failed", n, res.Checked, res.CheckFailed)
		}
		next += int64(n)
		done += n
	}
	b.StopTimer()
	b.ReportMetric(float64(processCPU()-cpuStart)/float64(b.N), "cpu-ns/op")
	return nil
}

// processCPU is the CPU time this process has used, user and system.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// cpuFigures runs the benchmark once, the simulator in a child process.
func cpuFigures() (testing.BenchmarkResult, error) {
	child, err := startSimulatorChild(simulatorScript{})
	if err != nil {
		return testing.BenchmarkResult{}, err
	}
	defer child.stop()
	var failure error
	res := testing.Benchmark(func(b *testing.B) {
		if err := benchmarkExport(b, child.URL); err != nil && failure == nil {
			failure = err
		}
	})
	return res, failure
}
