package handler

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aliyun/alibabacloud-oss-go-sdk-v2/oss"

	"github.com/export-notifier/export-notifier/archive"
	"github.com/export-notifier/export-notifier/credential"
	"github.com/export-notifier/export-notifier/event"
	"github.com/export-notifier/export-notifier/internal/osstest"
	"github.com/export-notifier/export-notifier/internal/sassim"
	"github.com/export-notifier/export-notifier/state"
)

// fileServer stands in for the host of Security Center's links: it
// serves each file's name as its contents, and refuses the first refuse
// requests with 403, as an expired link is.
type fileServer struct {
	srv    *httptest.Server
	refuse atomic.Int32
	hits   atomic.Int32
}

func newFileServer(t *testing.T) *fileServer {
	f := &fileServer{}
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.hits.Add(1)
		if f.refuse.Add(-1) >= 0 {
			http.Error(w, "AccessDenied", http.StatusForbidden)
			return
		}
		_, _ = w.Write([]byte("contents of " + r.URL.Path))
	}))
	t.Cleanup(f.srv.Close)
	return f
}

// localLinks points the simulator's links at files: the simulator's
// links name a host that does not exist.
type localLinks struct {
	Checker
	base string
	gets atomic.Int32
}

func (l *localLinks) Get(ctx context.Context, ref event.Ref) (event.Status, error) {
	l.gets.Add(1)
	st, err := l.Checker.Get(ctx, ref)
	if u, perr := url.Parse(st.Link); err == nil && perr == nil && st.Link != "" {
		st.Link = l.base + u.EscapedPath() + "?" + u.RawQuery
	}
	return st, err
}

func fileArchiver(t *testing.T, dir string) Archiver {
	t.Helper()
	a, err := archive.Open(context.Background(), "file://"+dir, archive.Options{HTTP: archive.NewHTTPClient()})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// TestOverlappingCyclesArchiveAndAnnounceOnce: 100 exports completing at once
// are each archived once and announced once, with the copy's link and
// data.archive, however many cycles overlap.
func TestOverlappingCyclesArchiveAndAnnounceOnce(t *testing.T) {
	h := newHarness(t)
	files := newFileServer(t)
	const n = 100
	var ids []string
	for i := range n {
		ref := event.Ref{Kind: event.Asset, ID: int64(1000 + i)}
		h.sim.Add(sassim.Export{Ref: ref, Steps: 1, FileName: fmt.Sprintf("export_%d", i), TotalCount: 10})
		ids = append(ids, ref.String())
	}
	dir := t.TempDir()
	hook := newReceiver(t)
	checker := &localLinks{Checker: h.checker, base: files.srv.URL}
	var wg sync.WaitGroup
	for range 4 {
		c := &Cycle{Config: testConfig(strings.Join(ids, ",")), Checker: checker, Store: h.store, Sinks: webhookSinks(t, hook), Archiver: fileArchiver(t, dir)}
		wg.Go(func() { h.run(t, c, Options{}) })
	}
	wg.Wait()
	c := &Cycle{Config: testConfig(strings.Join(ids, ",")), Checker: checker, Store: h.store, Sinks: webhookSinks(t, hook), Archiver: fileArchiver(t, dir)}
	h.run(t, c, Options{}) // whatever the overlap left
	stored := 0
	_ = filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			stored++
		}
		return nil
	})
	if stored != n {
		t.Fatalf("%d files archived, want %d", stored, n)
	}
	for i := range n {
		subject := fmt.Sprint(1000 + i)
		if got := hook.count(event.Completed, subject); got != 1 {
			t.Fatalf("export %s announced %d times", subject, got)
		}
	}
	for _, ev := range hook.events() {
		arch, _ := ev.Data["archive"].(map[string]any)
		link, _ := ev.Data["link"].(string)
		if arch == nil || link != arch["url"] || !strings.HasPrefix(link, "file://"+dir) {
			t.Fatalf("event %s: link %q, archive %v; want the copy's", ev.Subject, link, arch)
		}
		data, err := os.ReadFile(strings.TrimPrefix(link, "file://"))
		if err != nil || !strings.HasPrefix(string(data), "contents of /exports/") {
			t.Fatalf("the archived file %s: %q, %v", link, data, err)
		}
	}
}

func TestExpiredLinkRefreshedOnce(t *testing.T) {
	for _, refuse := range []int32{1, 2} {
		t.Run(fmt.Sprint(refuse), func(t *testing.T) {
			h := newHarness(t)
			files := newFileServer(t)
			files.refuse.Store(refuse)
			h.sim.Add(sassim.Export{Ref: event.Ref{Kind: event.Asset, ID: 7}, Steps: 1, FileName: "f", TotalCount: 1})
			hook := newReceiver(t)
			checker := &localLinks{Checker: h.checker, base: files.srv.URL}
			c := &Cycle{Config: testConfig("7"), Checker: checker, Store: h.store, Sinks: webhookSinks(t, hook), Archiver: fileArchiver(t, t.TempDir())}
			h.run(t, c, Options{})
			evs := hook.events()
			if len(evs) != 1 || checker.gets.Load() != 2 || files.hits.Load() != min(refuse+1, 2) {
				t.Fatalf("%d events, %d checks, %d downloads; want 1 event after one refresh", len(evs), checker.gets.Load(), files.hits.Load())
			}
			arch, _ := evs[0].Data["archive"].(map[string]any)
			reason, _ := arch["error"].(string)
			if refuse == 1 && (arch["url"] == nil || reason != "") || refuse == 2 && !strings.Contains(reason, "403") {
				t.Fatalf("refused %d times: archive %v", refuse, arch)
			}
		})
	}
}

