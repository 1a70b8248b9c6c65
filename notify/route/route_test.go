package route

import (
	"strings"
	"testing"

	"github.com/export-notifier/export-notifier/event"
)

func sample(typ event.Type, kind event.Kind, account int64) event.Event {
	return event.Event{Type: typ, Status: event.Status{Ref: event.Ref{Kind: kind, ID: 1, Account: account}}}
}

func TestTakes(t *testing.T) {
	cases := []struct {
		route string
		ev    event.Event
		want  bool
	}{
		{"", sample(event.Started, event.HC, 0), true},
		{"type=completed,failed", sample(event.Failed, event.Asset, 0), true},
		{"type=completed,failed", sample(event.Stalled, event.Asset, 0), false},
		{"kind=vul,hc", sample(event.Completed, event.HC, 0), true},
		{"kind=vul,hc", sample(event.Completed, event.Asset, 0), false},
		{"account=16670360956", sample(event.Completed, event.Asset, 16670360956), true},
		{"account=16670360956", sample(event.Completed, event.Asset, 0), false},
		{"account=own", sample(event.Completed, event.Vul, 0), true},
		{"account=own", sample(event.Completed, event.Asset, 16670360956), false},
		{" type = completed , failed ; kind = vul ;", sample(event.Completed, event.Vul, 0), true},
		{"type=completed,failed;kind=vul,hc", sample(event.Completed, event.Asset, 0), false},
		{"type=failed,stalled;account=own,42", sample(event.Stalled, event.Asset, 42), true},
		// A batch's digest: named by type, and never by account.
		{"type=digest;kind=asset", sample(event.Digest, event.Asset, 42), true},
		{"type=completed,failed", sample(event.Digest, event.Asset, 0), false},
		{"account=42", sample(event.Digest, event.Asset, 42), false},
		{"kind=asset", sample(event.Digest, event.Asset, 42), true},
	}
	for _, c := range cases {
		f, err := Parse("SLACK_ROUTE", c.route)
		if err != nil {
			t.Fatalf("%q: %v", c.route, err)
		}
		if got := f.Takes(c.ev); got != c.want {
			t.Errorf("%q takes %s %s@%d = %v, want %v", c.route, c.ev.Type, c.ev.Status.Kind, c.ev.Status.Account, got, c.want)
		}
	}
}

func TestParseRefuses(t *testing.T) {
	cases := []struct{ route, want string }{
		{"type=done", `LARK_ROUTE: term 1 "type=done": unknown event type "done"`},
		{"type=failed;kind=vull", `LARK_ROUTE: term 2 "kind=vull": unknown export kind "vull"`},
		{"account=abc", `LARK_ROUTE: term 1 "account=abc": account "abc" is neither a member account ID nor own`},
		{"account=-5", `LARK_ROUTE: term 1 "account=-5": account "-5"`},
		{"region=cn", `LARK_ROUTE: term 1 "region=cn": unknown field "region" (want type, kind, account)`},
		{"completed", `LARK_ROUTE: term 1 "completed": want field=value,value`},
		{"type=", `LARK_ROUTE: term 1 "type=": type has no value`},
		{"type=failed;type=completed", `LARK_ROUTE: term 2 "type=completed": type is filtered twice`},
		{"type=running", `LARK_ROUTE: term 1 "type=running": unknown event type "running"`},
	}
	for _, c := range cases {
		_, err := Parse("LARK_ROUTE", c.route)
		if err == nil {
			t.Errorf("%q accepted", c.route)
			continue
		}
		if !strings.HasPrefix(err.Error(), c.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%q: err = %q, want one line starting %q", c.route, err, c.want)
		}
	}
}

// FuzzParse checks that a route is refused with one line naming the
// variable, or accepted and then decides every event without panicking,
// and that an accepted route that names no field takes every event.
func FuzzParse(f *testing.F) {
	f.Add("type=completed,failed;kind=vul,hc")
	f.Add("account=own,16670360956;;")
	f.Add("type=;kind==vul;account=0x10")
	f.Fuzz(func(t *testing.T, in string) {
		r, err := Parse("X_ROUTE", in)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "X_ROUTE: term ") || strings.Contains(err.Error(), "\n") || len(err.Error()) > 400 {
				t.Errorf("error %q", err)
			}
			return
		}
		took := 0
		for _, typ := range event.Types() {
			for _, k := range event.Kinds() {
				for _, a := range []int64{0, 16670360956} {
					if r.Takes(sample(typ, k, a)) {
						took++
					}
				}
			}
		}
		if r.IsZero() && took != len(event.Types())*len(event.Kinds())*2 {
			t.Errorf("%q names no field but refuses events", in)
		}
	})
}
