package main

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"

	"github.com/aliyun/alibabacloud-oss-go-sdk-v2/oss"

	"github.com/export-notifier/export-notifier/archive"
	"github.com/export-notifier/export-notifier/credential"
	"github.com/export-notifier/export-notifier/internal/osstest"
	"github.com/export-notifier/export-notifier/state"
)

// archiveChildEnv, set in the environment of this program, makes it copy
// one file instead: "<mode> <link> <oss endpoint>", mode archive (the
// archive package) or copy (a plain io.Copy from a GET to a PUT), so that
// its peak RSS is its own.
const archiveChildEnv = "EXPORT_NOTIFIER_BENCH_ARCHIVE"

// The archive's goals: a 1 GiB file with peak RSS under 64 MB, at no less
// than 80% of a plain copy between the same servers.
const (
	archiveBytes      = 1 << 30
	goalArchiveRSS    = 64e6
	goalArchiveRatio  = 0.80
	archiveBenchCreds = "bench-secret"
)

// sourceFile serves size bytes of a repeated random block with their
// length, standing in for Security Center's download link.
func sourceFile(size int64) http.Handler {
	block := make([]byte, 1<<20)
	r := rand.NewChaCha8([32]byte{7})
	_, _ = r.Read(block)
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Length", strconv.FormatInt(size, 10))
		for left := size; left > 0; {
			n := min(left, int64(len(block)))
			if _, err := w.Write(block[:n]); err != nil {
				return
			}
			left -= n
		}
	})
}

// archiveRun is one child's copy.
type archiveRun struct {
	Elapsed time.Duration
	MaxRSS  int64
	CPU     time.Duration // user and system, steadier than Elapsed on a shared machine
}

