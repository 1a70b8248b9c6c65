// Command bench measures export-notifier's speed and memory and prints
// one table: cycle time against the ideal at several concurrencies and
// under a rate cap, the throttling that cap triggers, CPU and allocations
// per export, start-up to the first request and the binary's size, peak
// RSS, and what committing the state costs. Every figure comes from this
// run on this machine, against the Security Center simulator; none is
// asserted. Next to each is its goal and whether it is met.
//
// `make bench` builds target/main and runs it:
//
//	go run ./internal/bench -binary target/main
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"time"
)

// Goals the project holds itself to (docs/performance.md explains them).
const (
	goalCycleRatio    = 1.15 // at concurrency 16, of latency x ceil(N / concurrency)
	goalCappedRatio   = 1.10 // of N / QPS when the rate cap binds
	goalSpeedup       = 12.0 // concurrency 16 over concurrency 1
	goalStartup       = 30 * time.Millisecond
	goalBinaryBytes   = 15e6
	goalRSSBytes      = 64e6 // at 10,000 exports
	goalRSSAtExports  = 10000
	goalConcurrency   = 16
	noBindingQPS      = 10000 // the highest POLL_QPS accepted
	cappedConcurrency = 16
	memoryLimit       = "40MiB" // the GOMEMLIMIT of the extra peak-RSS row
	cycleRepeats      = 3       // runs of each short timed cycle; the best is printed
)

func main() {
	if serveSimulatorIfChild() || copyIfArchiveChild() {
		return
	}
	if err := benchmark(context.Background(), parseFlags()); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

// benchFlags are the command line: what to measure, and how much.
type benchFlags struct {
	binary, concurrencies, memoryAt                                    *string
	n, cappedN, startupRuns, memoryRuns, orgMembers                    *int
	latency                                                            *time.Duration
	qps, orgQPS                                                        *float64
	stateOnly, goalsOnly, memoryOnly, archiveOnly, followOnly, orgOnly *bool
	followSeed                                                         *uint64
}

func parseFlags() benchFlags {
	f := benchFlags{
		binary:        flag.String("binary", "target/main", "the built binary (make build) whose start-up, size and memory are measured"),
		n:             flag.Int("n", 1000, "exports in each timed cycle"),
		cappedN:       flag.Int("capped-n", 1000, "exports in the rate-capped cycle (it takes capped-n / qps seconds)"),
		latency:       flag.Duration("latency", 50*time.Millisecond, "simulated Security Center latency per call in the timed cycles"),
		qps:           flag.Float64("qps", 20, "POLL_QPS of the rate-capped cycle; the simulator throttles above it"),
		concurrencies: flag.String("concurrency", "1,8,16,32", "POLL_CONCURRENCY values to time"),
		startupRuns:   flag.Int("startup-runs", 11, "runs of the binary whose median start-up is printed"),
		memoryAt:      flag.String("memory", "1000,10000", "export counts whose peak RSS and state are measured"),
		memoryRuns:    flag.Int("memory-runs", 5, "runs of each peak-RSS goal's scenario whose median is printed"),
		stateOnly:     flag.Bool("state-only", false, "print only the state layout's figures (no binary needed)"),
		goalsOnly:     flag.Bool("goals-only", false, "print only the state's goals: peak RSS at scale, a commit and a warm load, start-up with a large state, a warm cycle"),
		memoryOnly:    flag.Bool("memory-only", false, "print only the peak-RSS goals: every export finishing in one cycle, and many pending"),
		archiveOnly:   flag.Bool("archive-only", false, "print only the archive's figures: a 1 GiB file's peak RSS and throughput against a plain copy (no binary needed)"),
		followOnly:    flag.Bool("follow-only", false, "print only the following workload's latency table"),
		followSeed:    flag.Uint64("follow-seed", 1, "seed of the following workload's start times and durations"),
		orgMembers:    flag.Int("org-members", 200, "member accounts in the organization-wide schedule (one start item for all, DIGEST=batch)"),
		orgQPS:        flag.Float64("org-qps", 10, "POLL_QPS of the organization-wide schedule; the simulator throttles above it"),
		orgOnly:       flag.Bool("org-only", false, "print only the organization-wide schedule's figures"),
	}
	flag.Parse()
	return f
}

// benchmark measures what f asks for: one group of figures (the -only
// flags), or the following table and then every other figure.
func benchmark(ctx context.Context, f benchFlags) error {
	org := orgSetup{Members: max(*f.orgMembers, 2), QPS: *f.orgQPS, Latency: 5 * time.Millisecond}
	switch {
	case *f.archiveOnly:
		began := time.Now()
		rows, err := archiveRows(ctx)
		if err == nil {
			printReport(began, rows, "")
		}
		return err
	case *f.followOnly:
		return runFollow(ctx, os.Stdout, *f.followSeed)
	case *f.goalsOnly, *f.memoryOnly:
		return runGoals(*f.binary, *f.startupRuns, *f.memoryRuns, *f.memoryOnly)
	case *f.stateOnly:
		return runState()
	case *f.orgOnly:
		return runOrg(org)
	}
	if err := runFollow(ctx, os.Stdout, *f.followSeed); err != nil {
		return err
	}
	fmt.Println()
	conc, err := ints(*f.concurrencies)
	if err != nil {
		return err
	}
	mem, err := ints(*f.memoryAt)
	if err != nil {
		return err
	}
	return run(options{binary: *f.binary, n: *f.n, cappedN: *f.cappedN, latency: *f.latency, qps: *f.qps,
		concurrencies: conc, startupRuns: *f.startupRuns, memoryRuns: *f.memoryRuns, memoryAt: mem, org: org})
}

// options are what the flags ask for.
type options struct {
	binary        string
	n             int // exports in each timed cycle
	cappedN       int // exports in the rate-capped cycle
	latency       time.Duration
	qps           float64 // POLL_QPS of the rate-capped cycle
	concurrencies []int
	startupRuns   int
	memoryRuns    int   // runs of each peak-RSS goal's scenario
	memoryAt      []int // export counts whose peak RSS and state are measured
	org           orgSetup
}

func ints(list string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(list, ",") {
		v, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || v < 1 {
			return nil, fmt.Errorf("%q is not a list of positive numbers", list)
		}
		out = append(out, v)
	}
	return out, nil
}

func progress(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "bench: "+format+"\n", args...)
}

