package slack

import (
	"flag"
	"maps"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/export-notifier/export-notifier/event"
	"github.com/export-notifier/export-notifier/notify"
	"github.com/export-notifier/export-notifier/notify/internal/notifytest"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden from the current output")

// The secrets of the Slack tests; none may appear in an error or a log.
const (
	secretPath  = "T0AAAA/B0BBBB/PATHSECRETxyz"
	secretToken = "xoxb-1111-2222-TOKENSECRETxyz"
)

func allSecrets() []string { return []string{secretPath, "PATHSECRET", secretToken, "TOKENSECRET"} }

// build is the sinks s configures, with links.
func build(s Settings) ([]notify.Notifier, error) { return s.Notifiers(true), nil }

// slackGoldenCases adds the messages only Slack sends: the running state
// of a message that updates itself, early (nothing counted yet) and half
// way.
func slackGoldenCases() map[string][]event.Event {
	cases := notifytest.GoldenCases()
	early := notify.SampleEvent(event.Running)
	early.Status.State, early.Status.Progress, early.Status.CurrentCount, early.Status.TotalCount = event.Init, 0, 0, 0
	cases["running"] = []event.Event{notify.SampleEvent(event.Running)}
	cases["running_init"] = []event.Event{early}
	maps.Copy(cases, notifytest.DigestGoldenCases())
	return cases
}

func TestGoldenSlack(t *testing.T) {
	for name, events := range slackGoldenCases() {
		t.Run(name, func(t *testing.T) {
			m := Render(events, true)
			checkSlackLimits(t, m)
			b, err := notify.MarshalJSON(m, "  ")
			if err != nil {
				t.Fatal(err)
			}
			notifytest.Golden(t, "slack_"+name, b, *update)
		})
	}
}

// closedURL is a loopback URL nothing listens on, for transport errors.
func closedURL(t *testing.T) string {
	srv := httptest.NewServer(http.NotFoundHandler())
	u := srv.URL
	srv.Close()
	return u
}

func TestBlockKitBuilderURLOpensSlack(t *testing.T) {
	link, err := BlockKitBuilderURL(Render([]event.Event{notify.SampleEvent(event.Completed)}, true))
	if err != nil || !strings.HasPrefix(link, "https://app.slack.com/block-kit-builder/#") || strings.Contains(link, "+") {
		t.Errorf("link %q, err %v", link, err)
	}
}
