package cli

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/export-notifier/export-notifier/credential"
	"github.com/export-notifier/export-notifier/event"
	"github.com/export-notifier/export-notifier/handler"
	"github.com/export-notifier/export-notifier/internal/app"
	"github.com/export-notifier/export-notifier/internal/sassim"
	"github.com/export-notifier/export-notifier/notify/console"
)

// demoExports is the demo's scenario: one export that finishes, one the
// caller may not read, one that is throttled before it finishes.
func demoExports() []sassim.Export {
	return []sassim.Export{
		{Ref: event.Ref{Kind: event.Asset, ID: 131231}, Steps: 3, FileName: "asset_export_20261125", TotalCount: 1520},
		{Ref: event.Ref{Kind: event.Vul, ID: 52}, Fault: sassim.Fault{Code: "NoPermission", HTTPStatus: http.StatusForbidden}},
		{Ref: event.Ref{Kind: event.HC, ID: 7}, Steps: 2, FileName: "health_check_export_20261125", TotalCount: 86,
			Fault: sassim.Fault{Code: "Throttling", HTTPStatus: http.StatusBadRequest, Times: 2}},
	}
}

func runDemo(ctx context.Context, args []string, env Env) int {
	fs := newFlags("demo", "demo [--cycles 8]",
		"Runs the whole flow on this machine: starts the Security Center simulator and\n"+
			"a webhook receiver, watches three sample exports (one finishes, one may not\n"+
			"be read, one is throttled first) and shows what the webhook and the console\n"+
			"sinks receive. Needs no cloud account and no configuration.",
		"demo")
	maxCycles := fs.Int("cycles", 8, "give up after this many cycles")
	if code, done := parseFlags(fs, args, env); done {
		return code
	}
	if err := demo(ctx, env, *maxCycles); err != nil {
		fmt.Fprintln(env.Stderr, "export-notifier demo:", err)
		return ExitFailed
	}
	return ExitOK
}

