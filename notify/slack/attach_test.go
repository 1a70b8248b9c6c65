package slack

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/export-notifier/export-notifier/event"
	"github.com/export-notifier/export-notifier/notify"
)

// fakeUploads is the Slack Web API's upload flow and chat.postMessage,
// recording what arrives.
type fakeUploads struct {
	srv      *httptest.Server
	mu       sync.Mutex
	calls    []string
	uploaded []byte
	complete map[string]string
	notes    []string // thread replies
}

func newFakeUploads(t *testing.T) *fakeUploads {
	f := &fakeUploads{}
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		method := strings.TrimPrefix(r.URL.Path, "/")
		f.mu.Lock()
		defer f.mu.Unlock()
		f.calls = append(f.calls, method)
		if method == "upload/F123" {
			f.uploaded, _ = io.ReadAll(r.Body)
			return
		}
		_ = r.ParseForm()
		if r.Form.Get("token") != secretToken {
			_, _ = io.WriteString(w, `{"ok":false,"error":"invalid_auth"}`)
			return
		}
		switch method {
		case "chat.postMessage":
			if ts := r.Form.Get("thread_ts"); ts != "" {
				f.notes = append(f.notes, r.Form.Get("text"))
			}
			_, _ = io.WriteString(w, `{"ok":true,"channel":"C0EXPORTS","ts":"1800000000.000100"}`)
		case "files.getUploadURLExternal":
			if r.Form.Get("filename") == "" || r.Form.Get("length") == "" {
				_, _ = io.WriteString(w, `{"ok":false,"error":"invalid_arguments"}`)
				return
			}
			_, _ = io.WriteString(w, `{"ok":true,"upload_url":"`+f.srv.URL+`/upload/F123","file_id":"F123"}`)
		case "files.completeUploadExternal":
			f.complete = map[string]string{"files": r.Form.Get("files"), "channel_id": r.Form.Get("channel_id"), "thread_ts": r.Form.Get("thread_ts")}
			_, _ = io.WriteString(w, `{"ok":true}`)
		default:
			_, _ = io.WriteString(w, `{"ok":false,"error":"unknown_method"}`)
		}
	}))
	t.Cleanup(f.srv.Close)
	return f
}

func TestAttachFileInThread(t *testing.T) {
	file := bytes.Repeat([]byte("export row\n"), 5000)
	links := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/big.zip" {
			w.Header().Set("Content-Length", strconv.FormatInt(AttachMaxBytes+1, 10))
			return
		}
		w.Header().Set("Content-Length", strconv.Itoa(len(file)))
		_, _ = w.Write(file)
	}))
	defer links.Close()
	tests := []struct {
		name, link string
		wantFile   bool
		wantNote   string
	}{
		{name: "streamed", link: links.URL + "/sas/health_check.zip?Expires=1795596540&Signature=LINKSECRET", wantFile: true},
		{name: "too large", link: links.URL + "/big.zip?Signature=LINKSECRET", wantNote: "more than the 1.0 GiB Slack takes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			slack := newFakeUploads(t)
			sinks := Settings{BotToken: secretToken, Channel: "C0EXPORTS", APIURL: slack.srv.URL + "/", AttachFile: true}.Notifiers(true)
			ev := notify.SampleEvent(event.Completed)
			ev.Status.Link = tt.link
			if err := sinks[0].Notify(context.Background(), []event.Event{ev}); err != nil {
				t.Fatal(err)
			}
			slack.mu.Lock()
			defer slack.mu.Unlock()
			if tt.wantFile != bytes.Equal(slack.uploaded, file) {
				t.Fatalf("uploaded %d bytes, want the file: %v (calls %v, notes %q)", len(slack.uploaded), tt.wantFile, slack.calls, slack.notes)
			}
			if tt.wantFile {
				var files []map[string]string
				_ = json.Unmarshal([]byte(slack.complete["files"]), &files)
				if slack.complete["thread_ts"] != "1800000000.000100" || slack.complete["channel_id"] != "C0EXPORTS" || len(files) != 1 || files[0]["id"] != "F123" || files[0]["title"] != "health_check.zip" {
					t.Fatalf("files.completeUploadExternal got %v", slack.complete)
				}
			}
			if tt.wantNote != "" && (len(slack.notes) != 1 || !strings.Contains(slack.notes[0], tt.wantNote)) {
				t.Fatalf("thread notes %q, want one saying %q", slack.notes, tt.wantNote)
			}
			for _, n := range slack.notes {
				if strings.Contains(n, "LINKSECRET") || strings.Contains(n, "TOKENSECRET") {
					t.Fatalf("a thread note shows a secret: %q", n)
				}
			}
		})
	}
}

func TestAttachFileNeedsBot(t *testing.T) {
	_, err := FromEnv(func(k string) string {
		return map[string]string{"SLACK_WEBHOOK_URL": "https://hooks.slack.com/services/" + secretPath, "SLACK_ATTACH_FILE": "true"}[k]
	})
	if err == nil || !strings.Contains(err.Error(), "SLACK_ATTACH_FILE") {
		t.Fatalf("FromEnv: %v, want SLACK_ATTACH_FILE refused without a bot", err)
	}
}
