package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"runtime/pprof"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/export-notifier/export-notifier/internal/cli"
)

var peakProfile = flag.String("peakprofile", "", "BenchmarkPeakLiveHeap: write a heap profile to this path (with the scenario's name added) each time the live heap reaches a new high")

// BenchmarkPeakLiveHeap runs the peak-RSS goals' two cycles of poll in
// this process and reports the highest live heap (as of the last
// collection) and heap in objects the second cycle reached: steadier
// than a peak RSS, and with -peakprofile it says what is held then.
//
//	go test -run=^$ -bench=PeakLiveHeap ./internal/bench -args -peakprofile=/tmp/peak.pprof
func BenchmarkPeakLiveHeap(b *testing.B) {
	b.Run("all-finishing", func(b *testing.B) {
		peakLiveHeap(b, "all", goalAllFinishAt, simulatorScript{First: memoryFirstID, Fast: goalAllFinishAt, Every: 1})
	})
	b.Run("pending", func(b *testing.B) {
		peakLiveHeap(b, "pending", goalPendingAt, simulatorScript{First: memoryFirstID})
	})
}

func peakLiveHeap(b *testing.B, name string, n int, script simulatorScript) {
	sim, err := startSimulatorChild(script)
	if err != nil {
		b.Fatal(err)
	}
	defer sim.stop()
	dir := b.TempDir()
	ids := filepath.Join(dir, "ids.txt")
	if err := os.WriteFile(ids, []byte(idList(memoryFirstID, n)), 0o600); err != nil {
		b.Fatal(err)
	}
	env := map[string]string{}
	for _, kv := range pollEnv(sim.URL, dir, "@"+ids, "POLL_CONCURRENCY=16", "POLL_QPS=10000", "POLL_TIMEOUT=240s") {
		k, v, _ := strings.Cut(kv, "=")
		env[k] = v
	}
	poll := func() {
		cliEnv := cli.Env{Stdout: &bytes.Buffer{}, Stderr: io.Discard, Getenv: func(k string) string { return env[k] }}
		if code := cli.Run(context.Background(), []string{"poll"}, cliEnv); code != 0 {
			b.Fatalf("poll exited with %d", code)
		}
	}
	profile := ""
	if *peakProfile != "" {
		profile = *peakProfile + "." + name
	}
	var live, objects uint64
	for b.Loop() {
		b.StopTimer()
		poll() // the first cycle: every export new
		b.StartTimer()
		live, objects = highWater(poll, profile)
	}
	b.ReportMetric(float64(live)/1e6, "live-MB")
	b.ReportMetric(float64(objects)/1e6, "objects-MB")
}

// highWater runs run while sampling the heap every 2 ms, and returns the
// highest live heap and heap in objects it saw.
func highWater(run func(), profile string) (live, objects uint64) {
	runtime.GC()
	samples := []metrics.Sample{{Name: "/gc/heap/live:bytes"}, {Name: "/memory/classes/heap/objects:bytes"}}
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		tick := time.NewTicker(2 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-tick.C:
			}
			metrics.Read(samples)
			if v := samples[0].Value.Uint64(); v > live {
				if profile != "" && v > live+live/20 {
					writeHeapProfile(profile)
				}
				live = v
			}
			objects = max(objects, samples[1].Value.Uint64())
		}
	})
	run()
	close(done)
	wg.Wait()
	return live, objects
}

func writeHeapProfile(path string) {
	f, err := os.Create(path)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return
	}
	defer f.Close()
	if err := pprof.WriteHeapProfile(f); err != nil {
		fmt.Fprintln(os.Stderr, err)
	}
}
