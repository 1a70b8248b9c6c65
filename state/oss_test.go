package state

import (
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"hash/crc64"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aliyun/alibabacloud-oss-go-sdk-v2/oss"

	"github.com/export-notifier/export-notifier/credential"
	"github.com/export-notifier/export-notifier/event"
)

// fakeOSS speaks as much of OSS's protocol as the state store uses, path
// style (the SDK switches to it for an IP endpoint): PutObject honouring
// x-oss-forbid-overwrite, GetObject, DeleteObject, ListObjectsV2 (two keys
// a page, so listings paginate) and GetBucketVersioning. Faults are
// injected per operation.
type fakeOSS struct {
	bucket     string
	versioning string

	mu      sync.Mutex
	objects map[string][]byte
	faults  []fault
	ops     []string
	queries []string // raw queries seen
	auth    []string // Authorization headers seen
	tokens  []string // x-oss-security-token headers seen
}

// fault makes the next request of op fail: after stalling for stall (a
// timeout when longer than the client waits), with status (none: serve it
// normally after the stall). afterApply performs the operation first, so
// that only the answer is lost.
type fault struct {
	op         string
	status     int
	stall      time.Duration
	afterApply bool
}

func newFakeOSS(t *testing.T, bucket string) (*fakeOSS, *httptest.Server) {
	f := &fakeOSS{bucket: bucket, objects: map[string][]byte{}}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	return f, srv
}

func (f *fakeOSS) inject(fs ...fault) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.faults = append(f.faults, fs...)
}

func (f *fakeOSS) count(op string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, o := range f.ops {
		if o == op {
			n++
		}
	}
	return n
}

func (f *fakeOSS) keys() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var ks []string
	for k := range f.objects {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

func (f *fakeOSS) object(key string) ([]byte, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	d, ok := f.objects[key]
	return d, ok
}

func (f *fakeOSS) setObject(key string, data []byte) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.objects[key] = data
}

func operation(r *http.Request, key string) string {
	q := r.URL.Query()
	switch {
	case q.Has("versioning") && r.Method == http.MethodGet:
		return "GetBucketVersioning"
	case key == "" && r.Method == http.MethodGet && q.Get("list-type") == "2":
		return "ListObjectsV2"
	case key != "" && r.Method == http.MethodPut:
		return "PutObject"
	case key != "" && r.Method == http.MethodGet:
		return "GetObject"
	case key != "" && r.Method == http.MethodDelete:
		return "DeleteObject"
	}
	return r.Method + " " + r.URL.String()
}

func (f *fakeOSS) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	bucket, key, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
	op := operation(r, key)
	body, _ := io.ReadAll(r.Body)

	f.mu.Lock()
	f.ops = append(f.ops, op)
	f.queries = append(f.queries, r.URL.RawQuery)
	f.auth = append(f.auth, r.Header.Get("Authorization"))
	f.tokens = append(f.tokens, r.Header.Get("x-oss-security-token"))
	var flt *fault
	for i := range f.faults {
		if f.faults[i].op == op {
			c := f.faults[i]
			flt = &c
			f.faults = slices.Delete(f.faults, i, i+1)
			break
		}
	}
	f.mu.Unlock()

	if bucket != f.bucket {
		writeOSSError(w, http.StatusNotFound, "NoSuchBucket", "The specified bucket does not exist.")
		return
	}
	if flt != nil {
		if flt.stall > 0 {
			select {
			case <-time.After(flt.stall):
			case <-r.Context().Done():
				return
			}
		}
		if flt.status != 0 {
			if flt.afterApply {
				f.serve(httptest.NewRecorder(), r, op, key, body)
			}
			writeOSSError(w, flt.status, "InternalError", "injected")
			return
		}
	}
	f.serve(w, r, op, key, body)
}

