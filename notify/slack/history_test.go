package slack

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	slackgo "github.com/slack-go/slack"

	"github.com/export-notifier/export-notifier/event"
	"github.com/export-notifier/export-notifier/notify"
	"github.com/export-notifier/export-notifier/notify/internal/notifytest"
)

// workspace is one Slack channel at the process boundary: chat.postMessage
// keeps each message with its metadata, and conversations.history serves
// them newest first, a page at a time (slacktest serves no history).
type workspace struct {
	url      string
	mu       sync.Mutex
	messages []slackgo.Message // oldest first
	lookups  []url.Values
	// refuse, when set, is the error conversations.history answers.
	refuse string
}

func newWorkspace(t *testing.T) *workspace {
	t.Helper()
	w := &workspace{}
	mux := http.NewServeMux()
	mux.HandleFunc("/chat.postMessage", w.post)
	mux.HandleFunc("/conversations.history", w.history)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	w.url = srv.URL + "/"
	return w
}

func (w *workspace) add(m slackgo.Message) string {
	w.mu.Lock()
	defer w.mu.Unlock()
	m.Timestamp = fmt.Sprintf("%d.000100", 1700000000+len(w.messages))
	w.messages = append(w.messages, m)
	return m.Timestamp
}

func (w *workspace) post(rw http.ResponseWriter, r *http.Request) {
	_ = r.ParseForm()
	var m slackgo.Message
	m.Text = r.PostForm.Get("text")
	if md := r.PostForm.Get("metadata"); md != "" {
		if err := json.Unmarshal([]byte(md), &m.Metadata); err != nil {
			http.Error(rw, "bad metadata", http.StatusBadRequest)
			return
		}
	}
	answer(rw, map[string]any{"ok": true, "channel": "C0EXPORTS", "ts": w.add(m)})
}

func (w *workspace) history(rw http.ResponseWriter, r *http.Request) {
	_ = r.ParseForm()
	w.mu.Lock()
	defer w.mu.Unlock()
	w.lookups = append(w.lookups, r.PostForm)
	if w.refuse != "" {
		answer(rw, map[string]any{"ok": false, "error": w.refuse})
		return
	}
	limit, _ := strconv.Atoi(r.PostForm.Get("limit"))
	from, _ := strconv.Atoi(r.PostForm.Get("cursor"))
	var page []slackgo.Message
	for i := len(w.messages) - 1 - from; i >= 0 && len(page) < limit; i-- {
		page = append(page, w.messages[i])
	}
	next := ""
	if from+len(page) < len(w.messages) {
		next = strconv.Itoa(from + len(page))
	}
	answer(rw, map[string]any{"ok": true, "messages": page, "has_more": next != "", "response_metadata": map[string]string{"next_cursor": next}})
}

func answer(rw http.ResponseWriter, body any) {
	rw.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(rw).Encode(body)
}

