package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/export-notifier/export-notifier/exports"
	"github.com/export-notifier/export-notifier/handler"
	"github.com/export-notifier/export-notifier/internal/sassim"
	"github.com/export-notifier/export-notifier/notify"
	"github.com/export-notifier/export-notifier/state"
)

// simulatorChildEnv, set in the environment of this program (or of its
// test binary), makes it serve the simulator instead: the CPU benchmark
// runs the simulator in another process so that its signature checks and
// JSON are not counted as the client's.
const simulatorChildEnv = "EXPORT_NOTIFIER_BENCH_SIMULATOR"

// serveSimulatorIfChild serves a zero-latency simulator on a loopback port
// when this process was started as the simulator child: it prints the
// endpoint on stdout and serves until stdin is closed (the parent exited).
// It reports whether it did.
func serveSimulatorIfChild() bool {
	if os.Getenv(simulatorChildEnv) == "" {
		return false
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, "simulator child:", err)
		os.Exit(1)
	}
	srv := &http.Server{Handler: sassim.New(sassim.Options{}), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	fmt.Println("http://" + ln.Addr().String())
	_, _ = io.Copy(io.Discard, os.Stdin)
	return true
}

// simulatorChild is a simulator served by a copy of this executable.
type simulatorChild struct {
	URL   string
	cmd   *exec.Cmd
	stdin io.Closer
}

func startSimulatorChild() (*simulatorChild, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(self)
	cmd.Env = append(os.Environ(), simulatorChildEnv+"=1")
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil || !strings.HasPrefix(line, "http://") {
		stdin.Close()
		_ = cmd.Wait()
		return nil, fmt.Errorf("the simulator child did not print its endpoint (%q): %v", line, err)
	}
	return &simulatorChild{URL: strings.TrimSpace(line), cmd: cmd, stdin: stdin}, nil
}

func (c *simulatorChild) stop() {
	c.stdin.Close()
	_ = c.cmd.Wait()
}

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
	sinks, err := notify.New(notify.Settings{IncludeLink: true}, io.Discard)
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
			Sinks:   sinks,
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
	child, err := startSimulatorChild()
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
