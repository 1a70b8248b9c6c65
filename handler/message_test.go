package handler

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/slack-go/slack/slacktest"

	"github.com/export-notifier/export-notifier/event"
	"github.com/export-notifier/export-notifier/internal/sassim"
	"github.com/export-notifier/export-notifier/notify"
	"github.com/export-notifier/export-notifier/notify/sinks"
)

// slackChat records what a Slack workspace receives through chat.postMessage
// and chat.update, and serves the posts back through conversations.history
// (slacktest serves none of them the way this test needs: it has no
// chat.update and no history).
type slackChat struct {
	mu      sync.Mutex
	posts   []url.Values
	updates []url.Values
	lookups int
	// gone makes chat.update answer message_not_found, as Slack does for a
	// deleted message.
	gone bool
	// refuse, when set, is the error conversations.history answers.
	refuse string
	// lostAnswer, when set, is the error chat.postMessage answers after
	// it has posted the message, as when its real answer never arrives.
	lostAnswer string
}

func (s *slackChat) bind(c slacktest.Customize) {
	c.Handle("/chat.postMessage", s.handler(&s.posts, "1700000000.000100"))
	c.Handle("/chat.update", s.handler(&s.updates, ""))
	c.Handle("/conversations.history", s.history)
}

// history answers with every post, newest first, with its metadata.
func (s *slackChat) history(w http.ResponseWriter, _ *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.lookups++
	w.Header().Set("Content-Type", "application/json")
	if s.refuse != "" {
		_ = json.NewEncoder(w).Encode(map[string]any{"ok": false, "error": s.refuse})
		return
	}
	messages := []map[string]any{}
	for i := len(s.posts) - 1; i >= 0; i-- {
		m := map[string]any{"type": "message", "text": s.posts[i].Get("text"), "ts": fmt.Sprintf("17000000%02d.000100", i)}
		if md := s.posts[i].Get("metadata"); md != "" {
			m["metadata"] = json.RawMessage(md)
		}
		messages = append(messages, m)
	}
	_ = json.NewEncoder(w).Encode(map[string]any{"ok": true, "messages": messages})
}

func (s *slackChat) handler(into *[]url.Values, ts string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		v, _ := url.ParseQuery(string(body))
		s.mu.Lock()
		*into = append(*into, v)
		refused := ""
		if s.gone && into == &s.updates {
			refused = "message_not_found"
		} else if into == &s.posts {
			refused, s.lostAnswer = s.lostAnswer, ""
		}
		s.mu.Unlock()
		if refused != "" {
			w.Header().Set("Content-Type", "application/json")
			_ = json.NewEncoder(w).Encode(map[string]any{"ok": false, "error": refused})
			return
		}
		if ts == "" {
			ts = v.Get("ts")
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"ok": true, "channel": "C0EXPORTS", "ts": ts})
	}
}

// updatingSlack is the Slack bot sink with SLACK_UPDATE_MESSAGES, talking
// to a slacktest server that records into chat.
func updatingSlack(t *testing.T, chat *slackChat) []notify.Notifier {
	t.Helper()
	return slackBot(t, chat, "true")
}

// slackBot is the Slack bot sink, with SLACK_UPDATE_MESSAGES set to
// update, talking to a slacktest server that records into chat.
func slackBot(t *testing.T, chat *slackChat, update string) []notify.Notifier {
	t.Helper()
	sts := slacktest.NewTestServer(chat.bind)
	sts.Start()
	t.Cleanup(sts.Stop)
	notifiers, err := sinks.FromEnv(func(name string) string {
		return map[string]string{
			"SLACK_BOT_TOKEN": "xoxb-test-token", "SLACK_CHANNEL": "C0EXPORTS",
			"SLACK_API_URL": sts.GetAPIURL(), "SLACK_UPDATE_MESSAGES": update,
		}[name]
	}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	return notifiers
}

func TestSlackMessageUpdatesItselfUntilTheExportIsReady(t *testing.T) {
	h := newHarness(t)
	h.sim.Add(sassim.Export{Ref: event.Ref{Kind: event.Asset, ID: 131240}, Steps: 4, FileName: "asset_export_20261130", TotalCount: 30000})
	chat := &slackChat{}
	c := &Cycle{Config: testConfig("131240"), Checker: h.checker, Store: h.store, Sinks: updatingSlack(t, chat)}
	for range 6 {
		h.run(t, c, Options{})
	}

	chat.mu.Lock()
	defer chat.mu.Unlock()
	if len(chat.posts) != 1 {
		t.Fatalf("%d messages posted, want one that then updates itself: %v", len(chat.posts), chat.posts)
	}
	if text := chat.posts[0].Get("text"); !strings.Contains(text, "Export running") {
		t.Errorf("the first message does not say the export is running: %q", text)
	}
	if len(chat.updates) < 2 {
		t.Fatalf("%d updates, want progress then completion", len(chat.updates))
	}
	for _, u := range chat.updates {
		if u.Get("ts") != "1700000000.000100" {
			t.Fatalf("an update went to another message: %v", u)
		}
	}
	final := chat.updates[len(chat.updates)-1].Get("text")
	if !strings.Contains(final, "asset_export_20261130") || !strings.Contains(final, "30,000") {
		t.Fatalf("the final message lacks FileName and TotalCount: %q", final)
	}
	progress := 0
	for _, u := range chat.updates[:len(chat.updates)-1] {
		if strings.Contains(u.Get("text"), "Export running") {
			progress++
		}
	}
	if progress == 0 {
		t.Errorf("the message was never updated with progress: %v", chat.updates)
	}
}

func TestDeletedSlackMessageStillGetsTheCompletion(t *testing.T) {
	h := newHarness(t)
	h.sim.Add(sassim.Export{Ref: event.Ref{Kind: event.Asset, ID: 131241}, Steps: 5, FileName: "asset_export_gone", TotalCount: 7})
	chat := &slackChat{}
	c := &Cycle{Config: testConfig("131241"), Checker: h.checker, Store: h.store, Sinks: updatingSlack(t, chat)}
	h.run(t, c, Options{}) // posts the running message
	chat.mu.Lock()
	chat.gone = true // someone deleted it
	chat.mu.Unlock()
	for range 4 {
		h.run(t, c, Options{})
	}
	chat.mu.Lock()
	defer chat.mu.Unlock()
	completions := 0
	for _, p := range chat.posts {
		if strings.Contains(p.Get("text"), "asset_export_gone") && strings.Contains(p.Get("text"), "Export ready") {
			completions++
		}
	}
	if completions != 1 {
		t.Fatalf("completion posted %d times after the message was deleted, want once as a new message: %v", completions, chat.posts)
	}
	running := 0
	for _, p := range chat.posts {
		if strings.Contains(p.Get("text"), "Export running") {
			running++
		}
	}
	if running != 2 {
		t.Fatalf("%d running messages posted, want the first and one replacing it once Slack said it was gone", running)
	}
}
