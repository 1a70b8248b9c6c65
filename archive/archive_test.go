package archive

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aliyun/alibabacloud-oss-go-sdk-v2/oss"

	"github.com/export-notifier/export-notifier/credential"
	"github.com/export-notifier/export-notifier/event"
	"github.com/export-notifier/export-notifier/internal/crc64ecma"
	"github.com/export-notifier/export-notifier/internal/osstest"
	"github.com/export-notifier/export-notifier/state"
)

var testCreds = credential.Static{AccessKeyID: "AKIDARCHIVETEST", AccessKeySecret: "archive-secret-must-not-show", SecurityToken: "archive-sts-token-must-not-show"}

// linkSignature is the Signature of the fake Security Center links.
const linkSignature = "sas-link-signature-must-not-show"

// source stands in for Security Center's download link: an OSS-style
// presigned URL serving body, which it may cut short or refuse.
type source struct {
	body     []byte
	truncate bool // send half the body, then close
	status   int  // answer this instead
	withCRC  bool // send x-oss-hash-crc64ecma
	hits     atomic.Int32
	srv      *httptest.Server
}

func newSource(t *testing.T, body []byte) *source {
	s := &source{body: body}
	s.srv = httptest.NewServer(s)
	t.Cleanup(s.srv.Close)
	return s
}

func (s *source) link(expires time.Time) string {
	return fmt.Sprintf("%s/export/file.zip?Expires=%d&OSSAccessKeyId=LTAISAS&Signature=%s", s.srv.URL, expires.Unix(), linkSignature)
}

func (s *source) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.hits.Add(1)
	if s.status != 0 {
		w.WriteHeader(s.status)
		return
	}
	w.Header().Set("Content-Length", strconv.Itoa(len(s.body)))
	if s.withCRC {
		w.Header().Set("x-oss-hash-crc64ecma", strconv.FormatUint(crc64ecma.Checksum(s.body), 10))
	}
	if !s.truncate {
		_, _ = w.Write(s.body)
		return
	}
	_, _ = w.Write(s.body[:len(s.body)/2])
	w.(http.Flusher).Flush()
	conn, _, err := http.NewResponseController(w).Hijack()
	if err == nil {
		conn.Close()
	}
}

var (
	now     = time.Date(2026, 12, 3, 7, 0, 0, 0, time.UTC)
	later   = now.Add(time.Hour)
	testKey = "2026/12/03/asset-131231/file.zip"
)

func randomBytes(n int) []byte {
	b := make([]byte, n)
	r := rand.NewChaCha8([32]byte{1})
	_, _ = r.Read(b)
	return b
}

// Small parts, so that multipart uploads are cheap to test.
const (
	testThreshold = 64 << 10
	testPart      = 16 << 10
)

func ossArchiver(t *testing.T, fake *osstest.Server, srv *httptest.Server, prefix string, settings Settings) *Archiver {
	t.Helper()
	env := map[string]string{"OSS_ENDPOINT": srv.URL, "OSS_REGION": "cn-hangzhou"}
	a, err := Open(context.Background(), "oss://"+fake.Bucket+"/"+prefix, Options{
		OSSConfig: func() (*oss.Config, error) {
			return state.OSSConfig(state.Options{Credentials: testCreds, Getenv: func(k string) string { return env[k] }, RequestTimeout: 5 * time.Second})
		},
		HTTP:      NewHTTPClient(),
		Settings:  settings,
		Threshold: testThreshold,
		PartSize:  testPart,
	})
	if err != nil {
		t.Fatal(err)
	}
	a.Now = func() time.Time { return now }
	return a
}

func newOSS(t *testing.T) (*osstest.Server, *httptest.Server) {
	fake, srv := osstest.New("archive-bucket")
	t.Cleanup(srv.Close)
	return fake, srv
}

func fileArchiver(t *testing.T, dir string) *Archiver {
	t.Helper()
	a, err := Open(context.Background(), "file://"+dir, Options{HTTP: NewHTTPClient()})
	if err != nil {
		t.Fatal(err)
	}
	a.Now = func() time.Time { return now }
	return a
}

