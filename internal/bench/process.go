package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/export-notifier/export-notifier/internal/sassim"
)

// binaryRun is one `export-notifier poll` of the real binary.
type binaryRun struct {
	Elapsed time.Duration // from start to exit
	MaxRSS  int64         // bytes, the child's peak resident set
	Checked int
	Failed  int
}

// pollEnv is the environment of a child poll: the simulator's endpoint and
// demo credentials, state in stateDir, the console sink, no cloud look-ups
// and no profile from the real home directory.
func pollEnv(endpoint, stateDir, ids string, extra ...string) []string {
	return append([]string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + stateDir,
		"ALIBABA_CLOUD_ECS_METADATA_DISABLED=true",
		"ALIBABA_CLOUD_ACCESS_KEY_ID=" + sassim.DemoAccessKeyID,
		"ALIBABA_CLOUD_ACCESS_KEY_SECRET=" + sassim.DemoAccessKeySecret,
		"SAS_ENDPOINT=" + endpoint,
		"STATE_URL=file://" + stateDir,
		"EXPORT_IDS=" + ids,
	}, extra...)
}

// runPoll runs the binary's poll once and reads its peak RSS from the
// kernel's account of the child (rusage ru_maxrss, in KiB on Linux). The
// child's output goes to files and only the counts are read back: a large
// cycle writes megabytes, and whatever this process once held would be
// counted in every later child's figure (see memory).
func runPoll(ctx context.Context, binary string, env []string) (binaryRun, error) {
	stdout, err := os.CreateTemp("", "bench-poll-stdout-")
	if err != nil {
		return binaryRun{}, err
	}
	defer os.Remove(stdout.Name())
	defer stdout.Close()
	stderr, err := os.CreateTemp("", "bench-poll-stderr-")
	if err != nil {
		return binaryRun{}, err
	}
	defer os.Remove(stderr.Name())
	defer stderr.Close()
	cmd := exec.CommandContext(ctx, binary, "poll")
	cmd.Env = env
	cmd.Stdout, cmd.Stderr = stdout, stderr
	start := time.Now()
	err = cmd.Run()
	run := binaryRun{Elapsed: time.Since(start)}
	if err != nil {
		return run, fmt.Errorf("%s poll: %w: %s", binary, err, lastLine(fileTail(stderr)))
	}
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		run.MaxRSS = ru.Maxrss * 1024
	}
	if _, err := stdout.Seek(0, io.SeekStart); err != nil {
		return run, err
	}
	if run.Checked, run.Failed, err = resultCounts(stdout); err != nil {
		return run, fmt.Errorf("%s poll printed no result: %w", binary, err)
	}
	return run, nil
}

// resultCounts reads a cycle's result token by token up to its checked
// and checkFailed counts, which come before its lists of exports and
// events, so that a large result is never held whole.
func resultCounts(r io.Reader) (checked, failed int, err error) {
	dec := json.NewDecoder(r)
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return 0, 0, fmt.Errorf("not a JSON object (%v): %v", tok, err)
	}
	found := 0
	for found < 2 && dec.More() {
		key, err := dec.Token()
		if err != nil {
			return 0, 0, err
		}
		var into any = new(json.RawMessage)
		switch key {
		case "checked":
			into, found = &checked, found+1
		case "checkFailed":
			into, found = &failed, found+1
		}
		if err := dec.Decode(into); err != nil {
			return 0, 0, fmt.Errorf("%v: %w", key, err)
		}
	}
	if found < 2 {
		return 0, 0, errors.New("no checked and checkFailed counts")
	}
	return checked, failed, nil
}

// fileTail is the last few kilobytes of f, where a failed run's error is.
func fileTail(f *os.File) string {
	const tail = 4 << 10
	end, err := f.Seek(0, io.SeekEnd)
	if err != nil {
		return err.Error()
	}
	buf := make([]byte, min(end, tail))
	if _, err := f.ReadAt(buf, end-int64(len(buf))); err != nil {
		return err.Error()
	}
	return string(buf)
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}

// idList is EXPORT_IDS naming n asset exports from first.
func idList(first int64, n int) string {
	var b strings.Builder
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.FormatInt(first+int64(i), 10))
	}
	return b.String()
}

