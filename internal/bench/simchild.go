package main

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"time"

	"github.com/export-notifier/export-notifier/event"
	"github.com/export-notifier/export-notifier/internal/sassim"
)

// simulatorChildEnv, set in the environment of this program (or of its
// test binary), makes it serve the simulator instead. The CPU benchmark
// runs the simulator in another process so that its signature checks and
// JSON are not counted as the client's; the peak-RSS runs do so that this
// process stays small (see memory).
const simulatorChildEnv = "EXPORT_NOTIFIER_BENCH_SIMULATOR"

// simulatorScript is what the simulator child scripts: Fast exports from
// First, one in Every, succeed on their second call; the rest after
// sassim.DefaultSteps calls.
type simulatorScript struct {
	First       int64
	Fast, Every int
}

func (s simulatorScript) String() string { return fmt.Sprintf("%d:%d:%d", s.First, s.Fast, s.Every) }

// serveSimulatorIfChild serves a zero-latency simulator on a loopback port
// when this process was started as the simulator child: it prints the
// endpoint on stdout and serves until stdin is closed (the parent exited).
// It reports whether it did.
func serveSimulatorIfChild() bool {
	value := os.Getenv(simulatorChildEnv)
	if value == "" {
		return false
	}
	var script simulatorScript
	if _, err := fmt.Sscanf(value, "%d:%d:%d", &script.First, &script.Fast, &script.Every); err != nil {
		fmt.Fprintf(os.Stderr, "simulator child: %s=%q: %v\n", simulatorChildEnv, value, err)
		os.Exit(1)
	}
	sim := sassim.New(sassim.Options{})
	for i := range script.Fast {
		sim.Add(sassim.Export{Ref: event.Ref{Kind: event.Asset, ID: script.First + int64(i*script.Every)}, Steps: 2})
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, "simulator child:", err)
		os.Exit(1)
	}
	srv := &http.Server{Handler: sim, ReadHeaderTimeout: 10 * time.Second}
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

func startSimulatorChild(script simulatorScript) (*simulatorChild, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(self)
	cmd.Env = append(os.Environ(), simulatorChildEnv+"="+script.String())
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
