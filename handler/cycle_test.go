package handler

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/export-notifier/export-notifier/credential"
	"github.com/export-notifier/export-notifier/event"
	"github.com/export-notifier/export-notifier/exports"
	"github.com/export-notifier/export-notifier/internal/sassim"
	"github.com/export-notifier/export-notifier/notify"
	"github.com/export-notifier/export-notifier/notify/sinks"
	"github.com/export-notifier/export-notifier/state"
)

// receiver is a webhook endpoint that records the CloudEvents it accepts.
type receiver struct {
	t      *testing.T
	server *httptest.Server
	mu     sync.Mutex
	got    []receivedEvent
	calls  int
	// status, when set, decides the HTTP status of the nth call (from 1).
	status func(n int) int
}

type receivedEvent struct {
	ID      string         `json:"id"`
	Type    string         `json:"type"`
	Subject string         `json:"subject"`
	Data    map[string]any `json:"data"`
}

func newReceiver(t *testing.T) *receiver {
	r := &receiver{t: t}
	r.server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		defer r.mu.Unlock()
		r.calls++
		if r.status != nil {
			if code := r.status(r.calls); code != http.StatusOK {
				http.Error(w, "receiver is down", code)
				return
			}
		}
		var ev receivedEvent
		if err := json.Unmarshal(body, &ev); err != nil {
			t.Errorf("webhook body is not JSON: %v: %s", err, body)
		}
		r.got = append(r.got, ev)
	}))
	t.Cleanup(r.server.Close)
	return r
}

func (r *receiver) events() []receivedEvent {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]receivedEvent(nil), r.got...)
}

// count returns how many received events have the type suffix and subject.
func (r *receiver) count(typ event.Type, subject string) int {
	n := 0
	for _, ev := range r.events() {
		if ev.Type == typ.CloudEventType() && ev.Subject == subject {
			n++
		}
	}
	return n
}

type harness struct {
	sim     *sassim.Simulator
	checker *exports.Client
	store   state.Store
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	sim := sassim.New(sassim.Options{AccessKeyID: sassim.DemoAccessKeyID, AccessKeySecret: sassim.DemoAccessKeySecret, Steps: 3})
	return &harness{sim: sim, checker: demoClient(t, sim), store: fileState(t)}
}

// demoClient is a client of the simulator's demo account, served by h.
func demoClient(t *testing.T, h http.Handler) *exports.Client {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	client, err := exports.New(exports.Config{
		Endpoint:    srv.URL,
		Credentials: credential.Static{AccessKeyID: sassim.DemoAccessKeyID, AccessKeySecret: sassim.DemoAccessKeySecret},
	})
	if err != nil {
		t.Fatal(err)
	}
	return client
}