func (f *fakeOSS) serve(w http.ResponseWriter, r *http.Request, op, key string, body []byte) {
	f.mu.Lock()
	defer f.mu.Unlock()
	switch op {
	case "GetBucketVersioning":
		writeXML(w, struct {
			XMLName xml.Name `xml:"VersioningConfiguration"`
			Status  string   `xml:"Status,omitempty"`
		}{Status: f.versioning})
	case "ListObjectsV2":
		f.list(w, r)
	case "PutObject":
		if _, exists := f.objects[key]; exists && strings.EqualFold(r.Header.Get("x-oss-forbid-overwrite"), "true") {
			writeOSSError(w, http.StatusConflict, "FileAlreadyExists", "The object you specified already exists and can not be overwritten.")
			return
		}
		f.objects[key] = body
		w.Header().Set("x-oss-hash-crc64ecma", strconv.FormatUint(crc64.Checksum(body, crc64.MakeTable(crc64.ECMA)), 10))
		w.Header().Set("ETag", `"etag"`)
		w.WriteHeader(http.StatusOK)
	case "GetObject":
		d, ok := f.objects[key]
		if !ok {
			writeOSSError(w, http.StatusNotFound, "NoSuchKey", "The specified key does not exist.")
			return
		}
		w.Header().Set("Content-Length", strconv.Itoa(len(d)))
		w.Write(d)
	case "DeleteObject":
		delete(f.objects, key)
		w.WriteHeader(http.StatusNoContent)
	default:
		writeOSSError(w, http.StatusNotImplemented, "NotImplemented", op)
	}
}

