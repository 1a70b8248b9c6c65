package handler

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/export-notifier/export-notifier/event"
)

func TestConfigFromEnv(t *testing.T) {
	tests := []struct {
		name    string
		env     map[string]string
		check   func(t *testing.T, c Config)
		wantErr string
	}{
		{name: "defaults", env: nil, check: func(t *testing.T, c Config) {
			if c.StallAfter != 2*time.Hour || c.Concurrency != 8 || c.QPS != 10 || c.Lease != 0 || len(c.NotifyOn) != 3 || c.FollowFor != FollowToDeadline || c.Digest {
				t.Fatalf("defaults = %+v", c)
			}
		}},
		{name: "all set", env: map[string]string{
			"EXPORT_IDS": "1 vul:2", "NOTIFY_ON": "completed, failed", "STALL_AFTER": "30m",
			"POLL_CONCURRENCY": "16", "POLL_QPS": "2.5", "CLAIM_LEASE": "5m",
		}, check: func(t *testing.T, c Config) {
			if len(c.ExportIDs) != 2 || c.NotifyOn[event.Stalled] || !c.NotifyOn[event.Failed] ||
				c.StallAfter != 30*time.Minute || c.Concurrency != 16 || c.QPS != 2.5 || c.Lease != 5*time.Minute {
				t.Fatalf("config = %+v", c)
			}
		}},
		{name: "one pass", env: map[string]string{"FOLLOW_FOR": "0"}, check: func(t *testing.T, c Config) {
			if c.FollowFor != 0 {
				t.Fatalf("FOLLOW_FOR=0 gave %s, want one pass", c.FollowFor)
			}
		}},
		{name: "follow window", env: map[string]string{"FOLLOW_FOR": "50s"}, check: func(t *testing.T, c Config) {
			if c.FollowFor != 50*time.Second {
				t.Fatalf("FOLLOW_FOR=50s gave %s", c.FollowFor)
			}
		}},
		{name: "follow to the deadline", env: map[string]string{"FOLLOW_FOR": " deadline "}, check: func(t *testing.T, c Config) {
			if c.FollowFor != FollowToDeadline {
				t.Fatalf("FOLLOW_FOR=deadline gave %s", c.FollowFor)
			}
		}},
		{name: "bad follow window", env: map[string]string{"FOLLOW_FOR": "a while"}, wantErr: `FOLLOW_FOR: "a while" is not a duration such as 50s, 0 (one pass) or deadline`},
		{name: "negative follow window", env: map[string]string{"FOLLOW_FOR": "-1s"}, wantErr: `FOLLOW_FOR: "-1s" is not a duration`},
		{name: "follow window too long", env: map[string]string{"FOLLOW_FOR": "61m"}, wantErr: `FOLLOW_FOR: "61m" is more than the maximum, 1h`},
		{name: "bad id", env: map[string]string{"EXPORT_IDS": "1, abc"}, wantErr: `EXPORT_IDS: export "abc": the ID "abc" is not a number`},
		{name: "bad event type", env: map[string]string{"NOTIFY_ON": "completed,done"}, wantErr: `NOTIFY_ON: unknown event type "done"`},
		{name: "bad stall", env: map[string]string{"STALL_AFTER": "2 hours"}, wantErr: `STALL_AFTER: "2 hours" is not a positive duration`},
		{name: "negative lease", env: map[string]string{"CLAIM_LEASE": "-1m"}, wantErr: `CLAIM_LEASE: "-1m"`},
		{name: "zero concurrency", env: map[string]string{"POLL_CONCURRENCY": "0"}, wantErr: `POLL_CONCURRENCY: "0" is not a whole number from 1 to 256`},
		{name: "bad qps", env: map[string]string{"POLL_QPS": "fast"}, wantErr: `POLL_QPS: "fast"`},
		{name: "digest per batch", env: map[string]string{"DIGEST": "batch"}, check: func(t *testing.T, c Config) {
			if !c.Digest {
				t.Fatal("DIGEST=batch is off")
			}
		}},
		{name: "bad digest", env: map[string]string{"DIGEST": "daily"}, wantErr: `DIGEST: "daily": want batch`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := ConfigFromEnv(func(k string) string { return tt.env[k] })
			if tt.wantErr != "" {
				var inputErr *InputError
				if !errors.As(err, &inputErr) || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want an *InputError containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, c)
		})
	}
}

// FuzzParseFollowFor: any text is a window from 0 to MaxFollowFor, the
// deadline, or a one-line error that quotes it briefly.
func FuzzParseFollowFor(f *testing.F) {
	for _, s := range []string{"50s", "0", "deadline", "-1s", "1h0m1s", "9999999999h", "1e3s", " 0s "} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		d, err := ParseFollowFor(v)
		if err != nil {
			if msg := err.Error(); strings.Contains(msg, "\n") || len(msg) > 300 {
				t.Errorf("error for %q is not one brief line: %q", v, msg)
			}
			return
		}
		if d != FollowToDeadline && (d < 0 || d > MaxFollowFor) {
			t.Errorf("ParseFollowFor(%q) = %s, outside 0 to %s", v, d, MaxFollowFor)
		}
	})
}