func demo(ctx context.Context, env Env, maxCycles int) error {
	world, err := startDemoWorld()
	if err != nil {
		return err
	}
	defer world.close()
	dir, err := os.MkdirTemp("", "export-notifier-demo-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)

	vars := world.settings("file://" + dir)
	cycle, err := newDemoCycle(ctx, env, vars)
	if err != nil {
		return err
	}
	introduceDemo(env.Stdout, world, vars)
	return runDemoCycles(ctx, env.Stdout, cycle, world.hook, maxCycles)
}

// demoWorld is what the demo's cycles talk to, each on a loopback port:
// the simulator holding the demo's exports, and the webhook receiver.
type demoWorld struct {
	ids     []string // the demo's exports
	simURL  string
	hook    *demoReceiver
	hookURL string
	secret  string   // the webhook's
	stops   []func() // in the order the servers started
}

func startDemoWorld() (*demoWorld, error) {
	w := &demoWorld{}
	sim := sassim.New(sassim.Options{AccessKeyID: sassim.DemoAccessKeyID, AccessKeySecret: sassim.DemoAccessKeySecret, Steps: 3})
	for _, e := range demoExports() {
		sim.Add(e)
		w.ids = append(w.ids, e.Ref.String())
	}
	var err error
	if w.simURL, err = w.serve(sim); err != nil {
		return nil, err
	}
	if w.secret, err = newWebhookSecret(); err == nil {
		w.hook, err = newDemoReceiver(w.secret)
	}
	if err == nil {
		w.hookURL, err = w.serve(w.hook)
	}
	if err != nil {
		w.close()
		return nil, err
	}
	return w, nil
}

// serve serves h on a free loopback port until w is closed.
func (w *demoWorld) serve(h http.Handler) (string, error) {
	url, stop, err := serveLocal(h)
	if err != nil {
		return "", err
	}
	w.stops = append(w.stops, stop)
	return url, nil
}

// close stops the servers, the last started first.
func (w *demoWorld) close() {
	for i := len(w.stops) - 1; i >= 0; i-- {
		w.stops[i]()
	}
}

// settings are the environment the demo's cycle reads, with its state at
// stateURL.
func (w *demoWorld) settings(stateURL string) map[string]string {
	return map[string]string{
		"SAS_ENDPOINT":   w.simURL,
		"EXPORT_IDS":     strings.Join(w.ids, ", "),
		"WEBHOOK_URL":    w.hookURL + "/hooks/export-notifier",
		"WEBHOOK_SECRET": w.secret,
		"STATE_URL":      stateURL,
	}
}

// newDemoCycle builds the cycle from vars, with the simulator's keys, and
// adds the console sink: the demo shows both a local sink and the console
// one.
func newDemoCycle(ctx context.Context, env Env, vars map[string]string) (*handler.Cycle, error) {
	getenv := func(name string) string { return vars[name] }
	secrets := app.NewSecrets(getenv)
	log := slog.New(secrets.Handler(slog.NewTextHandler(env.Stderr, &slog.HandlerOptions{Level: slog.LevelError})))
	cycle, err := app.NewCycle(ctx, app.Setup{
		Getenv:      getenv,
		Credentials: credential.Static{AccessKeyID: sassim.DemoAccessKeyID, AccessKeySecret: sassim.DemoAccessKeySecret},
		Console:     env.Stderr,
		Log:         log,
		Secrets:     secrets,
	})
	if err != nil {
		return nil, err
	}
	cycle.Sinks = append(cycle.Sinks, console.New(env.Stderr, true))
	if vars["FOLLOW_FOR"] == "" {
		cycle.Config.FollowFor = 0 // one pass, as the command line does by default
	}
	return cycle, nil
}

// introduceDemo says what the demo watches, what to expect and where
// everything is.
func introduceDemo(out io.Writer, w *demoWorld, vars map[string]string) {
	fmt.Fprintf(out, "export-notifier demo: watching %s\n", vars["EXPORT_IDS"])
	fmt.Fprintln(out, "  asset:131231 finishes after a few checks; vul:52 is not readable (NoPermission);")
	fmt.Fprintln(out, "  hc:7 is throttled twice (retried inside the cycle), then finishes.")
	fmt.Fprintf(out, "  Security Center simulator  %s\n", w.simURL)
	fmt.Fprintf(out, "  webhook receiver           %s (checks Standard Webhooks signatures)\n", w.hookURL)
	fmt.Fprintf(out, "  console sink               stderr\n")
	fmt.Fprintf(out, "  state                      %s\n\n", vars["STATE_URL"])
}

// runDemoCycles runs cycles, telling each, until the exports settle (then
// the receiver's verdict) or maxCycles have run.
func runDemoCycles(ctx context.Context, out io.Writer, cycle *handler.Cycle, hook *demoReceiver, maxCycles int) error {
	for n := 1; n <= maxCycles; n++ {
		cctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		res, err := cycle.Run(cctx, handler.Options{})
		cancel()
		if err != nil {
			return fmt.Errorf("cycle %d: %w", n, err)
		}
		tellCycle(out, n, res, hook.drain())
		if settled(res) {
			return hook.verdict(out, n)
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
	}
	return fmt.Errorf("the exports did not settle in %d cycles", maxCycles)
}

func tellCycle(w io.Writer, n int, res handler.Result, received []string) {
	parts := make([]string, 0, len(res.Exports))
	for _, e := range res.Exports {
		switch {
		case e.Error != "":
			parts = append(parts, fmt.Sprintf("%s failed (%s)", e.Export, e.Error))
		case e.Status == string(event.Success):
			parts = append(parts, fmt.Sprintf("%s success: %s, %d rows", e.Export, e.FileName, e.TotalCount))
		case e.Skipped:
			parts = append(parts, e.Export+" not checked")
		default:
			parts = append(parts, fmt.Sprintf("%s %s %d%%", e.Export, e.Status, e.Progress))
		}
	}
	if len(parts) == 0 {
		parts = append(parts, "nothing left to watch")
	}
	fmt.Fprintf(w, "cycle %d: %s\n", n, strings.Join(parts, "; "))
	for _, e := range res.Events {
		line := fmt.Sprintf("         told %s: %s %s", e.Sink, e.Export, e.Type)
		if e.Error != "" {
			line += " (not delivered: " + e.Error + ")"
		}
		fmt.Fprintln(w, line)
	}
	for _, line := range received {
		fmt.Fprintln(w, "         webhook receiver: "+line)
	}
}

// settled reports whether every watched export has finished or failed and
// every event reached every sink.
func settled(res handler.Result) bool {
	for _, e := range res.Exports {
		if e.Error == "" && e.Status != string(event.Success) {
			return false
		}
	}
	for _, n := range res.Pending {
		if n > 0 {
			return false
		}
	}
	return true
}

// demoReceiver is the demo's ticketing system: it accepts only correctly
// signed CloudEvents and remembers which event IDs it saw.
type demoReceiver struct {
	verifier *standardwebhooks.Webhook
	mu       sync.Mutex
	lines    []string // what it got since the last drain
	seen     map[string]int
	rejected int
}

func newDemoReceiver(secret string) (*demoReceiver, error) {
	v, err := standardwebhooks.NewWebhook(secret)
	if err != nil {
		return nil, err
	}
	return &demoReceiver{verifier: v, seen: map[string]int{}}, nil
}

func (d *demoReceiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		http.Error(w, "cannot read body", http.StatusBadRequest)
		return
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if err := d.verifier.Verify(body, r.Header); err != nil {
		d.rejected++
		d.lines = append(d.lines, fmt.Sprintf("rejected a request: %v", err))
		http.Error(w, "bad signature", http.StatusUnauthorized)
		return
	}
	var ce struct {
		ID      string `json:"id"`
		Type    string `json:"type"`
		Subject string `json:"subject"`
		Data    struct {
			FileName   string `json:"fileName"`
			TotalCount int64  `json:"totalCount"`
			Error      *struct {
				Code string `json:"code"`
			} `json:"error"`
		} `json:"data"`
	}
	if err := json.Unmarshal(body, &ce); err != nil {
		http.Error(w, "not a CloudEvent", http.StatusBadRequest)
		return
	}
	d.seen[ce.ID]++
	detail := fmt.Sprintf("%s, %d rows", ce.Data.FileName, ce.Data.TotalCount)
	if ce.Data.Error != nil {
		detail = ce.Data.Error.Code
	}
	d.lines = append(d.lines, fmt.Sprintf("got %s for export %s (%s), signature verified", ce.Type, ce.Subject, detail))
	w.WriteHeader(http.StatusNoContent)
}

// drain returns what the receiver got since it was last asked.
func (d *demoReceiver) drain() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	lines := d.lines
	d.lines = nil
	return lines
}

func (d *demoReceiver) verdict(w io.Writer, cycles int) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	dup := 0
	for _, n := range d.seen {
		if n > 1 {
			dup++
		}
	}
	fmt.Fprintf(w, "\nsettled after %d cycles: the webhook got %d events, each once, every signature valid.\n", cycles, len(d.seen))
	if dup > 0 || d.rejected > 0 {
		return fmt.Errorf("%d events arrived more than once and %d requests were rejected", dup, d.rejected)
	}
	if len(d.seen) != len(demoExports()) {
		return fmt.Errorf("the webhook got %d events, want %d", len(d.seen), len(demoExports()))
	}
	fmt.Fprintln(w, "Next: `export-notifier preview --event completed` shows the Slack message; README.md shows how to deploy.")
	return nil
}

// serveLocal serves h on a free loopback port until stop is called.
func serveLocal(h http.Handler) (url string, stop func(), err error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			fmt.Fprintln(os.Stderr, "demo server:", err)
		}
	}()
	return "http://" + ln.Addr().String(), func() { _ = srv.Close() }, nil
}

// newWebhookSecret makes a Standard Webhooks secret: whsec_ and 32 random
// bytes in base64.
func newWebhookSecret() (string, error) {
	var key [32]byte
	if _, err := rand.Read(key[:]); err != nil {
		return "", err
	}
	return "whsec_" + base64.StdEncoding.EncodeToString(key[:]), nil
}