func (f *fakeOSS) list(w http.ResponseWriter, r *http.Request) {
	const page = 2
	q := r.URL.Query()
	prefix := q.Get("prefix")
	after := max(q.Get("continuation-token"), q.Get("start-after"))
	var keys []string
	for k := range f.objects {
		if strings.HasPrefix(k, prefix) && k > after {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	type content struct {
		Key          string `xml:"Key"`
		Size         int    `xml:"Size"`
		LastModified string `xml:"LastModified"`
	}
	res := struct {
		XMLName               xml.Name  `xml:"ListBucketResult"`
		Name                  string    `xml:"Name"`
		Prefix                string    `xml:"Prefix"`
		MaxKeys               int       `xml:"MaxKeys"`
		EncodingType          string    `xml:"EncodingType"`
		IsTruncated           bool      `xml:"IsTruncated"`
		NextContinuationToken string    `xml:"NextContinuationToken,omitempty"`
		KeyCount              int       `xml:"KeyCount"`
		Contents              []content `xml:"Contents"`
	}{Name: f.bucket, Prefix: url.QueryEscape(prefix), MaxKeys: page, EncodingType: "url"}
	if len(keys) > page {
		keys = keys[:page]
		res.IsTruncated = true
		res.NextContinuationToken = url.QueryEscape(keys[page-1])
	}
	for _, k := range keys {
		res.Contents = append(res.Contents, content{Key: url.QueryEscape(k), Size: len(f.objects[k]), LastModified: "2026-11-25T07:49:00.000Z"})
	}
	res.KeyCount = len(res.Contents)
	writeXML(w, res)
}

func writeXML(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/xml")
	w.Header().Set("x-oss-request-id", "fake-request")
	w.Write([]byte(xml.Header))
	xml.NewEncoder(w).Encode(v)
}

func writeOSSError(w http.ResponseWriter, status int, code, message string) {
	w.Header().Set("Content-Type", "application/xml")
	w.Header().Set("x-oss-request-id", "fake-request")
	w.WriteHeader(status)
	fmt.Fprintf(w, "%s<Error><Code>%s</Code><Message>%s</Message><RequestId>fake-request</RequestId><HostId>127.0.0.1</HostId></Error>", xml.Header, code, message)
}

var testCreds = credential.Static{AccessKeyID: "AKIDSTATETEST", AccessKeySecret: "secret-must-not-show", SecurityToken: "sts-token-must-not-show"}

func ossOptions(srv *httptest.Server) Options {
	env := map[string]string{"OSS_ENDPOINT": srv.URL, "OSS_REGION": "cn-hangzhou"}
	return Options{
		Credentials:    testCreds,
		Getenv:         func(k string) string { return env[k] },
		RequestTimeout: time.Second,
		Keep:           3,
	}
}

func openOSS(t *testing.T, srv *httptest.Server, url string) Store {
	t.Helper()
	st, err := Open(context.Background(), url, ossOptions(srv))
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func checkNoSecrets(t *testing.T, err error) {
	t.Helper()
	if err != nil && (strings.Contains(err.Error(), testCreds.AccessKeySecret) || strings.Contains(err.Error(), testCreds.SecurityToken)) {
		t.Fatalf("the error shows a secret: %v", err)
	}
}

func TestOSSCommitLoadPrune(t *testing.T) {
	ctx := context.Background()
	f, srv := newFakeOSS(t, "state-bucket")
	st := openOSS(t, srv, "oss://state-bucket/export-notifier/prod/")
	if st.Location() != "oss://state-bucket/export-notifier/prod" {
		t.Fatalf("Location = %q", st.Location())
	}
	s, err := st.Load(ctx)
	if err != nil || s.Version != 0 {
		t.Fatalf("Load of an empty prefix: %+v, %v", s, err)
	}
	for i := range 6 {
		if _, err := Update(ctx, st, func(s *Snapshot) error {
			s.Watch(event.Ref{Kind: event.Warning, ID: int64(i + 1)}, t0)
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	var names []string
	for _, k := range f.keys() {
		names = append(names, strings.TrimPrefix(k, "export-notifier/prod/"))
	}
	checkPruned(t, names, 3, 6)
	stale, err := st.Load(ctx)
	if err != nil || stale.Version != 6 || len(stale.Exports) != 6 {
		t.Fatalf("Load: version %d with %d exports, %v", stale.Version, len(stale.Exports), err)
	}
	if err := st.Commit(ctx, stale); err != nil {
		t.Fatal(err)
	}
	stale.Version = 6
	if err := st.Commit(ctx, stale); !errors.Is(err, ErrConflict) {
		t.Fatalf("stale commit: %v, want ErrConflict", err)
	}
	// The 409 itself, not only the listing, makes a conflict: another
	// store commits between this commit's listing and its put.
	other := openOSS(t, srv, "oss://state-bucket/export-notifier/prod")
	raced := false
	racy := newLogStore(&raceBackend{backend: st.(*logStore).b, before: func() {
		if raced {
			return
		}
		raced = true
		if _, err := Update(ctx, other, func(s *Snapshot) error { s.Watch(event.Ref{Kind: event.Warning, ID: 100}, t0); return nil }); err != nil {
			t.Error(err)
		}
	}}, ossOptions(srv))
	s, err = racy.Load(ctx)
	if err != nil {
		t.Fatal(err)
	}
	s.Watch(event.Ref{Kind: event.Warning, ID: 200}, t0)
	puts := f.count("PutObject")
	if err := racy.Commit(ctx, s); !errors.Is(err, ErrConflict) || f.count("PutObject") != puts+2 {
		t.Fatalf("commit that lost the race: %v after %d puts, want ErrConflict after the other's put and its own", err, f.count("PutObject")-puts)
	}
	newest, err := st.Load(ctx)
	if err != nil || newest.Export(event.Ref{Kind: event.Warning, ID: 100}) == nil || newest.Export(event.Ref{Kind: event.Warning, ID: 200}) != nil {
		t.Fatalf("after the race the newest holds %v, %v", sortedKeys(newest.Exports), err)
	}

	// Credentials reach OSS as a signed request with the STS token, and a
	// context's own credentials take precedence.
	f.mu.Lock()
	auth, token := f.auth[0], f.tokens[0]
	f.mu.Unlock()
	if !strings.Contains(auth, "Credential=AKIDSTATETEST/") || token != testCreds.SecurityToken {
		t.Fatalf("request signed as %q with token %q", auth, token)
	}
	fcCtx := credential.WithContext(ctx, credential.Credentials{AccessKeyID: "AKIDFROMFC", AccessKeySecret: "s", SecurityToken: "fc-token"})
	_, _ = st.Load(fcCtx)
	f.mu.Lock()
	auth, token = f.auth[len(f.auth)-1], f.tokens[len(f.tokens)-1]
	f.mu.Unlock()
	if !strings.Contains(auth, "Credential=AKIDFROMFC/") || token != "fc-token" {
		t.Fatalf("with FC's credentials in the context, request signed as %q with token %q", auth, token)
	}
}

// raceBackend runs before and after each create, to let other commits in
// between a commit's listing, its write, and its check.
type raceBackend struct {
	backend
	before, after func()
}

func (r *raceBackend) create(ctx context.Context, name string, data []byte) error {
	if r.before != nil {
		r.before()
	}
	err := r.backend.create(ctx, name, data)
	if r.after != nil {
		r.after()
	}
	return err
}

func TestOSSRefusesVersionedBucket(t *testing.T) {
	for _, status := range []string{"Enabled", "Suspended"} {
		t.Run(status, func(t *testing.T) {
			f, srv := newFakeOSS(t, "versioned")
			f.versioning = status
			_, err := Open(context.Background(), "oss://versioned/x", ossOptions(srv))
			if !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), "versioning "+strings.ToLower(status)) || !strings.Contains(err.Error(), "oss://versioned") {
				t.Fatalf("Open = %v, want a refusal naming the bucket and its versioning", err)
			}
			if f.count("PutObject") != 0 {
				t.Fatal("wrote to a versioned bucket")
			}
		})
	}
}

func TestOSSFaults(t *testing.T) {
	tests := []struct {
		name    string
		faults  []fault
		wantErr string // "" for a commit that lands
	}{
		{"503 once on put, retried", []fault{{op: "PutObject", status: 503}}, ""},
		{"answer to the put lost, the retry finds its own object", []fault{{op: "PutObject", status: 503, afterApply: true}}, ""},
		{"list times out once, retried", []fault{{op: "ListObjectsV2", stall: 3 * time.Second}}, ""},
		{"get times out once, retried", []fault{{op: "GetObject", stall: 3 * time.Second}}, ""},
		{"503 on every put attempt", []fault{{op: "PutObject", status: 503}, {op: "PutObject", status: 503}, {op: "PutObject", status: 503}}, "503 InternalError"},
		{"put times out on every attempt", []fault{{op: "PutObject", stall: 3 * time.Second}, {op: "PutObject", stall: 3 * time.Second}, {op: "PutObject", stall: 3 * time.Second}}, "write oss://b-faults/p/" + recordName(2) + ": OSS PutObject: operation error PutObject"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			f, srv := newFakeOSS(t, "b-faults")
			st := openOSS(t, srv, "oss://b-faults/p")
			if _, err := Update(ctx, st, func(s *Snapshot) error { s.Watch(event.Ref{Kind: event.Vul, ID: 1}, t0); return nil }); err != nil {
				t.Fatal(err)
			}
			f.inject(tt.faults...)
			got, err := Update(ctx, st, func(s *Snapshot) error { s.Watch(event.Ref{Kind: event.Vul, ID: 2}, t0); return nil })
			checkNoSecrets(t, err)
			if tt.wantErr != "" {
				if err == nil || errors.Is(err, ErrConflict) || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Update = %v, want an error saying %q", err, tt.wantErr)
				}
				if _, ok := f.object("p/" + recordName(2)); ok {
					t.Fatal("a failed commit left its version behind")
				}
				return
			}
			if err != nil {
				t.Fatalf("Update: %v", err)
			}
			s, err := st.Load(ctx)
			if err != nil || got.Version != 2 || s.Version != 2 || len(s.Exports) != 2 {
				t.Fatalf("after the faults: committed %d, newest %d with %d exports, %v", got.Version, s.Version, len(s.Exports), err)
			}
		})
	}
}

func TestOSSContextDeadline(t *testing.T) {
	f, srv := newFakeOSS(t, "b-deadline")
	st := openOSS(t, srv, "oss://b-deadline/p")
	f.inject(fault{op: "ListObjectsV2", stall: 250 * time.Millisecond}, fault{op: "ListObjectsV2", stall: 250 * time.Millisecond})
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	_, err := st.Load(ctx)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Load past the deadline: %v", err)
	}
}

func TestOSSDamagedObject(t *testing.T) {
	ctx := context.Background()
	f, srv := newFakeOSS(t, "b-damaged")
	st := openOSS(t, srv, "oss://b-damaged/state")
	if _, err := Update(ctx, st, func(s *Snapshot) error { s.Watch(event.Ref{Kind: event.Vul, ID: 1}, t0); return nil }); err != nil {
		t.Fatal(err)
	}
	key := "state/" + checkpointName(2)
	f.setObject(key, []byte(`{"schema":1,"version":2,"exports":[{"kind":"vul"`))
	_, err := Update(ctx, st, func(*Snapshot) error { return nil })
	var de *DamagedError
	if !errors.As(err, &de) || de.Location != "oss://b-damaged/"+key || !strings.Contains(err.Error(), "truncated") || !strings.Contains(err.Error(), "ossutil cp") {
		t.Fatalf("Update over a damaged object: %v", err)
	}
	if got := f.keys(); !slices.Equal(got, []string{"state/" + recordName(1), "state/" + checkpointName(1), key}) {
		t.Fatalf("bucket holds %v", got)
	}
}

func TestOSSConcurrentGoroutines(t *testing.T) {
	_, srv := newFakeOSS(t, "b-concurrent")
	opts := ossOptions(srv)
	opts.RequestTimeout = 0 // the SDK's: a loaded test machine is slow
	st, err := Open(context.Background(), "oss://b-concurrent/p", opts)
	if err != nil {
		t.Fatal(err)
	}
	seedSharedEvent(t, st)
	var (
		mu              sync.Mutex
		added, claimers []string
		landed          int
		wg              sync.WaitGroup
	)
	for w := range 8 {
		wg.Go(func() {
			cycle := fmt.Sprintf("goroutine-%d", w)
			claimed := claimAndAdd(context.Background(), st, cycle, int64(w+1), 4, func(line string) {
				if strings.HasPrefix(line, "error") {
					t.Error(line)
				}
				mu.Lock()
				defer mu.Unlock()
				if ref, ok := strings.CutPrefix(line, "added "); ok {
					added = append(added, ref)
				}
				if line == "claim landed" {
					landed++
				}
			})
			if claimed {
				mu.Lock()
				claimers = append(claimers, cycle)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	checkOutcome(t, st, added, claimers, landed)
}

func TestOSSConfig(t *testing.T) {
	tests := []struct {
		name     string
		env      map[string]string
		region   string
		onFC     bool
		wantErr  string
		endpoint string
		internal bool
		useReg   string
	}{
		{name: "region from FC, internal", region: "cn-shanghai", onFC: true, internal: true, useReg: "cn-shanghai"},
		{name: "OSS_REGION wins over FC's", env: map[string]string{"OSS_REGION": "cn-beijing"}, region: "cn-shanghai", useReg: "cn-beijing"},
		{name: "endpoint names the region", env: map[string]string{"OSS_ENDPOINT": "https://oss-ap-southeast-1.aliyuncs.com"}, endpoint: "https://oss-ap-southeast-1.aliyuncs.com", useReg: "ap-southeast-1"},
		{name: "internal endpoint host", env: map[string]string{"OSS_ENDPOINT": "oss-cn-hangzhou-internal.aliyuncs.com"}, onFC: true, endpoint: "oss-cn-hangzhou-internal.aliyuncs.com", useReg: "cn-hangzhou"},
		{name: "no region anywhere", wantErr: "set OSS_REGION"},
		{name: "plain http to a localhost name", env: map[string]string{"OSS_ENDPOINT": "http://oss.localhost:9000", "OSS_REGION": "cn-hangzhou"}, endpoint: "http://oss.localhost:9000", useReg: "cn-hangzhou"},
		{name: "plain http to a remote host", env: map[string]string{"OSS_ENDPOINT": "http://oss.example.com", "OSS_REGION": "cn-hangzhou"}, wantErr: "loopback"},
		{name: "other scheme", env: map[string]string{"OSS_ENDPOINT": "ftp://oss.example.com", "OSS_REGION": "cn-hangzhou"}, wantErr: "https URL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := ossConfig(Options{Credentials: testCreds, Region: tt.region, OnFC: tt.onFC, Getenv: func(k string) string { return tt.env[k] }})
			if tt.wantErr != "" {
				if !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("ossConfig = %v, want ErrConfig saying %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if oss.ToString(cfg.Region) != tt.useReg || oss.ToString(cfg.Endpoint) != tt.endpoint || oss.ToBool(cfg.UseInternalEndpoint) != tt.internal {
				t.Fatalf("region %q endpoint %q internal %v", oss.ToString(cfg.Region), oss.ToString(cfg.Endpoint), oss.ToBool(cfg.UseInternalEndpoint))
			}
		})
	}
}