// startup measures, runs times, the time from starting the binary's poll
// of one export to the simulator receiving its first request, and returns
// the sorted samples. With inState above 0, every run finds that many
// settled exports in its state.
func startup(ctx context.Context, binary, dir string, runs, inState int) ([]time.Duration, error) {
	var (
		mu    sync.Mutex
		first time.Time
	)
	sim := sassim.New(sassim.Options{OnCall: func(c sassim.Call) {
		mu.Lock()
		defer mu.Unlock()
		if first.IsZero() || c.Time.Before(first) {
			first = c.Time // when the request arrived, not when it was answered
		}
	}})
	srv := httptest.NewServer(sim)
	defer srv.Close()
	var samples []time.Duration
	for i := range runs {
		stateDir, err := os.MkdirTemp(dir, "startup-")
		if err != nil {
			return nil, err
		}
		if inState > 0 {
			if err := fillState(ctx, stateDir, inState); err != nil {
				return nil, err
			}
		}
		mu.Lock()
		first = time.Time{}
		mu.Unlock()
		start := time.Now()
		if _, err := runPoll(ctx, binary, pollEnv(srv.URL, stateDir, strconv.Itoa(i+1))); err != nil {
			return nil, err
		}
		mu.Lock()
		got := first
		mu.Unlock()
		if got.IsZero() {
			return nil, fmt.Errorf("%s poll made no request", binary)
		}
		samples = append(samples, got.Sub(start))
	}
	slices.Sort(samples)
	return samples, nil
}

// memoryRun is the peak RSS of two consecutive cycles over the same
// exports, and the state directory they left.
type memoryRun struct {
	First, Next binaryRun
	StateDir    string
}

// memory runs the binary's poll twice over n exports against a
// zero-latency simulator, with POLL_CONCURRENCY 16 and a rate that does
// not bind. The first cycle finds an empty state and commits n exports;
// the next loads them, sees one in ten complete and announces it on the
// console sink, and commits again. extraEnv is added to the binary's
// environment.
//
// The simulator runs in a child process, and memory runs before anything
// else grows this one: Linux reports as a child's ru_maxrss at least the
// RSS of the process that started it (exec records the high-water mark of
// the memory it replaces, which under vfork is the parent's), so a big
// parent would hide the child's own figure.
func memory(ctx context.Context, binary, dir string, n int, extraEnv ...string) (memoryRun, error) {
	return memoryWith(ctx, binary, dir, n, simulatorScript{First: memoryFirstID, Fast: (n + 9) / 10, Every: 10}, extraEnv...)
}

// memoryWith is memory with the simulator scripted as script says. The
// exports are named in a file (EXPORT_IDS=@file) when they would not fit
// in one variable.
func memoryWith(ctx context.Context, binary, dir string, n int, script simulatorScript, extraEnv ...string) (memoryRun, error) {
	sim, err := startSimulatorChild(script)
	if err != nil {
		return memoryRun{}, err
	}
	defer sim.stop()
	stateDir, err := os.MkdirTemp(dir, fmt.Sprintf("memory-%d-", n))
	if err != nil {
		return memoryRun{}, err
	}
	ids := idList(memoryFirstID, n)
	if len(ids) > 64<<10 {
		file := filepath.Join(dir, fmt.Sprintf("ids-%d.txt", n))
		if err := os.WriteFile(file, []byte(ids), 0o600); err != nil {
			return memoryRun{}, err
		}
		ids = "@" + file
	}
	env := pollEnv(sim.URL, stateDir, ids, append([]string{"POLL_CONCURRENCY=16", "POLL_QPS=10000", "POLL_TIMEOUT=240s"}, extraEnv...)...)
	out := memoryRun{StateDir: stateDir}
	for _, run := range []*binaryRun{&out.First, &out.Next} {
		if *run, err = runPoll(ctx, binary, env); err != nil {
			return out, err
		}
		if run.Checked != n || run.Failed != 0 {
			return out, fmt.Errorf("poll over %d exports: %d checked, %d failed", n, run.Checked, run.Failed)
		}
	}
	return out, nil
}

// selfPeakRSS is the high-water mark of this process's own memory
// (VmHWM), in bytes: a child's ru_maxrss is at least this, so figures
// under it would be this process's, not the child's. (This process's own
// ru_maxrss is no guide: it carries that of whatever started it, such as
// go run.)
func selfPeakRSS() int64 {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			if err != nil {
				return 0
			}
			return kb * 1024
		}
	}
	return 0
}