func TestCopyStoresTheSameBytes(t *testing.T) {
	for _, size := range []int{0, 1000, testThreshold, testThreshold + 3*testPart + 7} {
		t.Run(fmt.Sprintf("oss-%d", size), func(t *testing.T) {
			body := randomBytes(size)
			src := newSource(t, body)
			fake, srv := newOSS(t)
			a := ossArchiver(t, fake, srv, "exports/", Settings{})
			obj, err := a.Copy(context.Background(), src.link(later), testKey)
			if err != nil {
				t.Fatal(err)
			}
			got, ok := fake.Get("exports/" + testKey)
			if !ok || !bytes.Equal(got.Data, body) {
				t.Fatalf("stored %d bytes (found %v), want the %d downloaded", len(got.Data), ok, len(body))
			}
			want := Object{URL: "oss://archive-bucket/exports/" + testKey, Bucket: "archive-bucket", Key: "exports/" + testKey, Size: int64(size), CRC64: crc64ecma.Checksum(body)}
			if obj != want {
				t.Fatalf("Copy = %+v, want %+v", obj, want)
			}
			wantParts := 0
			if size > testThreshold {
				wantParts = (size + testPart - 1) / testPart
			}
			if n := fake.Count("UploadPart"); n != wantParts || fake.Uploads() != 0 {
				t.Fatalf("%d parts uploaded, %d uploads left open; want %d parts, none open", n, fake.Uploads(), wantParts)
			}
		})
		t.Run(fmt.Sprintf("file-%d", size), func(t *testing.T) {
			body := randomBytes(size)
			src := newSource(t, body)
			dir := t.TempDir()
			obj, err := fileArchiver(t, dir).Copy(context.Background(), src.link(later), testKey)
			if err != nil {
				t.Fatal(err)
			}
			got, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(testKey)))
			if err != nil || !bytes.Equal(got, body) {
				t.Fatalf("stored %d bytes (%v), want the %d downloaded", len(got), err, len(body))
			}
			if obj.Size != int64(size) || obj.CRC64 != crc64ecma.Checksum(body) || obj.URL != "file://"+filepath.ToSlash(dir)+"/"+testKey {
				t.Fatalf("Copy = %+v", obj)
			}
			checkNoPartials(t, dir)
		})
	}
}

func checkNoPartials(t *testing.T, dir string) {
	t.Helper()
	_ = filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err == nil && strings.HasPrefix(d.Name(), ".partial-") {
			t.Errorf("a partial file is left: %s", path)
		}
		return nil
	})
}

// TestCopyFailsWithoutStoring: each failure has its reason, and neither
// store keeps an object or an open upload.
func TestCopyFailsWithoutStoring(t *testing.T) {
	big := testThreshold + 2*testPart + 5
	tests := []struct {
		name    string
		size    int
		prepare func(*source, *osstest.Server)
		max     int64
		want    error
		inFile  bool // the failure applies to a file:// archive too
	}{
		{name: "truncated small", size: 5000, prepare: func(s *source, _ *osstest.Server) { s.truncate = true }, want: ErrVerify, inFile: true},
		{name: "truncated multipart", size: big, prepare: func(s *source, _ *osstest.Server) { s.truncate = true }, want: ErrVerify, inFile: true},
		{name: "CRC mismatch small", size: 5000, prepare: func(_ *source, f *osstest.Server) {
			f.Inject(osstest.Fault{Op: "PutObject", WrongCRC: true})
		}, want: ErrVerify},
		{name: "CRC mismatch in a part", size: big, prepare: func(_ *source, f *osstest.Server) {
			f.Inject(osstest.Fault{Op: "UploadPart", WrongCRC: true})
		}, want: ErrVerify},
		{name: "CRC mismatch of the whole", size: big, prepare: func(_ *source, f *osstest.Server) {
			f.Inject(osstest.Fault{Op: "CompleteMultipartUpload", WrongCRC: true})
		}, want: ErrVerify},
		{name: "link refused", size: 5000, prepare: func(s *source, _ *osstest.Server) { s.status = http.StatusForbidden }, want: ErrLinkExpired, inFile: true},
		{name: "larger than ARCHIVE_MAX_BYTES", size: 5000, max: 4999, want: ErrTooLarge, inFile: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := newSource(t, randomBytes(tt.size))
			fake, srv := newOSS(t)
			if tt.prepare != nil {
				tt.prepare(src, fake)
			}
			a := ossArchiver(t, fake, srv, "", Settings{MaxBytes: tt.max})
			_, err := a.Copy(context.Background(), src.link(later), testKey)
			if !errors.Is(err, tt.want) {
				t.Fatalf("Copy: %v, want %v", err, tt.want)
			}
			checkNoSecrets(t, err.Error())
			if keys := fake.Keys(); len(keys) != 0 || fake.Uploads() != 0 {
				t.Fatalf("after a failed copy OSS holds %v and %d open uploads", keys, fake.Uploads())
			}
			if !tt.inFile {
				return
			}
			dir := t.TempDir()
			fa := fileArchiver(t, dir)
			fa.MaxBytes = tt.max
			if _, err := fa.Copy(context.Background(), src.link(later), testKey); !errors.Is(err, tt.want) {
				t.Fatalf("file Copy: %v, want %v", err, tt.want)
			}
			if _, err := os.Stat(filepath.Join(dir, filepath.FromSlash(testKey))); !errors.Is(err, os.ErrNotExist) {
				t.Fatalf("a failed copy left a file: %v", err)
			}
			checkNoPartials(t, dir)
		})
	}
}

