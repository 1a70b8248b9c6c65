package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/export-notifier/export-notifier/archive"
	"github.com/export-notifier/export-notifier/event"
	"github.com/export-notifier/export-notifier/exports"
	"github.com/export-notifier/export-notifier/handler"
	"github.com/export-notifier/export-notifier/internal/sassim"
	"github.com/export-notifier/export-notifier/notify"
	"github.com/export-notifier/export-notifier/state"
)

// The overlapping-cycles goal: this many exports completing at once,
// under this many cycles at the same time, each archived and announced
// once.
const (
	overlapExports = 100
	overlapCycles  = 4
)

// linksTo points the simulator's download links (at a host that does not
// exist) at a local file server.
type linksTo struct {
	handler.Checker
	base string
}

func (l linksTo) Get(ctx context.Context, ref event.Ref) (event.Status, error) {
	st, err := l.Checker.Get(ctx, ref)
	if u, perr := url.Parse(st.Link); err == nil && perr == nil && st.Link != "" {
		st.Link = l.base + u.EscapedPath() + "?" + u.RawQuery
	}
	return st, err
}

// countingSink counts the completions it is told of, by export.
type countingSink struct {
	mu   sync.Mutex
	seen map[string]int
}

func (c *countingSink) Name() string { return "count" }
func (c *countingSink) Group(events []event.Event) [][]event.Event {
	return notify.GroupFailures(events)
}
func (c *countingSink) Notify(_ context.Context, events []event.Event) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, ev := range events {
		if ev.Type == event.Completed && ev.Archive != nil && ev.Archive.Error == "" {
			c.seen[ev.Status.Ref.String()]++
		}
	}
	return nil
}

// overlapRow runs overlapCycles cycles at once over overlapExports
// exports that complete together, archiving to a directory, and counts
// the files stored and the announcements made.
func overlapRow(ctx context.Context, dir string) (row, error) {
	sim := sassim.New(sassim.Options{AccessKeyID: sassim.DemoAccessKeyID, AccessKeySecret: sassim.DemoAccessKeySecret})
	var refs []event.Ref
	for i := range overlapExports {
		ref := event.Ref{Kind: event.Asset, ID: int64(500000 + i)}
		sim.Add(sassim.Export{Ref: ref, Steps: 1, FileName: fmt.Sprintf("asset_export_%d", i), TotalCount: 10})
		refs = append(refs, ref)
	}
	simSrv := httptest.NewServer(sim)
	defer simSrv.Close()
	files := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body := strings.Repeat("row of "+r.URL.Path+"\n", 100)
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		_, _ = io.WriteString(w, body)
	}))
	defer files.Close()
	client, err := exports.New(exports.Config{Endpoint: simSrv.URL, Credentials: demoCredentials})
	if err != nil {
		return row{}, err
	}
	store, err := state.Open(ctx, "file://"+filepath.Join(dir, "overlap-state"), state.Options{})
	if err != nil {
		return row{}, err
	}
	archiveDir := filepath.Join(dir, "overlap-archive")
	sink := &countingSink{seen: map[string]int{}}
	began := time.Now()
	for round := range 2 { // the first sees the exports running, the second complete
		if err := overlappingCycles(ctx, round, refs, store, sink, archiveDir, files.URL, client); err != nil {
			return row{}, err
		}
	}
	elapsed := time.Since(began)
	stored := 0

	_ = filepath.WalkDir(archiveDir, func(_ string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			stored++
		}
		return nil
	})
	once := 0
	for _, ref := range refs {
		if sink.seen[ref.String()] == 1 {
			once++
		}
	}
	ok := once == overlapExports && stored == overlapExports
	return row{Figure: fmt.Sprintf("%d exports completing at once, %d overlapping cycles", overlapExports, overlapCycles),
		Measured: fmt.Sprintf("%d announced once, %d files", once, stored), Goal: fmt.Sprintf("%d and %d", overlapExports, overlapExports), Met: met(ok),
		Notes: fmt.Sprintf("in one process: simulator, file state, file:// archive, a counting sink; %s", seconds(elapsed))}, nil
}

// overlappingCycles runs overlapCycles cycles at once, each with its own
// archiver over the same directory and state.
func overlappingCycles(ctx context.Context, round int, refs []event.Ref, store state.Store, sink notify.Notifier, archiveDir, filesURL string, client *exports.Client) error {
	var wg sync.WaitGroup
	errs := make([]error, overlapCycles)
	for i := range overlapCycles {
		a, err := archive.Open(ctx, "file://"+archiveDir, archive.Options{HTTP: archive.NewHTTPClient()})
		if err != nil {
			return err
		}
		c := &handler.Cycle{Config: handler.Config{ExportIDs: refs, NotifyOn: map[event.Type]bool{event.Completed: true},
			StallAfter: time.Hour, Concurrency: 8, QPS: 1000, Retention: state.DefaultRetention},
			Checker: linksTo{Checker: client, base: filesURL}, Store: store, Sinks: []notify.Notifier{sink}, Archiver: a}
		wg.Go(func() {
			cctx, cancel := context.WithTimeout(ctx, time.Minute)
			defer cancel()
			_, errs[i] = c.Run(cctx, handler.Options{ID: fmt.Sprintf("bench-%d-%d", round, i)})
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}
