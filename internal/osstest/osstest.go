// Package osstest is a local server speaking as much of OSS's protocol as
// the archive uses, path style (the SDK switches to it for an IP
// endpoint): PutObject and multipart uploads honouring
// x-oss-forbid-overwrite, HeadObject, GetObject, DeleteObject and
// GetBucketVersioning, each answering with the x-oss-hash-crc64ecma OSS
// computes. Faults are injected per operation. It does not check
// signatures; it records what requests carried so tests can look for
// secrets.
package osstest

import (
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/export-notifier/export-notifier/internal/crc64ecma"
)

// Server is the fake OSS. Set its fields before the first request.
type Server struct {
	Bucket string
	// Versioning is the bucket's versioning status: "", Enabled or
	// Suspended. With versioning, x-oss-forbid-overwrite is ignored, as
	// OSS documents, unless ForbidHoldsWhenVersioned.
	Versioning               string
	ForbidHoldsWhenVersioned bool
	// Discard keeps only each object's size and CRC, not its bytes, so
	// that gigabytes can pass through; parts must then arrive in order.
	Discard bool

	mu      sync.Mutex
	objects map[string]Object
	uploads map[string]*upload
	nextID  int
	faults  []Fault
	ops     []string
	creates int
	headers []http.Header
}

// Object is what the server holds under a key.
type Object struct {
	Data  []byte // nil when Discard
	Size  int64
	CRC64 uint64
}

type upload struct {
	key    string
	parts  map[int]Object
	next   int    // Discard: the next part number expected
	crc    uint64 // Discard: the CRC of the parts so far
	size   int64
	forbid bool
}

// Fault makes the next request of Op (PutObject, UploadPart,
// CompleteMultipartUpload, ...) fail with Status and Code; with WrongCRC
// instead, the request succeeds but its answer carries a CRC off by one.
type Fault struct {
	Op       string
	Status   int
	Code     string
	WrongCRC bool
}

// New starts a server for bucket, closed by the caller.
func New(bucket string) (*Server, *httptest.Server) {
	s := &Server{Bucket: bucket, objects: map[string]Object{}, uploads: map[string]*upload{}}
	return s, httptest.NewServer(s)
}

// Inject queues faults.
func (s *Server) Inject(fs ...Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, fs...)
}

// Get returns the object under key.
func (s *Server) Get(key string) (Object, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	o, ok := s.objects[key]
	return o, ok
}

// Put stores an object as if uploaded earlier.
func (s *Server) Put(key string, data []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.objects[key] = Object{Data: data, Size: int64(len(data)), CRC64: crc64ecma.Checksum(data)}
}

// Keys lists the keys held, sorted.
func (s *Server) Keys() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var ks []string
	for k := range s.objects {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

// Count is how many requests of op arrived.
func (s *Server) Count(op string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, o := range s.ops {
		if o == op {
			n++
		}
	}
	return n
}

// Creates is how many objects were created (puts and completed uploads).
func (s *Server) Creates() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.creates
}

// Uploads is how many multipart uploads are neither completed nor aborted.
func (s *Server) Uploads() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.uploads)
}

// Headers returns the headers of every request so far.
func (s *Server) Headers() []http.Header {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.headers)
}

// Operation names the OSS operation r asks for.
func Operation(r *http.Request, key string) string {
	q := r.URL.Query()
	switch {
	case key == "" && q.Has("versioning") && r.Method == http.MethodGet:
		return "GetBucketVersioning"
	case key != "" && r.Method == http.MethodPost && q.Has("uploads"):
		return "InitiateMultipartUpload"
	case key != "" && r.Method == http.MethodPut && q.Has("uploadId"):
		return "UploadPart"
	case key != "" && r.Method == http.MethodPost && q.Has("uploadId"):
		return "CompleteMultipartUpload"
	case key != "" && r.Method == http.MethodDelete && q.Has("uploadId"):
		return "AbortMultipartUpload"
	case key != "" && r.Method == http.MethodPut:
		return "PutObject"
	case key != "" && r.Method == http.MethodHead:
		return "HeadObject"
	case key != "" && r.Method == http.MethodGet:
		return "GetObject"
	case key != "" && r.Method == http.MethodDelete:
		return "DeleteObject"
	}
	return r.Method + " " + r.URL.Path
}

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	bucket, key, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
	op := Operation(r, key)
	s.mu.Lock()
	s.ops = append(s.ops, op)
	h := r.Header.Clone()
	h.Set("X-Test-Query", r.URL.RawQuery)
	s.headers = append(s.headers, h)
	flt := s.takeFault(op)
	s.mu.Unlock()
	if bucket != s.Bucket {
		writeError(w, http.StatusNotFound, "NoSuchBucket", "The specified bucket does not exist.")
		return
	}
	if flt.Status != 0 {
		_, _ = io.Copy(io.Discard, r.Body)
		writeError(w, flt.Status, flt.Code, "injected")
		return
	}
	s.serve(w, r, op, key, flt.WrongCRC)
}

