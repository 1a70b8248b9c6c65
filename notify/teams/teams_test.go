package teams

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
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

var update = flag.Bool("update", false, "rewrite testdata/*.golden from the current output")

const sigValue = "S1GSECRETxyz0123456789abcdefABCDEF"

// workflow is a Workflows webhook on loopback: it checks the sig and the
// card, answers 202 as Teams does, or its scripted status.
type workflow struct {
	*httptest.Server
	t      *testing.T
	status int
	mu     sync.Mutex
	got    [][]byte
}

func newWorkflow(t *testing.T, status int) *workflow {
	w := &workflow{t: t, status: status}
	w.Server = httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if r.URL.Query().Get("sig") != sigValue {
			rw.WriteHeader(http.StatusUnauthorized)
			_, _ = io.WriteString(rw, `{"error":{"code":"DirectApiAuthorizationRequired","message":"The request must be authenticated"}}`)
			return
		}
		for _, p := range validateMessage(body) {
			t.Errorf("card rule broken: %s", p)
		}
		w.mu.Lock()
		w.got = append(w.got, body)
		w.mu.Unlock()
		rw.WriteHeader(w.status)
	}))
	t.Cleanup(w.Close)
	return w
}

func (w *workflow) url() string {
	return w.URL + "/workflows/0a1b/triggers/manual/paths/invoke?api-version=2016-06-01&sp=%2Ftriggers%2Fmanual%2Frun&sv=1.0&sig=" + sigValue
}

func newSink(t *testing.T, target string) notify.Notifier {
	t.Helper()
	s, err := FromEnv(notifytest.MapEnv(map[string]string{"TEAMS_WEBHOOK_URL": target}))
	if err != nil {
		t.Fatal(err)
	}
	return s.Notifiers(true)[0]
}

func fastRetrier() notify.Retrier {
	return notify.Retrier{MaxAttempts: 3, Backoff: time.Millisecond, MaxBackoff: 5 * time.Millisecond, AttemptTimeout: 5 * time.Second}
}

func TestTeamsPostsValidCards(t *testing.T) {
	wf := newWorkflow(t, http.StatusAccepted)
	sink := newSink(t, wf.url())
	var events []event.Event
	for _, name := range []string{"completed", "failed_grouped", "stalled", "started"} {
		events = append(events, notifytest.GoldenCases()[name]...)
	}

	out := fastRetrier().Deliver(context.Background(), sink, events)

	if len(out) != 4 {
		t.Fatalf("%d messages, want 4 (the three failures in one)", len(out))
	}
	for _, o := range out {
		if o.Err != nil || o.Attempts != 1 {
			t.Fatalf("%d attempts, err %v", o.Attempts, o.Err)
		}
	}
	first := string(wf.got[0])
	if !strings.Contains(first, `"title":"Download","url":"https://sas-export-cn-shanghai`) || !strings.Contains(first, `"title":"Total rows","value":"1,234"`) {
		t.Errorf("the completion card lacks its Download action or facts:\n%s", first)
	}
}

// TestCardRulesCatchMistakes: the validator refuses what Teams would not
// render, so that the test above can fail.
func TestCardRulesCatchMistakes(t *testing.T) {
	good := `{"type":"message","attachments":[{"contentType":"application/vnd.microsoft.card.adaptive","contentUrl":null,"content":{"$schema":"s","type":"AdaptiveCard","version":"1.5","body":[{"type":"FactSet","facts":[{"title":"a","value":"b"}]}]}}]}`
	if p := validateMessage([]byte(good)); len(p) != 0 {
		t.Fatalf("a valid message refused: %v", p)
	}
	for bad, want := range map[string]string{
		strings.Replace(good, `"1.5"`, `"1.6"`, 1):                                         "version",
		strings.Replace(good, `vnd.microsoft.card.adaptive`, `vnd.microsoft.card.hero`, 1): "contentType",
		strings.Replace(good, `"FactSet"`, `"Table"`, 1):                                   "element type Table",
		strings.Replace(good, `{"title":"a","value":"b"}`, `{"title":"a"}`, 1):             "value: required",
		strings.Replace(good, `"type":"FactSet",`, `"type":"FactSet","wrap":true,`, 1):     `property "wrap"`,
		strings.Replace(good, `"facts":[{"title":"a","value":"b"}]`, `"facts":[]`, 1):      "facts: required",
		strings.Replace(good, `{"type":"FactSet","facts":[{"title":"a","value":"b"}]}`, `{"type":"RichTextBlock","inlines":[{"type":"TextRun","text":"x","color":"Red"}]}`, 1):                                                  "color = Red",
		strings.Replace(good, `{"type":"FactSet","facts":[{"title":"a","value":"b"}]}`, `{"type":"RichTextBlock","inlines":[{"type":"TextRun","text":"x","selectAction":{"type":"Action.OpenUrl","url":"file:///tmp/x"}}]}`, 1): "selectAction.url",
	} {
		if p := validateMessage([]byte(bad)); !strings.Contains(strings.Join(p, "\n"), want) {
			t.Errorf("%s: problems %v, want one about %q", bad, p, want)
		}
	}
}