// archiveRows copies a 1 GiB file with the archive and with a plain
// io.Copy, each in a child process, between the same local servers: a
// file source and a local OSS (keeping sizes and CRCs only).
func archiveRows(ctx context.Context) ([]row, error) {
	dir, err := os.MkdirTemp("", "export-notifier-bench-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	progress("archive: %d exports completing at once under %d overlapping cycles", overlapExports, overlapCycles)
	overlap, err := overlapRow(ctx, dir)
	if err != nil {
		return nil, err
	}
	src := httptest.NewServer(sourceFile(archiveBytes))
	defer src.Close()
	fake, ossSrv := osstest.New("bench-archive")
	fake.Discard = true
	defer ossSrv.Close()
	runs := map[string]archiveRun{}
	for _, mode := range []string{"copy", "archive", "copy", "archive", "copy", "archive"} { // alternated, best of three
		progress("archive: %s of %d MiB", mode, archiveBytes>>20)
		run, err := archiveChild(ctx, mode, src.URL+"/export.zip?Expires=4102444800", ossSrv.URL)
		if err != nil {
			return nil, err
		}
		if best, ok := runs[mode]; ok { // the fastest, the highest peak, the least CPU
			run.Elapsed, run.MaxRSS, run.CPU = min(run.Elapsed, best.Elapsed), max(run.MaxRSS, best.MaxRSS), min(run.CPU, best.CPU)
		}
		runs[mode] = run
	}
	plain, arch := runs["copy"], runs["archive"]
	speed := func(r archiveRun) float64 { return float64(archiveBytes) / r.Elapsed.Seconds() / 1e6 }
	ratio := speed(arch) / speed(plain)
	return []row{
		overlap,
		{Figure: "peak RSS, archiving a 1 GiB export", Measured: megabytes(arch.MaxRSS), Goal: "< 64 MB", Met: met(arch.MaxRSS < goalArchiveRSS),
			Notes: fmt.Sprintf("the copying process alone; multipart in %d MiB parts; a plain copy peaks at %s", archive.PartSize>>20, megabytes(plain.MaxRSS))},
		{Figure: "archive throughput, 1 GiB", Measured: fmt.Sprintf("%.0f MB/s", speed(arch)), Ideal: fmt.Sprintf("%.0f MB/s", speed(plain)),
			Ratio: fmt.Sprintf("%.2f", ratio), Goal: ">= 0.80 of io.Copy", Met: met(ratio >= goalArchiveRatio),
			Notes: "best of 3 each, alternated; ideal = a plain io.Copy from the same GET to one PUT on the same local OSS; the archive also checks CRC-64 and size"},
		{Figure: "CPU of the copying process, 1 GiB", Measured: seconds(arch.CPU), Ideal: seconds(plain.CPU),
			Ratio: fmt.Sprintf("%.2f", plain.CPU.Seconds()/arch.CPU.Seconds()), Goal: "—",
			Notes: "least of 3 each, user and system; steadier than the throughput when other work shares the CPUs"},
	}, nil
}

// archiveChild runs this program as an archive child and reads the time,
// peak RSS and CPU time it reports.
func archiveChild(ctx context.Context, mode, link, endpoint string) (archiveRun, error) {
	exe, err := os.Executable()
	if err != nil {
		return archiveRun{}, err
	}
	cmd := exec.CommandContext(ctx, exe)
	cmd.Env = append(os.Environ(), archiveChildEnv+"="+mode+" "+link+" "+endpoint)
	out, err := cmd.Output()
	if err != nil {
		return archiveRun{}, fmt.Errorf("archive child (%s): %w", mode, err)
	}
	// The child says its own peak: the kernel's account of a child
	// (ru_maxrss) starts from this process's peak, as the child began as
	// a copy of it, and this process may by now be far larger.
	var elapsed, cpu string
	var run archiveRun
	if _, err := fmt.Sscan(string(out), &elapsed, &run.MaxRSS, &cpu); err != nil {
		return archiveRun{}, fmt.Errorf("archive child (%s) printed %q", mode, out)
	}
	run.Elapsed, err = time.ParseDuration(elapsed)
	if err == nil {
		run.CPU, err = time.ParseDuration(cpu)
	}
	if err != nil {
		return archiveRun{}, fmt.Errorf("archive child (%s) printed %q", mode, out)
	}
	return run, nil
}

// copyIfArchiveChild does the child's copy and prints how long it took,
// its peak RSS and its CPU time, when this process is an archive child. It reports whether it was.
func copyIfArchiveChild() bool {
	value := os.Getenv(archiveChildEnv)
	if value == "" {
		return false
	}
	f := strings.Fields(value)
	if len(f) != 3 {
		fmt.Fprintf(os.Stderr, "archive child: %s=%q\n", archiveChildEnv, value)
		os.Exit(1)
	}
	ctx := context.Background()
	start := time.Now()
	var err error
	if f[0] == "archive" {
		err = archiveOnce(ctx, f[1], f[2])
	} else {
		err = plainCopy(ctx, f[1], f[2])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "archive child:", err)
		os.Exit(1)
	}
	fmt.Println(time.Since(start), selfPeakRSS(), processCPU())
	return true
}

func archiveOnce(ctx context.Context, link, endpoint string) error {
	env := map[string]string{"OSS_ENDPOINT": endpoint, "OSS_REGION": "cn-hangzhou"}
	a, err := archive.Open(ctx, "oss://bench-archive/sas", archive.Options{
		OSSConfig: func() (*oss.Config, error) {
			return state.OSSConfig(state.Options{Credentials: credential.Static{AccessKeyID: "AKIDBENCH", AccessKeySecret: archiveBenchCreds},
				Getenv: func(k string) string { return env[k] }, RequestTimeout: time.Minute})
		},
		HTTP: archive.NewHTTPClient(),
	})
	if err != nil {
		return err
	}
	key := fmt.Sprintf("bench/%d/export.zip", time.Now().UnixNano())
	obj, err := a.Copy(ctx, link, key)
	if err == nil && obj.Size != archiveBytes {
		err = fmt.Errorf("archived %d bytes", obj.Size)
	}
	return err
}

// plainCopy is the reference: the body of a GET streamed into one PUT.
func plainCopy(ctx context.Context, link, endpoint string) error {
	res, err := http.Get(link)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	req, err := http.NewRequestWithContext(ctx, http.MethodPut, endpoint+"/bench-archive/plain/"+strconv.FormatInt(time.Now().UnixNano(), 10), io.NopCloser(res.Body))
	if err != nil {
		return err
	}
	req.ContentLength = res.ContentLength
	put, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	put.Body.Close()
	if put.StatusCode != http.StatusOK {
		return fmt.Errorf("PUT: %s", put.Status)
	}
	return nil
}