func TestExpiredLinkIsNotFetched(t *testing.T) {
	src := newSource(t, []byte("data"))
	fake, srv := newOSS(t)
	a := ossArchiver(t, fake, srv, "", Settings{})
	_, err := a.Copy(context.Background(), src.link(now.Add(-time.Second)), testKey)
	if !errors.Is(err, ErrLinkExpired) || !strings.Contains(err.Error(), "2026-12-03T06:59:59Z") {
		t.Fatalf("Copy of an expired link: %v, want ErrLinkExpired naming when", err)
	}
	if src.hits.Load() != 0 {
		t.Fatal("an expired link was fetched")
	}
}

// TestOverlappingWritersStoreOneObject: cycles copying the same export at
// once all succeed with the same object, created once.
func TestOverlappingWritersStoreOneObject(t *testing.T) {
	for _, size := range []int{5000, testThreshold + 2*testPart} {
		t.Run(strconv.Itoa(size), func(t *testing.T) {
			body := randomBytes(size)
			src := newSource(t, body)
			fake, srv := newOSS(t)
			var wg sync.WaitGroup
			objs := make([]Object, 6)
			errs := make([]error, 6)
			for i := range objs {
				a := ossArchiver(t, fake, srv, "p", Settings{})
				wg.Go(func() { objs[i], errs[i] = a.Copy(context.Background(), src.link(later), testKey) })
			}
			wg.Wait()
			for i := range objs {
				if errs[i] != nil || objs[i] != objs[0] {
					t.Fatalf("writer %d: %+v, %v; writer 0: %+v", i, objs[i], errs[i], objs[0])
				}
			}
			if fake.Creates() != 1 || len(fake.Keys()) != 1 || fake.Uploads() != 0 {
				t.Fatalf("%d creates, keys %v, %d open uploads; want one object", fake.Creates(), fake.Keys(), fake.Uploads())
			}
			if got, _ := fake.Get("p/" + testKey); !bytes.Equal(got.Data, body) {
				t.Fatal("the stored object is not the file")
			}
		})
	}
}

func TestKeyAlreadyHeld(t *testing.T) {
	body := randomBytes(3000)
	tests := []struct {
		name    string
		held    []byte
		withCRC bool
		want    error
		read    bool // the download's body is read to compare
	}{
		{name: "same file, CRC in the answer", held: body, withCRC: true},
		{name: "same file, CRC computed", held: body, read: true},
		{name: "different size", held: body[:100], want: ErrOccupied},
		{name: "same size, different bytes", held: randomBytes(3000)[:0:0], want: ErrOccupied},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			held := tt.held
			if len(held) == 0 {
				held = bytes.Repeat([]byte{'x'}, len(body))
			}
			src := newSource(t, body)
			src.withCRC = tt.withCRC
			fake, srv := newOSS(t)
			fake.Put(testKey, held)
			a := ossArchiver(t, fake, srv, "", Settings{})
			obj, err := a.Copy(context.Background(), src.link(later), testKey)
			if !errors.Is(err, tt.want) || (err == nil && obj.Size != int64(len(body))) {
				t.Fatalf("Copy = %+v, %v; want %v", obj, err, tt.want)
			}
			if fake.Count("PutObject") != 0 {
				t.Fatal("a held key was written")
			}
			if got, _ := fake.Get(testKey); !bytes.Equal(got.Data, held) {
				t.Fatal("the held object changed")
			}
		})
	}
}