func (s *Server) takeFault(op string) Fault {
	for i, f := range s.faults {
		if f.Op == op {
			s.faults = slices.Delete(s.faults, i, i+1)
			return f
		}
	}
	return Fault{}
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request, op, key string, wrongCRC bool) {
	switch op {
	case "GetBucketVersioning":
		writeXML(w, struct {
			XMLName xml.Name `xml:"VersioningConfiguration"`
			Status  string   `xml:"Status,omitempty"`
		}{Status: s.Versioning})
	case "PutObject":
		s.putObject(w, r, key, wrongCRC)
	case "HeadObject", "GetObject":
		s.getObject(w, r, key)
	case "DeleteObject":
		s.mu.Lock()
		delete(s.objects, key)
		s.mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	case "InitiateMultipartUpload":
		s.initiate(w, r, key)
	case "UploadPart":
		s.uploadPart(w, r, wrongCRC)
	case "CompleteMultipartUpload":
		s.complete(w, r, key, wrongCRC)
	case "AbortMultipartUpload":
		s.mu.Lock()
		delete(s.uploads, r.URL.Query().Get("uploadId"))
		s.mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	default:
		writeError(w, http.StatusNotImplemented, "NotImplemented", op)
	}
}

// read takes a request body, keeping its bytes unless Discard.
func (s *Server) read(r io.Reader) (Object, error) {
	h := crc64ecma.New()
	var o Object
	var err error
	if s.Discard {
		o.Size, err = io.Copy(h, r)
	} else {
		o.Data, err = io.ReadAll(io.TeeReader(r, h))
		o.Size = int64(len(o.Data))
	}
	o.CRC64 = h.Sum64()
	return o, err
}

// forbids says whether r may not overwrite an object.
func (s *Server) forbids(r *http.Request) bool {
	return strings.EqualFold(r.Header.Get("x-oss-forbid-overwrite"), "true") && (s.Versioning == "" || s.ForbidHoldsWhenVersioned)
}