func TestSlackBotFindsWhatItPosted(t *testing.T) {
	completed, failed := notify.SampleEvent(event.Completed), notify.SampleEvent(event.Failed)
	other := failed
	other.Status.Ref.ID = 131299
	other.ID = event.NewID(other.Status.Ref, other.Key())
	stalled := notify.SampleEvent(event.Stalled)
	filler := func(w *workspace, n int) {
		for i := range n {
			w.add(slackgo.Message{Msg: slackgo.Msg{Text: fmt.Sprintf("chatter %d", i)}})
		}
	}
	cases := []struct {
		name   string
		posted [][]event.Event // each a message the bot posted
		before func(w *workspace)
		after  func(w *workspace)
		asked  []event.Event
		want   []string
	}{
		{name: "posted", posted: [][]event.Event{{completed}}, asked: []event.Event{completed, stalled}, want: []string{completed.ID}},
		{name: "nothing posted", asked: []event.Event{completed}},
		{name: "grouped failures", posted: [][]event.Event{{failed, other}}, asked: []event.Event{failed, other}, want: []string{failed.ID, other.ID}},
		{name: "pages back", posted: [][]event.Event{{stalled}}, after: func(w *workspace) { filler(w, 450) }, asked: []event.Event{stalled}, want: []string{stalled.ID}},
		{name: "beyond the pages it reads", posted: [][]event.Event{{stalled}}, after: func(w *workspace) { filler(w, historyPage*historyPages) }, asked: []event.Event{stalled}},
		{name: "footer without metadata", before: func(w *workspace) {
			w.add(slackgo.Message{Msg: slackgo.Msg{Text: "posted without metadata", Blocks: Render([]event.Event{completed}, true).Blocks}})
		}, asked: []event.Event{completed, stalled}, want: []string{completed.ID}},
		{name: "another app's metadata", before: func(w *workspace) {
			w.add(slackgo.Message{Msg: slackgo.Msg{Metadata: slackgo.SlackMetadata{EventType: "deploy", EventPayload: map[string]any{metadataIDs: completed.ID}}}})
		}, asked: []event.Event{completed}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			w := newWorkspace(t)
			sink := newSlackBotSink(t, w.url)
			if c.before != nil {
				c.before(w)
			}
			for _, events := range c.posted {
				if err := sink.Notify(context.Background(), events); err != nil {
					t.Fatal(err)
				}
			}
			if c.after != nil {
				c.after(w)
			}

			found, err := sink.(notify.Deduper).Delivered(context.Background(), c.asked)

			if err != nil {
				t.Fatal(err)
			}
			if len(found) != len(c.want) {
				t.Errorf("found %v, want %v", found, c.want)
			}
			for _, id := range c.want {
				if !found[id] {
					t.Errorf("%s not found among %v", id, found)
				}
			}
			look := w.lookups[0]
			wantOldest := strconv.FormatInt(c.asked[0].Time.Add(-historySkew).Unix(), 10) + ".000000"
			if look.Get("channel") != "C0EXPORTS" || look.Get("include_all_metadata") != "1" || look.Get("oldest") != wantOldest {
				t.Errorf("conversations.history asked with %v, want the channel, metadata, and oldest %s", look, wantOldest)
			}
		})
	}
}

func TestSlackBotHistoryRefused(t *testing.T) {
	cases := []struct {
		name, channel, refuse, wantText string
		wantLookups                     int
	}{
		{name: "missing scope", channel: "C0EXPORTS", refuse: "missing_scope", wantText: "missing_scope", wantLookups: 1},
		{name: "channel by name", channel: "#exports", wantText: "not a #name"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			w := newWorkspace(t)
			w.refuse = c.refuse
			s, err := FromEnv(notifytest.MapEnv(map[string]string{"SLACK_BOT_TOKEN": secretToken, "SLACK_CHANNEL": c.channel, "SLACK_API_URL": w.url}))
			if err != nil {
				t.Fatal(err)
			}
			sink := s.Notifiers(true)[0].(notify.Deduper)

			found, err := sink.Delivered(context.Background(), []event.Event{notify.SampleEvent(event.Completed)})

			var e *notify.Error
			if !errors.As(err, &e) || !strings.Contains(e.Text, c.wantText) || found != nil {
				t.Fatalf("found %v, err %v; want an error saying %q", found, err, c.wantText)
			}
			if s := e.Error(); strings.Contains(s, "TOKENSECRET") {
				t.Errorf("error %q holds the token", s)
			}
			if len(w.lookups) != c.wantLookups {
				t.Errorf("%d lookups, want %d", len(w.lookups), c.wantLookups)
			}
		})
	}
}

func TestProgressMessagesCarryNoMetadata(t *testing.T) {
	w := newWorkspace(t)
	u := newUpdater(t, w.url)
	if _, err := u.Post(context.Background(), notify.ProgressEvent(runningStatus(40, 12000), "cn-shanghai", time.Now())); err != nil {
		t.Fatal(err)
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if md := w.messages[0].Metadata; md.EventType != "" {
		t.Errorf("a progress message, about no event, carries metadata %+v", md)
	}
}