// TestVersionedBucket: a bucket with versioning is used only where
// create-if-absent still holds, which a probe object shows.
func TestVersionedBucket(t *testing.T) {
	for _, tt := range []struct {
		status string
		holds  bool
	}{{"Enabled", false}, {"Suspended", false}, {"Enabled", true}} {
		fake, srv := newOSS(t)
		fake.Versioning, fake.ForbidHoldsWhenVersioned = tt.status, tt.holds
		env := map[string]string{"OSS_ENDPOINT": srv.URL, "OSS_REGION": "cn-hangzhou"}
		_, err := Open(context.Background(), "oss://archive-bucket/x", Options{OSSConfig: func() (*oss.Config, error) {
			return state.OSSConfig(state.Options{Credentials: testCreds, Getenv: func(k string) string { return env[k] }})
		}})
		if tt.holds && err != nil {
			t.Errorf("versioning %s where create-if-absent holds: %v", tt.status, err)
		}
		if !tt.holds && (!errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), strings.ToLower(tt.status))) {
			t.Errorf("versioning %s: %v, want ErrConfig naming it", tt.status, err)
		}
		if keys := fake.Keys(); len(keys) != 1 || keys[0] != "x/"+probeName {
			t.Errorf("versioning %s: the bucket holds %v, want the probe alone", tt.status, keys)
		}
	}
}

func TestPresignedLink(t *testing.T) {
	body := randomBytes(2000)
	src := newSource(t, body)
	fake, srv := newOSS(t)
	a := ossArchiver(t, fake, srv, "exports", Settings{LinkTTL: 24 * time.Hour})
	obj, err := a.Copy(context.Background(), src.link(later), testKey)
	if err != nil {
		t.Fatal(err)
	}
	before := time.Now()
	link, err := a.Link(context.Background(), obj)
	if err != nil {
		t.Fatal(err)
	}
	if d := link.Expires.Sub(before); d < 24*time.Hour-time.Minute || d > 24*time.Hour+time.Minute {
		t.Fatalf("the link expires %v after now, want 24h", d)
	}
	if !strings.Contains(link.URL, "x-oss-signature-version=OSS4-HMAC-SHA256") || !strings.Contains(link.URL, "x-oss-expires=86400") {
		t.Fatalf("link %s is not a V4 presigned URL valid for a day", link.URL)
	}
	if !link.Temporary {
		t.Fatalf("a link signed with an STS token is not marked temporary: %s", link.URL)
	}
	if exp, ok := event.LinkExpires(link.URL); !ok || !exp.Equal(link.Expires.Truncate(time.Second)) && exp.Sub(link.Expires).Abs() > time.Second {
		t.Fatalf("LinkExpires(presigned) = %v, %v; want %v", exp, ok, link.Expires)
	}
	res, err := http.Get(link.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	got, _ := io.ReadAll(res.Body)
	if !bytes.Equal(got, body) {
		t.Fatalf("the presigned link %s does not serve the archived file: %s %q", link.URL, res.Status, got[:min(len(got), 200)])
	}
}

// TestNoSecretInRequestsOrErrors: OSS's answers and the link's reach
// errors without the AccessKey secret, the STS token or a signature.
func TestNoSecretInErrors(t *testing.T) {
	src := newSource(t, randomBytes(3000))
	fake, srv := newOSS(t)
	a := ossArchiver(t, fake, srv, "", Settings{})
	fake.Inject(osstest.Fault{Op: "PutObject", Status: 403, Code: "AccessDenied"})
	_, err := a.Copy(context.Background(), src.link(later), testKey)
	if err == nil || !strings.Contains(err.Error(), "403 AccessDenied") {
		t.Fatalf("Copy: %v, want OSS's 403", err)
	}
	checkNoSecrets(t, err.Error())
	dead := &http.Client{Transport: &http.Transport{DialContext: func(context.Context, string, string) (net.Conn, error) {
		return nil, errors.New("refused")
	}}}
	a.HTTP = dead
	_, err = a.Copy(context.Background(), src.link(later), testKey)
	if err == nil {
		t.Fatal("Copy through a dead network succeeded")
	}
	checkNoSecrets(t, err.Error())
}

func checkNoSecrets(t *testing.T, text string) {
	t.Helper()
	for _, s := range []string{testCreds.AccessKeySecret, testCreds.SecurityToken, linkSignature, "OSS4-HMAC-SHA256"} {
		if strings.Contains(text, s) {
			t.Fatalf("%q shows a secret (%s)", text, s)
		}
	}
}