func (s *Server) putObject(w http.ResponseWriter, r *http.Request, key string, wrongCRC bool) {
	o, err := s.read(r.Body)
	if err != nil {
		return // the client gave up; OSS keeps nothing
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, exists := s.objects[key]; exists && s.forbids(r) {
		writeError(w, http.StatusConflict, "FileAlreadyExists", "The object you specified already exists and can not be overwritten.")
		return
	}
	s.objects[key] = o
	s.creates++
	writeCRC(w, o.CRC64, wrongCRC)
	w.WriteHeader(http.StatusOK)
}

func writeCRC(w http.ResponseWriter, crc uint64, wrong bool) {
	if wrong {
		crc++
	}
	w.Header().Set("x-oss-hash-crc64ecma", strconv.FormatUint(crc, 10))
	w.Header().Set("ETag", `"etag"`)
	w.Header().Set("x-oss-request-id", "fake-request")
}

func (s *Server) getObject(w http.ResponseWriter, r *http.Request, key string) {
	s.mu.Lock()
	o, ok := s.objects[key]
	s.mu.Unlock()
	if !ok {
		writeError(w, http.StatusNotFound, "NoSuchKey", "The specified key does not exist.")
		return
	}
	writeCRC(w, o.CRC64, false)
	w.Header().Set("Content-Length", strconv.FormatInt(o.Size, 10))
	w.Header().Set("Last-Modified", "Thu, 03 Dec 2026 06:00:00 GMT")
	if r.Method == http.MethodGet {
		_, _ = w.Write(o.Data)
	}
}

func (s *Server) initiate(w http.ResponseWriter, r *http.Request, key string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, exists := s.objects[key]; exists && s.forbids(r) {
		writeError(w, http.StatusConflict, "FileAlreadyExists", "The object you specified already exists and can not be overwritten.")
		return
	}
	s.nextID++
	id := fmt.Sprintf("upload-%d", s.nextID)
	s.uploads[id] = &upload{key: key, parts: map[int]Object{}, next: 1, forbid: s.forbids(r)}
	writeXML(w, struct {
		XMLName  xml.Name `xml:"InitiateMultipartUploadResult"`
		Bucket   string   `xml:"Bucket"`
		Key      string   `xml:"Key"`
		UploadID string   `xml:"UploadId"`
	}{Bucket: s.Bucket, Key: key, UploadID: id})
}

func (s *Server) uploadPart(w http.ResponseWriter, r *http.Request, wrongCRC bool) {
	q := r.URL.Query()
	n, _ := strconv.Atoi(q.Get("partNumber"))
	s.mu.Lock()
	u, ok := s.uploads[q.Get("uploadId")]
	inOrder := ok && n == u.next
	if inOrder {
		u.next++
	}
	s.mu.Unlock()
	if !ok {
		writeError(w, http.StatusNotFound, "NoSuchUpload", "The specified upload does not exist.")
		return
	}
	if s.Discard && !inOrder {
		writeError(w, http.StatusBadRequest, "InvalidPartOrder", "this fake takes parts in order when it discards data")
		return
	}
	o, err := s.read(r.Body)
	if err != nil {
		return
	}
	s.mu.Lock()
	u.parts[n] = o
	u.size += o.Size
	u.crc = crc64ecma.Combine(u.crc, o.CRC64, o.Size) // parts in order when Discard
	s.mu.Unlock()
	writeCRC(w, o.CRC64, wrongCRC)
	w.WriteHeader(http.StatusOK)
}

func (s *Server) complete(w http.ResponseWriter, r *http.Request, key string, wrongCRC bool) {
	var req struct {
		Parts []struct {
			PartNumber int `xml:"PartNumber"`
		} `xml:"Part"`
	}
	if err := xml.NewDecoder(r.Body).Decode(&req); err != nil {
		writeError(w, http.StatusBadRequest, "MalformedXML", err.Error())
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	id := r.URL.Query().Get("uploadId")
	u, ok := s.uploads[id]
	if !ok || u.key != key {
		writeError(w, http.StatusNotFound, "NoSuchUpload", "The specified upload does not exist.")
		return
	}
	if _, exists := s.objects[key]; exists && (u.forbid || s.forbids(r)) {
		writeError(w, http.StatusConflict, "FileAlreadyExists", "The object you specified already exists and can not be overwritten.")
		return
	}
	o := Object{Size: u.size, CRC64: u.crc}
	if !s.Discard {
		h := crc64ecma.New()
		for _, p := range req.Parts {
			part, ok := u.parts[p.PartNumber]
			if !ok {
				writeError(w, http.StatusBadRequest, "InvalidPart", "a listed part was not uploaded")
				return
			}
			o.Data = append(o.Data, part.Data...)
			h.Write(part.Data)
		}
		o.Size, o.CRC64 = int64(len(o.Data)), h.Sum64()
	}
	delete(s.uploads, id)
	s.objects[key] = o
	s.creates++
	writeCRC(w, o.CRC64, wrongCRC)
	writeXML(w, struct {
		XMLName xml.Name `xml:"CompleteMultipartUploadResult"`
		Bucket  string   `xml:"Bucket"`
		Key     string   `xml:"Key"`
		ETag    string   `xml:"ETag"`
	}{Bucket: s.Bucket, Key: key, ETag: "etag"})
}

func writeXML(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/xml")
	w.Header().Set("x-oss-request-id", "fake-request")
	_, _ = w.Write([]byte(xml.Header))
	_ = xml.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, status int, code, message string) {
	w.Header().Set("Content-Type", "application/xml")
	w.Header().Set("x-oss-request-id", "fake-request")
	w.WriteHeader(status)
	fmt.Fprintf(w, "%s<Error><Code>%s</Code><Message>%s</Message><RequestId>fake-request</RequestId><HostId>127.0.0.1</HostId></Error>", xml.Header, code, message)
}