func TestTeamsAnswers(t *testing.T) {
	for _, tt := range []struct {
		name     string
		status   int
		sig      string
		attempts int
		want     string
	}{
		{"wrong sig", http.StatusAccepted, "other", 1, "HTTP 401 {\"error\":{\"code\":\"DirectApiAuthorizationRequired\""},
		{"busy", http.StatusServiceUnavailable, sigValue, 3, "HTTP 503"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			wf := newWorkflow(t, tt.status)
			sink := newSink(t, strings.Replace(wf.url(), sigValue, tt.sig, 1))
			o := fastRetrier().Deliver(context.Background(), sink, []event.Event{notify.SampleEvent(event.Failed)})[0]
			var e *notify.Error
			if o.Attempts != tt.attempts || !errors.As(o.Err, &e) || !strings.Contains(e.Error(), tt.want) {
				t.Errorf("%d attempts, err %v; want %d and %q", o.Attempts, o.Err, tt.attempts, tt.want)
			}
			if strings.Contains(e.Error(), tt.sig) {
				t.Errorf("the error shows the sig: %v", e)
			}
		})
	}
}

func TestTeamsLongGroupFits(t *testing.T) {
	var many []event.Event
	for i := range 400 {
		ev := notify.SampleEvent(event.Failed)
		ev.Status.Ref.ID = int64(1000000 + i)
		ev.Status.FileName = strings.Repeat("导出文件😀", 60)
		many = append(many, ev)
	}
	b, err := notify.MarshalJSON(Render(many, true), "")
	if err != nil || len(b) > maxBody || len(validateMessage(b)) != 0 || !strings.Contains(string(b), "more") {
		t.Errorf("a card of %d bytes (at most %d), problems %v", len(b), maxBody, validateMessage(b))
	}
}

func TestTeamsSettings(t *testing.T) {
	for v, want := range map[string]string{
		"https://prod-00.westus.logic.azure.com/workflows/0a1b/triggers/manual/paths/invoke?api-version=2016-06-01": "TEAMS_WEBHOOK_URL: https://prod-00.westus.logic.azure.com/… has no sig query parameter",
		"http://prod-00.westus.logic.azure.com/workflows/x?sig=" + sigValue:                                         "TEAMS_WEBHOOK_URL: http://prod-00.westus.logic.azure.com/…: plain http",
	} {
		_, err := FromEnv(notifytest.MapEnv(map[string]string{"TEAMS_WEBHOOK_URL": v}))
		if err == nil || !strings.HasPrefix(err.Error(), want) || strings.Contains(err.Error(), sigValue) {
			t.Errorf("err %v, want %q", err, want)
		}
	}
}

func TestGoldenTeams(t *testing.T) {
	for name, events := range notifytest.GoldenCases() {
		t.Run(name, func(t *testing.T) { goldenCard(t, name, events) })
	}
}

// goldenCard checks the card about events against the card rules and
// the golden file teams_<name>, and returns its body.
func goldenCard(t *testing.T, name string, events []event.Event) []byte {
	t.Helper()
	r, err := Settings{}.Preview(events, true)
	if err != nil {
		t.Fatal(err)
	}
	if p := validateMessage(r[0].Body); len(p) != 0 {
		t.Errorf("card rules broken: %v", p)
	}
	var out bytes.Buffer
	if err := json.Indent(&out, r[0].Body, "", "  "); err != nil {
		t.Fatal(err)
	}
	out.WriteByte('\n')
	notifytest.Golden(t, "teams_"+name, out.Bytes(), *update)
	return r[0].Body
}
