// Command export-notifier tells people when Alibaba Cloud Security Center
// exports are ready. On Function Compute (FC_RUNTIME_API set) it serves
// timer invocations; anywhere else it is a command line tool.
package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"runtime/debug"
	"strconv"
	"sync"
	"syscall"

	"github.com/aliyun/fc-runtime-go-sdk/fc"
	"github.com/aliyun/fc-runtime-go-sdk/fccontext"

	"github.com/export-notifier/export-notifier/credential"
	"github.com/export-notifier/export-notifier/handler"
	"github.com/export-notifier/export-notifier/internal/app"
	"github.com/export-notifier/export-notifier/internal/cli"
	"github.com/export-notifier/export-notifier/scrub"
)

func main() {
	if os.Getenv("FC_RUNTIME_API") != "" {
		serveFC()
		return
	}
	setCLIGarbageCollection(os.Getenv)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Run(ctx, os.Args[1:], cli.Env{Stdout: os.Stdout, Stderr: os.Stderr, Getenv: os.Getenv})
	stop()
	os.Exit(code)
}

// cliGCPercent is the garbage collector's target on the command line (see
// setCLIGarbageCollection).
const cliGCPercent = 50

// setCLIGarbageCollection makes the command line collect when its heap has
// grown by half of what was live after the last collection, not by all of
// it (Go's default, GOGC=100), unless GOGC or GOMEMLIMIT says otherwise. A
// cycle's heap is mostly the state it loaded, which lives for the whole
// cycle, and its time mostly waiting on Security Center and the sinks: the
// extra collections cost a few percent of CPU, the default's headroom a
// whole state's worth of memory (see docs/performance.md).
func setCLIGarbageCollection(getenv func(string) string) {
	if getenv("GOGC") == "" && getenv("GOMEMLIMIT") == "" {
		debug.SetGCPercent(cliGCPercent)
	}
}

// setMemoryLimit keeps the heap within three quarters of the function's
// memory (megabytes, as FC reports it): otherwise Go lets a large cycle's
// heap double before collecting, and FC kills an instance that outgrows
// its memory. GOMEMLIMIT, when set, wins.
func setMemoryLimit(megabytes string, log *slog.Logger) {
	if os.Getenv("GOMEMLIMIT") != "" {
		return
	}
	mb, err := strconv.ParseInt(megabytes, 10, 64)
	if err != nil || mb <= 0 {
		return
	}
	limit := mb << 20 * 3 / 4
	debug.SetMemoryLimit(limit)
	log.Debug("memory limit set", "bytes", limit, "functionMemoryMB", mb)
}

// serveFC hands each invocation to one cycle (see fcHandler).
func serveFC() {
	secrets := app.NewSecrets(os.Getenv)
	log, err := app.NewLogger(os.Getenv, os.Stdout, true, secrets)
	if err != nil {
		fc.Start(func(context.Context, []byte) (handler.Result, error) { return handler.Result{}, err })
		return
	}
	f := &fcHandler{log: log, secrets: secrets}
	fc.Start(f.invoke)
}

// fcHandler runs each invocation as a cycle. The cycle is built on the
// first invocation, with its STS credentials, and kept; building fails the
// invocation with the reason (bad configuration, or a state store that
// could not be reached), so FC's console and alerts show it, and the next
// invocation tries again.
type fcHandler struct {
	log         *slog.Logger
	secrets     *scrub.Live // the process's secrets; each invocation's credentials join them
	limitMemory sync.Once

	mu    sync.Mutex
	built *handler.Cycle
}

// invoke runs one invocation's cycle.
func (f *fcHandler) invoke(ctx context.Context, raw []byte) (res handler.Result, err error) {
	defer func() {
		// The SDK recovers panics too, but this keeps the message ours
		// and logs the stack where SLS indexes it.
		if p := recover(); p != nil {
			f.log.Error("cycle panicked", "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
			err = fmt.Errorf("cycle panicked: %v", p)
		}
		// FC shows the error in its console, unscrubbed by the logger.
		err = f.secrets.Secrets().Error(err)
	}()
	ctx = f.withInvocation(ctx)
	in, err := handler.ParseInvocation(raw)
	if err != nil {
		f.log.Error("bad invocation payload", "error", err)
		return handler.Result{}, err
	}
	c, err := f.cycle(ctx)
	if err != nil {
		f.log.Error("cannot set up the cycle", "error", err)
		return handler.Result{}, err
	}
	res, err = c.Run(ctx, handler.Options{Refs: in.Refs, Starts: in.Starts, Trigger: in.Trigger})
	var inputErr *handler.InputError
	if err != nil && !errors.As(err, &inputErr) {
		f.log.Error("cycle failed", "error", err)
	}
	return res, err
}

// withInvocation reads FC's context for the invocation: it sets the memory
// limit once, logs the invocation, and returns ctx carrying the
// invocation's own STS credentials (FC refreshes them per invocation,
// which the instance's environment may not be).
func (f *fcHandler) withInvocation(ctx context.Context) context.Context {
	fctx, ok := fccontext.FromContext(ctx)
	if !ok {
		return ctx
	}
	f.limitMemory.Do(func() { setMemoryLimit(fctx.Function.Memory, f.log) })
	c := fctx.Credentials
	creds := credential.Credentials{AccessKeyID: c.AccessKeyId, AccessKeySecret: c.AccessKeySecret, SecurityToken: c.SecurityToken}
	app.AddCredentials(f.secrets, creds) // before anything can echo them
	ctx = credential.WithContext(ctx, creds)
	f.log.Info("invocation", "requestId", fctx.RequestID, "retryCount", fctx.RetryCount)
	return ctx
}

// cycle is the kept cycle, built now if no invocation built it yet.
func (f *fcHandler) cycle(ctx context.Context) (*handler.Cycle, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.built != nil {
		return f.built, nil
	}
	c, err := app.NewCycle(ctx, app.Setup{
		Getenv: os.Getenv, Credentials: credential.Default(), Console: os.Stderr, Log: f.log, OnFC: true, Secrets: f.secrets,
	})
	if err != nil {
		return nil, err
	}
	f.built = c
	return c, nil
}