func fileState(t *testing.T) state.Store {
	t.Helper()
	store, err := state.Open(context.Background(), "file://"+t.TempDir(), state.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return store
}

func webhookSinks(t *testing.T, receivers ...*receiver) []notify.Notifier {
	t.Helper()
	urls := make([]string, len(receivers))
	for i, r := range receivers {
		urls[i] = r.server.URL
	}
	return webhookSinksAt(t, urls...)
}

// webhookSinksAt is one webhook sink per server URL, in order.
func webhookSinksAt(t *testing.T, servers ...string) []notify.Notifier {
	t.Helper()
	urls := ""
	for i, u := range servers {
		if i > 0 {
			urls += ","
		}
		urls += u + fmt.Sprintf("/hook%d", i)
	}
	notifiers, err := sinks.FromEnv(func(name string) string {
		if name == "WEBHOOK_URL" {
			return urls
		}
		return ""
	}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	return notifiers
}

func testConfig(ids string) Config {
	refs, err := event.ParseList(ids)
	if err != nil {
		panic(err)
	}
	return Config{
		ExportIDs:   refs,
		NotifyOn:    map[event.Type]bool{event.Completed: true, event.Failed: true, event.Stalled: true},
		StallAfter:  time.Hour,
		Concurrency: 4,
		QPS:         1000,
		Retention:   state.DefaultRetention,
		Region:      "cn-shanghai",
	}
}

func (h *harness) run(t *testing.T, c *Cycle, opts Options) Result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	res, err := c.Run(ctx, opts)
	if err != nil {
		t.Fatalf("cycle: %v", err)
	}
	return res
}

func TestCycleAnnouncesEachEventOnce(t *testing.T) {
	h := newHarness(t)
	h.sim.Add(sassim.Export{Ref: event.Ref{Kind: event.Asset, ID: 131231}, Steps: 2, FileName: "health_check_export_20171123", TotalCount: 100})
	h.sim.Add(sassim.Export{Ref: event.Ref{Kind: event.Vul, ID: 52}, Fault: sassim.Fault{Code: "NoPermission", HTTPStatus: 403}})
	h.sim.Add(sassim.Export{Ref: event.Ref{Kind: event.HC, ID: 9}, Steps: 1000})
	hook := newReceiver(t)
	c := &Cycle{Config: testConfig("131231, vul:52, hc:9"), Checker: h.checker, Store: h.store, Sinks: webhookSinks(t, hook)}

	for range 4 {
		h.run(t, c, Options{})
	}

	if n := hook.count(event.Completed, "131231"); n != 1 {
		t.Errorf("completion of 131231 announced %d times, want once", n)
	}
	if n := hook.count(event.Failed, "52"); n != 1 {
		t.Errorf("failure of vul:52 announced %d times, want once", n)
	}
	if n := len(hook.events()); n != 2 {
		t.Errorf("%d events sent, want 2 (nothing for the unchanged hc:9): %+v", n, hook.events())
	}
	for _, ev := range hook.events() {
		switch ev.Type {
		case event.Completed.CloudEventType():
			if ev.Data["fileName"] != "health_check_export_20171123" || ev.Data["totalCount"] != float64(100) {
				t.Errorf("completion lacks FileName and TotalCount: %+v", ev.Data)
			}
		case event.Failed.CloudEventType():
			errData, _ := ev.Data["error"].(map[string]any)
			if errData["code"] != "NoPermission" {
				t.Errorf("failure lacks its error code: %+v", ev.Data)
			}
		}
	}
}

func TestSinkOutageIsDeliveredNextCycleWithoutResendingOthers(t *testing.T) {
	h := newHarness(t)
	h.sim.Add(sassim.Export{Ref: event.Ref{Kind: event.Asset, ID: 7}, Steps: 1, FileName: "f", TotalCount: 3})
	healthy, flaky := newReceiver(t), newReceiver(t)
	down := true
	flaky.status = func(int) int {
		if down {
			return http.StatusServiceUnavailable
		}
		return http.StatusOK
	}
	c := &Cycle{Config: testConfig("7"), Checker: h.checker, Store: h.store, Sinks: webhookSinks(t, healthy, flaky)}

	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	first, err := c.Run(ctx, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if healthy.count(event.Completed, "7") != 1 || flaky.count(event.Completed, "7") != 0 {
		t.Fatalf("after the outage: healthy got %d, flaky got %d; want 1 and 0", healthy.count(event.Completed, "7"), flaky.count(event.Completed, "7"))
	}
	pending := 0
	for _, n := range first.Pending {
		pending += n
	}
	if pending != 1 {
		t.Fatalf("pending after the outage = %v, want one event pending for the flaky sink", first.Pending)
	}

	flaky.mu.Lock()
	down = false
	flaky.mu.Unlock()
	second := h.run(t, c, Options{})
	if healthy.count(event.Completed, "7") != 1 || flaky.count(event.Completed, "7") != 1 {
		t.Fatalf("after recovery: healthy got %d, flaky got %d; want 1 each", healthy.count(event.Completed, "7"), flaky.count(event.Completed, "7"))
	}
	for sink, n := range second.Pending {
		if n != 0 {
			t.Fatalf("sink %s still has %d pending", sink, n)
		}
	}
	ids := map[string]bool{}
	for _, ev := range append(healthy.events(), flaky.events()...) {
		ids[ev.ID] = true
	}
	if len(ids) != 1 {
		t.Fatalf("the event reached the sinks under %d IDs, want one stable ID", len(ids))
	}
}

func TestConcurrentCyclesSendEachEventOnce(t *testing.T) {
	h := newHarness(t)
	for id := int64(1); id <= 20; id++ {
		h.sim.Add(sassim.Export{Ref: event.Ref{Kind: event.Asset, ID: id}, Steps: 1, FileName: fmt.Sprintf("f%d", id), TotalCount: id})
	}
	hook := newReceiver(t)
	sinks := webhookSinks(t, hook)
	cfg := testConfig("1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20")
	var wg sync.WaitGroup
	for range 4 {
		c := &Cycle{Config: cfg, Checker: h.checker, Store: h.store, Sinks: sinks}
		wg.Go(func() {
			for range 2 {
				ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
				if _, err := c.Run(ctx, Options{}); err != nil {
					t.Errorf("cycle: %v", err)
				}
				cancel()
			}
		})
	}
	wg.Wait()
	for id := 1; id <= 20; id++ {
		if n := hook.count(event.Completed, fmt.Sprint(id)); n != 1 {
			t.Errorf("export %d announced %d times, want once", id, n)
		}
	}
}

func TestDryRunSendsAndCommitsNothing(t *testing.T) {
	h := newHarness(t)
	h.sim.Add(sassim.Export{Ref: event.Ref{Kind: event.Asset, ID: 5}, Steps: 1, FileName: "f", TotalCount: 1})
	hook := newReceiver(t)
	c := &Cycle{Config: testConfig("5"), Checker: h.checker, Store: h.store, Sinks: webhookSinks(t, hook)}
	res := h.run(t, c, Options{DryRun: true})
	if len(res.Events) != 1 || res.Events[0].Outcome != "would send" {
		t.Fatalf("dry run events = %+v, want one that would be sent", res.Events)
	}
	if len(hook.events()) != 0 {
		t.Fatalf("dry run sent %d events", len(hook.events()))
	}
	snap, err := h.store.Load(context.Background())
	if err != nil || snap.Version != 0 {
		t.Fatalf("state after a dry run: version %d, %v; want nothing committed", snap.Version, err)
	}
	h.run(t, c, Options{})
	if hook.count(event.Completed, "5") != 1 {
		t.Fatal("the real run after a dry run did not send the event")
	}
}

func TestStateKeepsWatchingPayloadExportsUntilDone(t *testing.T) {
	h := newHarness(t)
	h.sim.Add(sassim.Export{Ref: event.Ref{Kind: event.Vul, ID: 8}, Steps: 3, FileName: "vul", TotalCount: 4})
	hook := newReceiver(t)
	c := &Cycle{Config: testConfig(""), Checker: h.checker, Store: h.store, Sinks: webhookSinks(t, hook)}
	h.run(t, c, Options{Refs: []event.Ref{{Kind: event.Vul, ID: 8}}})
	for range 3 {
		h.run(t, c, Options{}) // the payload named it once; the state remembers
	}
	if hook.count(event.Completed, "8") != 1 {
		t.Fatalf("vul:8, named only by the first payload, was announced %d times, want once", hook.count(event.Completed, "8"))
	}
	res := h.run(t, c, Options{})
	if res.Watched != 0 {
		t.Fatalf("a finished export is still watched: %+v", res.Exports)
	}
}

func TestStalledExportAnnouncedOnce(t *testing.T) {
	h := newHarness(t)
	h.sim.Add(sassim.Export{Ref: event.Ref{Kind: event.Asset, ID: 11}, Steps: 1000, Stuck: true})
	hook := newReceiver(t)
	now := time.Date(2026, 11, 25, 8, 0, 0, 0, time.UTC)
	c := &Cycle{Config: testConfig("11"), Checker: h.checker, Store: h.store, Sinks: webhookSinks(t, hook), Now: func() time.Time { return now }}
	for range 4 {
		h.run(t, c, Options{})
		now = now.Add(40 * time.Minute)
	}
	if n := hook.count(event.Stalled, "11"); n != 1 {
		t.Fatalf("stall announced %d times, want once after STALL_AFTER (1h) without progress", n)
	}
}

func TestNoDeadlineIsRefused(t *testing.T) {
	h := newHarness(t)
	c := &Cycle{Config: testConfig("1"), Checker: h.checker, Store: h.store}
	if _, err := c.Run(context.Background(), Options{}); err != ErrNoDeadline {
		t.Fatalf("err = %v, want ErrNoDeadline", err)
	}
}

func TestStartedExportIsStartedOnceAndAnnounced(t *testing.T) {
	h := newHarness(t)
	hook := newReceiver(t)
	cfg := testConfig("")
	cfg.NotifyOn[event.Started] = true
	c := &Cycle{Config: cfg, Checker: h.checker, Starter: h.checker, Store: h.store, Sinks: webhookSinks(t, hook)}
	in, err := ParseInvocation([]byte(`{"triggerTime":"2026-11-30T00:00:00Z","triggerName":"weekly","payload":"{\"start\":[{\"kind\":\"asset\",\"exportType\":\"assetInstance\",\"lang\":\"en\"}]}"}`))
	if err != nil {
		t.Fatal(err)
	}
	opts := Options{Starts: in.Starts, Trigger: in.Trigger}

	first := h.run(t, c, opts)
	if len(first.Starts) != 1 || first.Starts[0].Outcome != "started" || first.Starts[0].Export == "" {
		t.Fatalf("starts = %+v", first.Starts)
	}
	// FC retries the same invocation; later ticks carry no start.
	retry := h.run(t, c, opts)
	if retry.Starts[0].Outcome != "already started" || retry.Starts[0].Export != first.Starts[0].Export {
		t.Fatalf("retried invocation: starts = %+v", retry.Starts)
	}
	for range 3 {
		h.run(t, c, Options{})
	}

	if got := h.sim.Started(); len(got) != 1 {
		t.Fatalf("Security Center was asked to start %d exports, want 1: %v", len(got), got)
	}
	subject := fmt.Sprint(h.sim.Started()[0].ID)
	if n := hook.count(event.Started, subject); n != 1 {
		t.Errorf("start announced %d times, want once", n)
	}
	if n := hook.count(event.Completed, subject); n != 1 {
		t.Errorf("completion of the started export announced %d times, want once", n)
	}
}

func TestFailedStartIsNotRetried(t *testing.T) {
	h := newHarness(t)
	h.sim.FailStarts(sassim.Fault{Code: "ServerError", HTTPStatus: http.StatusInternalServerError, Times: 1})
	c := &Cycle{Config: testConfig(""), Checker: h.checker, Starter: h.checker, Store: h.store}
	opts := Options{Starts: []event.StartSpec{{Kind: event.Vul, Type: "cve"}}, Trigger: "weekly@2026-11-30T00:00:00Z"}

	first := h.run(t, c, opts)
	if first.Starts[0].Outcome != "failed" || !strings.Contains(first.Starts[0].Error, "ServerError") {
		t.Fatalf("starts = %+v", first.Starts)
	}
	// The 500 may have started the export all the same: a retry of the
	// invocation must not start a second one.
	retry := h.run(t, c, opts)
	if retry.Starts[0].Outcome != "failed earlier" {
		t.Fatalf("retried invocation: starts = %+v", retry.Starts)
	}
	calls := 0
	for _, call := range h.sim.Calls() {
		if call.Action == "ExportVul" {
			calls++
		}
	}
	if calls != 1 {
		t.Fatalf("ExportVul called %d times, want exactly once", calls)
	}
}

func TestDryRunStartsNothing(t *testing.T) {
	h := newHarness(t)
	c := &Cycle{Config: testConfig(""), Checker: h.checker, Starter: h.checker, Store: h.store}
	res := h.run(t, c, Options{Starts: []event.StartSpec{{Kind: event.Asset, ExportType: "assetInstance"}}, DryRun: true})
	if len(res.Starts) != 1 || res.Starts[0].Outcome != "would start" || len(h.sim.Started()) != 0 {
		t.Fatalf("dry run: starts = %+v, simulator started %v", res.Starts, h.sim.Started())
	}
}

func TestUnchangedExportsDoNotRewriteTheState(t *testing.T) {
	h := newHarness(t)
	h.sim.Add(sassim.Export{Ref: event.Ref{Kind: event.Asset, ID: 12}, Stuck: true})
	c := &Cycle{Config: testConfig("12"), Checker: h.checker, Store: h.store}
	h.run(t, c, Options{}) // first seen: init
	settled := h.run(t, c, Options{}).StateVersion
	for range 3 {
		if v := h.run(t, c, Options{}).StateVersion; v != settled {
			t.Fatalf("state version moved from %d to %d though the export did not", settled, v)
		}
	}
	if settled == 0 {
		t.Fatal("nothing was ever committed")
	}
}
