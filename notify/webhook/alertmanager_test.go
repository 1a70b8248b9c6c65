package webhook

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/export-notifier/export-notifier/event"
	"github.com/export-notifier/export-notifier/notify"
	"github.com/export-notifier/export-notifier/notify/incident"
	"github.com/export-notifier/export-notifier/notify/internal/notifytest"
)

// amMessage mirrors what Alertmanager's webhook receiver posts: its
// template.Data (receiver, status, alerts, groupLabels, commonLabels,
// commonAnnotations, externalURL) and the webhook's version, groupKey and
// truncatedAlerts. Decoding with unknown fields disallowed keeps the body
// to that shape.
type amMessage struct {
	Version            string            `json:"version"`
	GroupKey           string            `json:"groupKey"`
	TruncatedAlerts    uint64            `json:"truncatedAlerts"`
	Receiver           string            `json:"receiver"`
	Status             string            `json:"status"`
	Alerts             []amAlert         `json:"alerts"`
	NotificationReason string            `json:"notification_reason"`
	GroupLabels        map[string]string `json:"groupLabels"`
	CommonLabels       map[string]string `json:"commonLabels"`
	CommonAnnotations  map[string]string `json:"commonAnnotations"`
	ExternalURL        string            `json:"externalURL"`
}

type amAlert struct {
	Status       string            `json:"status"`
	Labels       map[string]string `json:"labels"`
	Annotations  map[string]string `json:"annotations"`
	StartsAt     time.Time         `json:"startsAt"`
	EndsAt       time.Time         `json:"endsAt"`
	GeneratorURL string            `json:"generatorURL"`
	Fingerprint  string            `json:"fingerprint"`
}

func decodeAlertmanager(t *testing.T, body []byte) amMessage {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	var m amMessage
	if err := dec.Decode(&m); err != nil {
		t.Fatalf("not an Alertmanager v4 body: %v\n%s", err, body)
	}
	return m
}

func TestAlertmanagerFiresThenResolves(t *testing.T) {
	r := newReceiver(t)
	sinks, err := FromEnv(notifytest.MapEnv(map[string]string{"WEBHOOK_URL": r.URL, "WEBHOOK_FORMAT": "alertmanager", "WEBHOOK_SECRET": testSecret}))
	if err != nil {
		t.Fatal(err)
	}
	sink := sinks.Notifiers(true)[0]
	failed, stalled, completed := notifytest.IncidentEvents()
	neverFailed := notify.SampleEvent(event.Completed)
	started := notify.SampleEvent(event.Started)
	for _, ev := range []event.Event{neverFailed, started} {
		if notify.Takes(sink, ev) {
			t.Errorf("the alertmanager format takes a %s event that resolves nothing", ev.Type)
		}
	}

	for _, o := range fastRetrier().Deliver(context.Background(), sink, []event.Event{failed, stalled, neverFailed, completed}) {
		if o.Err != nil {
			t.Fatal(o.Err)
		}
	}

	reqs := r.seen()
	if len(reqs) != 3 {
		t.Fatalf("%d requests, want 3 (nothing for the completion that resolves nothing)", len(reqs))
	}
	verifier, _ := standardwebhooks.NewWebhook(testSecret)
	var got []amMessage
	for i, req := range reqs {
		if err := verifier.Verify(req.body, req.header); err != nil {
			t.Errorf("request %d: signature: %v", i, err)
		}
		if ct := req.header.Get("Content-Type"); ct != "application/json" {
			t.Errorf("request %d: Content-Type %q", i, ct)
		}
		got = append(got, decodeAlertmanager(t, req.body))
	}
	fire, stall, resolve := got[0], got[1], got[2]
	if fire.Version != "4" || fire.Status != "firing" || len(fire.Alerts) != 1 || fire.Receiver == "" || fire.GroupKey == "" {
		t.Fatalf("firing message %+v", fire)
	}
	a := fire.Alerts[0]
	wantLabels := map[string]string{"alertname": incident.AlertFailed, "export": "asset:131232@16670360956", "kind": "asset", "account": "16670360956", "region": "cn-shanghai", "code": "NoPermission"}
	for k, v := range wantLabels {
		if a.Labels[k] != v {
			t.Errorf("label %s = %q, want %q", k, a.Labels[k], v)
		}
	}
	if a.Annotations["summary"] == "" || !strings.Contains(a.Annotations["description"], "not authorized") || !strings.Contains(a.Annotations["hint"], "DescribeExportInfo") {
		t.Errorf("annotations %+v", a.Annotations)
	}
	if !a.EndsAt.IsZero() || !a.StartsAt.Equal(failed.Time) || a.GeneratorURL == "" || len(a.Fingerprint) != 16 {
		t.Errorf("firing alert %+v", a)
	}
	if s := stall.Alerts[0]; s.Labels["alertname"] != incident.AlertStalled || s.Fingerprint == a.Fingerprint || s.Labels["code"] != "" {
		t.Errorf("stall alert %+v", s)
	}
	if resolve.Status != "resolved" || len(resolve.Alerts) != 2 || resolve.GroupKey != fire.GroupKey {
		t.Fatalf("resolved message %+v", resolve)
	}
	for i, firing := range []amAlert{a, stall.Alerts[0]} {
		r := resolve.Alerts[i]
		if r.Status != "resolved" || r.Fingerprint != firing.Fingerprint || !r.StartsAt.Equal(firing.StartsAt) || !r.EndsAt.Equal(completed.Time) || r.Labels["alertname"] != firing.Labels["alertname"] || r.Labels["code"] != firing.Labels["code"] {
			t.Errorf("resolved alert %d %+v does not close %+v", i, r, firing)
		}
	}
	if resolve.CommonLabels["export"] != wantLabels["export"] || resolve.CommonLabels["alertname"] != "" {
		t.Errorf("common labels %+v", resolve.CommonLabels)
	}
}

func TestWebhookFormatSettings(t *testing.T) {
	for env, want := range map[[2]string]string{
		{"xml", ""}:                 `WEBHOOK_FORMAT: "xml" is not a format (want cloudevents or alertmanager)`,
		{"alertmanager", "{{.ID}}"}: "WEBHOOK_FORMAT: alertmanager is a body of its own",
	} {
		_, err := FromEnv(notifytest.MapEnv(map[string]string{"WEBHOOK_FORMAT": env[0], "WEBHOOK_TEMPLATE": env[1]}))
		if err == nil || !strings.HasPrefix(err.Error(), want) {
			t.Errorf("%v: err = %v, want %q", env, err, want)
		}
	}
}

func TestGoldenAlertmanager(t *testing.T) {
	failed, stalled, completed := notifytest.IncidentEvents()
	for name, ev := range map[string]event.Event{"failed": failed, "stalled": stalled, "resolved": completed} {
		t.Run(name, func(t *testing.T) {
			b, err := AlertmanagerBody(ev, true)
			if err != nil {
				t.Fatal(err)
			}
			var out bytes.Buffer
			if err := json.Indent(&out, b, "", "  "); err != nil {
				t.Fatal(err)
			}
			out.WriteByte('\n')
			notifytest.Golden(t, "alertmanager_"+name, out.Bytes(), *update)
		})
	}
}
