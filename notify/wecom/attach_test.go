package wecom

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/export-notifier/export-notifier/event"
	"github.com/export-notifier/export-notifier/notify"
	"github.com/export-notifier/export-notifier/notify/internal/notifytest"
)

// fileBot is a WeCom group bot on loopback that takes files: upload_media
// (multipart field "media") answers a media_id or its scripted error in an
// HTTP 200 body, and send takes markdown, file and text messages.
type fileBot struct {
	*httptest.Server
	uploadAnswer string
	mu           sync.Mutex
	uploads      []upload
	sent         []map[string]any
}

type upload struct{ name, contents string }

func newFileBot(t *testing.T, uploadAnswer string) *fileBot {
	b := &fileBot{uploadAnswer: uploadAnswer}
	b.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("key") != botKey {
			_, _ = io.WriteString(w, `{"errcode":93000,"errmsg":"invalid webhook url"}`)
			return
		}
		b.mu.Lock()
		defer b.mu.Unlock()
		switch r.URL.Path {
		case "/cgi-bin/webhook/upload_media":
			b.upload(w, r)
		case "/cgi-bin/webhook/send":
			var m map[string]any
			if err := json.NewDecoder(r.Body).Decode(&m); err != nil {
				_, _ = io.WriteString(w, `{"errcode":40008,"errmsg":"invalid message type"}`)
				return
			}
			b.sent = append(b.sent, m)
			_, _ = io.WriteString(w, ok)
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(b.Close)
	return b
}

func (b *fileBot) upload(w http.ResponseWriter, r *http.Request) {
	file, header, err := r.FormFile("media")
	if r.URL.Query().Get("type") != "file" || r.ContentLength <= 0 || err != nil {
		_, _ = io.WriteString(w, `{"errcode":40004,"errmsg":"invalid media type"}`)
		return
	}
	data, _ := io.ReadAll(file)
	b.uploads = append(b.uploads, upload{header.Filename, string(data)})
	_, _ = io.WriteString(w, b.uploadAnswer)
}

func (b *fileBot) url() string { return b.URL + "/cgi-bin/webhook/send?key=" + botKey }

// archivedCompletion is a completion whose file was archived, its link
// pointing at a loopback server that serves contents.
func archivedCompletion(t *testing.T, contents string) event.Event {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, contents)
	}))
	t.Cleanup(srv.Close)
	ev := notify.SampleEvent(event.Completed)
	ev.Status.Link = srv.URL + "/sas/2026/11/25/hc-131231/health_check_export_20171123.xlsx?x-oss-signature=SIGsecret123"
	ev.Archive = &event.Archive{URL: "oss://archive-bucket/sas/2026/11/25/hc-131231/health_check_export_20171123.xlsx",
		Key: "sas/2026/11/25/hc-131231/health_check_export_20171123.xlsx", Size: int64(len(contents))}
	return ev
}

func newFileSink(t *testing.T, target, attach string) *sink {
	t.Helper()
	cfg, err := Kind().FromEnv(notifytest.MapEnv(map[string]string{"WECOM_WEBHOOK_URL": target, "WECOM_ATTACH_FILE": attach}))
	if err != nil {
		t.Fatal(err)
	}
	return cfg.Notifiers(true)[0].(*sink)
}

func msgTypes(sent []map[string]any) string {
	var types []string
	for _, m := range sent {
		types = append(types, m["msgtype"].(string))
	}
	return strings.Join(types, ",")
}

func TestWeComAttachesTheArchivedFile(t *testing.T) {
	const contents = "the export's rows, as an xlsx would hold them"
	for _, tt := range []struct {
		name, attach, uploadAnswer string
		archived                   bool
		want                       string // the message types sent, in order
		uploads                    int
	}{
		{"attached", "true", `{"errcode":0,"errmsg":"ok","type":"file","media_id":"3a8asd892asd8asd","created_at":"1380000000"}`, true, "markdown,file", 1},
		{"upload refused in a 200", "true", `{"errcode":40006,"errmsg":"invalid media size"}`, true, "markdown,text", 1},
		{"not archived", "true", ok, false, "markdown", 0},
		{"off", "false", ok, true, "markdown", 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			bot := newFileBot(t, tt.uploadAnswer)
			ev := archivedCompletion(t, contents)
			if !tt.archived {
				ev.Archive = nil
			}
			o := fastRetrier().Deliver(context.Background(), newFileSink(t, bot.url(), tt.attach), []event.Event{ev})[0]
			if o.Err != nil || o.Attempts != 1 {
				t.Fatalf("delivery: %d attempts, %v; want the message once, whatever the file", o.Attempts, o.Err)
			}
			if got := msgTypes(bot.sent); got != tt.want || len(bot.uploads) != tt.uploads {
				t.Fatalf("messages %s after %d uploads, want %s after %d", got, len(bot.uploads), tt.want, tt.uploads)
			}
			if tt.uploads > 0 && (bot.uploads[0].name != "health_check_export_20171123.xlsx" || bot.uploads[0].contents != contents) {
				t.Errorf("uploaded %+v, want the archived file under its name", bot.uploads[0])
			}
			last := bot.sent[len(bot.sent)-1]
			if file, _ := last["file"].(map[string]any); tt.want == "markdown,file" && file["media_id"] != "3a8asd892asd8asd" {
				t.Errorf("file message %v, want the uploaded media_id", last)
			}
			if text, _ := last["text"].(map[string]any); tt.want == "markdown,text" {
				content, _ := text["content"].(string)
				if !strings.Contains(content, "could not be attached") || !strings.Contains(content, "errcode 40006: invalid media size") ||
					strings.Contains(content, botKey) || strings.Contains(content, "SIGsecret123") {
					t.Errorf("note %q, want WeCom's reason without the key or the link's signature", content)
				}
			}
		})
	}
}

func TestWeComAttachesOnlyWhatWeComTakes(t *testing.T) {
	ev := notify.SampleEvent(event.Completed)
	for size, want := range map[int64]bool{4: false, 5: true, 20 << 20: true, 20<<20 + 1: false} {
		ev.Archive = &event.Archive{URL: "oss://b/k", Key: "k", Size: size}
		if got := attachable(ev); got != want {
			t.Errorf("a file of %d bytes attachable: %v, want %v", size, got, want)
		}
	}
	ev.Archive = &event.Archive{Error: "the download link has expired"}
	if attachable(ev) {
		t.Errorf("a file that was not archived is attached")
	}
}

// TestWeComTellsAFileTooSlowToAttach: a file still streaming when the
// attempt's time is nearly spent is given up, with time left to say so.
func TestWeComTellsAFileTooSlowToAttach(t *testing.T) {
	bot := newFileBot(t, ok)
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "1000")
		_, _ = io.WriteString(w, "the first bytes")
		w.(http.Flusher).Flush()
		<-r.Context().Done()
	}))
	t.Cleanup(slow.Close)
	ev := archivedCompletion(t, "")
	ev.Status.Link = slow.URL + "/file.xlsx"
	ev.Archive.Size = 1000
	r := fastRetrier()
	r.AttemptTimeout = noteTime + 300*time.Millisecond
	o := r.Deliver(context.Background(), newFileSink(t, bot.url(), "true"), []event.Event{ev})[0]
	if o.Err != nil || o.Attempts != 1 {
		t.Fatalf("delivery: %d attempts, %v; want the message once", o.Attempts, o.Err)
	}
	if got := msgTypes(bot.sent); got != "markdown,text" {
		t.Errorf("messages %s, want the markdown and the note that the file could not be attached", got)
	}
}