// run measures every figure and prints the table. Peak RSS comes first,
// while this process is small (see memory); the state those runs leave is
// measured next, then start-up and size, the state's goals, CPU, and the
// timed cycles.
func run(opts options) error {
	began := time.Now()
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "export-notifier-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	if _, err := os.Stat(opts.binary); err != nil {
		return fmt.Errorf("%w (run make build first)", err)
	}

	memoryRows, stateDirs, err := memoryFigures(ctx, opts.binary, dir, opts.memoryAt)
	if err != nil {
		return err
	}
	goalMemory, err := goalMemoryRows(ctx, opts.binary, dir, opts.memoryRuns)
	if err != nil {
		return err
	}
	stateRows, err := stateSizeRows(ctx, dir, opts.memoryAt, stateDirs)
	if err != nil {
		return err
	}
	rows, err := startupAndSizeRows(ctx, opts.binary, dir, opts.startupRuns)
	if err != nil {
		return err
	}
	rows = append(append(append(rows, memoryRows...), goalMemory...), stateRows...)
	for _, step := range []func() ([]row, error){
		func() ([]row, error) { return goalStartupRows(ctx, opts.binary, dir, opts.startupRuns) },
		cpuRows,
		func() ([]row, error) { return concurrencyRows(ctx, opts, dir) },
		func() ([]row, error) { return cappedRows(ctx, opts, dir) },
		func() ([]row, error) { return archiveRows(ctx) },
		func() ([]row, error) { return orgRows(ctx, opts.org, dir) },
	} {
		more, err := step()
		if err != nil {
			return err
		}
		rows = append(rows, more...)
	}
	printReport(began, rows, cyclesFootnote)
	return nil
}

// The lines under the table that say what the ideal column holds.
const (
	cyclesFootnote = "Cycles run in one process with the simulator (file state, console sink, JSON logs discarded), timed from Cycle.Run's start to its return.\n" +
		"ideal = latency × ceil(N / concurrency), or N / QPS when the rate binds; for the state's figures, the whole-snapshot layout's in the same run. MB = 10^6 bytes."
	goalsFootnote = "ideal = the whole-snapshot layout's figure, measured in the same run. MB = 10^6 bytes, kB = 10^3 bytes."
)

// printReport prints the table under a line saying where it was measured
// and how long that took, and footnote under it.
func printReport(began time.Time, rows []row, footnote string) {
	fmt.Printf("export-notifier benchmarks: %s/%s, %d CPUs, %s, %s; took %s\n\n",
		runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), runtime.Version(), time.Now().UTC().Format("2006-01-02"), time.Since(began).Round(time.Second))
	printTable(os.Stdout, rows)
	if footnote != "" {
		fmt.Println()
		fmt.Println(footnote)
	}
}

// runState prints the state layout's figures alone.
func runState() error {
	dir, err := os.MkdirTemp("", "export-notifier-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	rows, err := layoutRows(context.Background(), dir)
	if err != nil {
		return err
	}
	printTable(os.Stdout, rows)
	return nil
}

// runOrg prints the organization-wide schedule's figures alone.
func runOrg(org orgSetup) error {
	began := time.Now()
	dir, err := os.MkdirTemp("", "export-notifier-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	rows, err := orgRows(context.Background(), org, dir)
	if err != nil {
		return err
	}
	printReport(began, rows, "")
	return nil
}

// runGoals prints the state's goals alone, or only those of peak RSS.
func runGoals(binary string, runs, memoryRuns int, memoryOnly bool) error {
	began := time.Now()
	dir, err := os.MkdirTemp("", "export-notifier-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	measure := func(ctx context.Context) ([]row, error) { return goalRows(ctx, binary, dir, runs, memoryRuns) }
	if memoryOnly {
		measure = func(ctx context.Context) ([]row, error) { return goalMemoryRows(ctx, binary, dir, memoryRuns) }
	}
	rows, err := measure(context.Background())
	if err != nil {
		return err
	}
	printReport(began, rows, goalsFootnote)
	return nil
}

// timedCycle runs one timed cycle in its own state directory.
func timedCycle(ctx context.Context, setup cycleSetup, dir string) (cycleOutcome, error) {
	stateDir, err := os.MkdirTemp(dir, "cycle-")
	if err != nil {
		return cycleOutcome{}, err
	}
	return timeCycle(ctx, setup, stateDir)
}

func (o cycleOutcome) notes(n int) string {
	s := fmt.Sprintf("%d calls, %d connections opened", o.Calls, o.Connections)
	if o.Checked != n || o.CheckFailed > 0 || o.Skipped > 0 {
		s += fmt.Sprintf("; %d checked, %d failed, %d skipped", o.Checked, o.CheckFailed, o.Skipped)
	}
	return s
}

// thousands writes n with a comma between thousands.
func thousands(n int) string {
	s := strconv.Itoa(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
