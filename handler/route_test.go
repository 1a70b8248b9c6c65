package handler

import (
	"bytes"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"github.com/slack-go/slack/slacktest"

	"github.com/export-notifier/export-notifier/event"
	"github.com/export-notifier/export-notifier/internal/sassim"
	"github.com/export-notifier/export-notifier/notify/console"
	"github.com/export-notifier/export-notifier/notify/sinks"
)

// lockedBuffer is a buffer the console sink and the logger may share.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestRoutesChooseTheSinks routes vul exports to the webhook and failures
// to the console: each gets its share, and the completion neither takes
// is logged once and never claimed.
func TestRoutesChooseTheSinks(t *testing.T) {
	h := newHarness(t)
	h.sim.Add(sassim.Export{Ref: event.Ref{Kind: event.Asset, ID: 131231}, Steps: 1})
	h.sim.Add(sassim.Export{Ref: event.Ref{Kind: event.Vul, ID: 52}, Fault: sassim.Fault{Code: "NoPermission", HTTPStatus: 403}})
	h.sim.Add(sassim.Export{Ref: event.Ref{Kind: event.Vul, ID: 53}, Steps: 1})
	hook := newReceiver(t)
	env := map[string]string{
		"WEBHOOK_URL":   hook.server.URL,
		"WEBHOOK_ROUTE": "kind=vul",
		"CONSOLE_ROUTE": "type=failed;account=own",
	}
	settings, err := sinks.Read(func(name string) string { return env[name] })
	if err != nil {
		t.Fatal(err)
	}
	var out, logs lockedBuffer
	c := &Cycle{Config: testConfig("131231, vul:52, vul:53"), Checker: h.checker, Store: h.store,
		Sinks: append(settings.Notifiers(nil), console.New(&out, true)), Takes: settings.Takes,
		Log: slog.New(slog.NewTextHandler(&logs, nil))}

	var results []Result
	for range 3 {
		results = append(results, h.run(t, c, Options{}))
	}

	if hook.count(event.Failed, "52") != 1 || hook.count(event.Completed, "53") != 1 || len(hook.events()) != 2 {
		t.Errorf("webhook got %+v, want the failure of vul:52 and the completion of vul:53", hook.events())
	}
	if !strings.Contains(out.String(), "52") || strings.Contains(out.String(), "53") || strings.Contains(out.String(), "131231") {
		t.Errorf("console printed %q, want the failure of vul:52 alone", out.String())
	}
	if n := strings.Count(logs.String(), "no sink takes the event"); n != 1 || !strings.Contains(logs.String(), "export=asset:131231") {
		t.Errorf("the completion no sink takes was logged %d times, want once naming the export:\n%s", n, logs.String())
	}
	for _, r := range results {
		for _, ev := range r.Events {
			if ev.Export == "asset:131231" {
				t.Errorf("the completion no sink takes was claimed: %+v", ev)
			}
		}
	}
	snap, err := h.store.Load(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if undelivered := snap.Undelivered(); len(undelivered) != 0 {
		t.Errorf("deliveries left waiting: %+v", undelivered)
	}
}

// TestSelfUpdatingMessagesFollowTheRoute: the Slack bot keeps a running
// message only about exports whose completion its route takes.
func TestSelfUpdatingMessagesFollowTheRoute(t *testing.T) {
	h := newHarness(t)
	h.sim.Add(sassim.Export{Ref: event.Ref{Kind: event.Asset, ID: 131240}, Steps: 4})
	h.sim.Add(sassim.Export{Ref: event.Ref{Kind: event.Vul, ID: 60}, Steps: 4, FileName: "vul_export_20261130"})
	chat := &slackChat{}
	sts := slacktest.NewTestServer(chat.bind)
	sts.Start()
	t.Cleanup(sts.Stop)
	env := map[string]string{
		"SLACK_BOT_TOKEN": "xoxb-test-token", "SLACK_CHANNEL": "C0EXPORTS", "SLACK_API_URL": sts.GetAPIURL(),
		"SLACK_UPDATE_MESSAGES": "true", "SLACK_ROUTE": "kind=vul",
	}
	settings, err := sinks.Read(func(name string) string { return env[name] })
	if err != nil {
		t.Fatal(err)
	}
	c := &Cycle{Config: testConfig("131240, vul:60"), Checker: h.checker, Store: h.store, Sinks: settings.Notifiers(nil), Takes: settings.Takes}
	for range 6 {
		h.run(t, c, Options{})
	}

	chat.mu.Lock()
	defer chat.mu.Unlock()
	if len(chat.posts) != 1 || !strings.Contains(chat.posts[0].Get("text"), "vul:60") {
		t.Fatalf("posts %v, want one running message, about vul:60", chat.posts)
	}
	for _, u := range chat.updates {
		if strings.Contains(u.Get("text"), "131240") {
			t.Errorf("an update about the asset export the route leaves out: %v", u)
		}
	}
}