// TestExpiredLinkNotPosted: without archiving, a completion whose link
// has expired by the time the cycle sees it is announced without it.
func TestExpiredLinkNotPosted(t *testing.T) {
	h := newHarness(t)
	h.sim.Add(sassim.Export{Ref: event.Ref{Kind: event.Asset, ID: 8}, Steps: 1, FileName: "f", TotalCount: 1})
	hook := newReceiver(t)
	c := &Cycle{Config: testConfig("8"), Checker: h.checker, Store: h.store, Sinks: webhookSinks(t, hook),
		Now: func() time.Time { return time.Now().Add(2 * time.Hour) }} // the simulator's links last an hour
	h.run(t, c, Options{})
	evs := hook.events()
	if len(evs) != 1 || evs[0].Data["link"] != nil {
		t.Fatalf("events %v; want one completion without its expired link", evs)
	}
}

// TestArchiveShowsNoSecret: a cycle archiving to OSS, one copy failing,
// logs at debug level and returns a result without the AccessKey secret,
// the STS token, or a signature (Security Center's or the presigned
// link's).
func TestArchiveShowsNoSecret(t *testing.T) {
	h := newHarness(t)
	files := newFileServer(t)
	h.sim.Add(sassim.Export{Ref: event.Ref{Kind: event.Asset, ID: 21}, Steps: 1, FileName: "kept", TotalCount: 1})
	h.sim.Add(sassim.Export{Ref: event.Ref{Kind: event.Asset, ID: 22}, Steps: 1, FileName: "refused", TotalCount: 1})
	fake, ossSrv := osstest.New("archive-bucket")
	t.Cleanup(ossSrv.Close)
	creds := credential.Static{AccessKeyID: "AKIDHANDLER", AccessKeySecret: "handler-secret-never-shown", SecurityToken: "handler-sts-token-never-shown"}
	env := map[string]string{"OSS_ENDPOINT": ossSrv.URL, "OSS_REGION": "cn-hangzhou"}
	a, err := archive.Open(context.Background(), "oss://archive-bucket/sas", archive.Options{
		OSSConfig: func() (*oss.Config, error) {
			return state.OSSConfig(state.Options{Credentials: creds, Getenv: func(k string) string { return env[k] }})
		},
		HTTP: archive.NewHTTPClient(),
	})
	if err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	hook := newReceiver(t)
	checker := &localLinks{Checker: h.checker, base: files.srv.URL}
	c := &Cycle{Config: testConfig("21,22"), Checker: checker, Store: h.store, Sinks: webhookSinks(t, hook), Archiver: a,
		Log: slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))}
	fake.Inject(osstest.Fault{Op: "PutObject", Status: 403, Code: "AccessDenied"})
	first := h.run(t, c, Options{})
	out, _ := json.Marshal([]Result{first, h.run(t, c, Options{})})
	var signatures []string
	for _, ev := range hook.events() {
		link, _ := ev.Data["link"].(string)
		u, _ := url.Parse(link)
		signatures = append(signatures, u.Query().Get("x-oss-signature"), u.Query().Get("Signature"))
	}
	if len(hook.events()) != 2 || len(fake.Keys()) != 1 {
		t.Fatalf("%d completions told, OSS holds %v; want both told, one archived", len(hook.events()), fake.Keys())
	}
	for _, secret := range append(signatures, creds.AccessKeySecret, creds.SecurityToken) {
		if secret == "" {
			continue
		}
		if strings.Contains(logs.String(), secret) || strings.Contains(string(out), secret) {
			t.Errorf("%q shows in the logs or the result:\n%s\n%s", secret, logs.String(), out)
		}
	}
	if !strings.Contains(logs.String(), "403 AccessDenied") {
		t.Errorf("the failed copy's reason is not logged:\n%s", logs.String())
	}
}

// TestArchiveCutShortWaitsForTheNextCycle: a copy the cycle runs out of
// time for is not announced; the next cycle copies it and announces it
// once, with the copy's link.
func TestArchiveCutShortWaitsForTheNextCycle(t *testing.T) {
	h := newHarness(t)
	stall := make(chan struct{})
	var stalled atomic.Bool
	stalled.Store(true)
	files := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if stalled.Load() {
			select { // slower than the cycle's deadline
			case <-stall:
			case <-r.Context().Done():
			}
			return
		}
		w.Header().Set("Content-Length", "4")
		_, _ = w.Write([]byte("data"))
	}))
	defer files.Close()
	defer close(stall)
	h.sim.Add(sassim.Export{Ref: event.Ref{Kind: event.Asset, ID: 31}, Steps: 1, FileName: "slow", TotalCount: 1})
	hook := newReceiver(t)
	dir := t.TempDir()
	c := &Cycle{Config: testConfig("31"), Checker: &localLinks{Checker: h.checker, base: files.URL}, Store: h.store, Sinks: webhookSinks(t, hook), Archiver: fileArchiver(t, dir)}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	res, err := c.Run(ctx, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(hook.events()) != 0 {
		t.Fatalf("a completion whose copy was cut short was announced: %v", hook.events())
	}
	if len(res.Exports) != 1 || res.Exports[0].Error != archivePendingCode {
		t.Fatalf("result exports %+v, want the export pending its archive", res.Exports)
	}
	stalled.Store(false)
	h.run(t, c, Options{})
	h.run(t, c, Options{})
	evs := hook.events()
	if len(evs) != 1 || !strings.HasPrefix(evs[0].Data["link"].(string), "file://"+dir) {
		t.Fatalf("events %v, want one completion linking to the copy", evs)
	}
}
