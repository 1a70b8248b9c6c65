package event

import (
	"slices"
	"strings"
	"testing"
)

func TestParseRef(t *testing.T) {
	tests := []struct {
		in      string
		want    Ref
		wantErr string
	}{
		{in: "131231", want: Ref{Kind: Asset, ID: 131231}},
		{in: " vul:52 ", want: Ref{Kind: Vul, ID: 52}},
		{in: "131231@16670360956", want: Ref{Kind: Asset, ID: 131231, Account: 16670360956}},
		{in: "asset:7@9", want: Ref{Kind: Asset, ID: 7, Account: 9}},
		{in: "suspEvent:2147483647", want: Ref{Kind: SuspEvent, ID: 2147483647}},
		{in: "hc:1", want: Ref{Kind: HC, ID: 1}},
		{in: "warning:3", want: Ref{Kind: Warning, ID: 3}},
		{in: "abc", wantErr: `export "abc": the ID "abc" is not a number`},
		{in: "-5", wantErr: `export "-5": the ID must be a positive number`},
		{in: "0", wantErr: `export "0": the ID must be a positive number`},
		{in: "disk:5", wantErr: `export "disk:5": unknown export kind "disk"`},
		{in: ":5", wantErr: `unknown export kind ""`},
		{in: "vul:52@123", wantErr: `export "vul:52@123": only asset exports take a resource directory account`},
		{in: "5@x", wantErr: `export "5@x": the resource directory account "x" is not a positive number`},
		{in: "5@0", wantErr: `the resource directory account "0" is not a positive number`},
		{in: "suspEvent:2147483648", wantErr: `suspEvent export IDs are 32-bit`},
		{in: "99999999999999999999", wantErr: `is not a number`},
		{in: "", wantErr: "empty export reference"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseRef(tt.in)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("ParseRef(%q) error = %v, want it to contain %q", tt.in, err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("ParseRef(%q) = %+v, %v; want %+v", tt.in, got, err, tt.want)
			}
			again, err := ParseRef(got.String())
			if err != nil || again != got {
				t.Fatalf("ParseRef(%q.String() = %q) = %+v, %v; want the same ref", tt.in, got.String(), again, err)
			}
		})
	}
}

func TestParseList(t *testing.T) {
	tests := []struct {
		in      string
		want    []string
		wantErr string
	}{
		{in: "", want: []string{}},
		{in: "131231, vul:52", want: []string{"asset:131231", "vul:52"}},
		{in: "1 2\t3\nhc:4", want: []string{"asset:1", "asset:2", "asset:3", "hc:4"}},
		{in: "1,,2,", want: []string{"asset:1", "asset:2"}},
		{in: "1, vul:x, 3", wantErr: `export "vul:x": the ID "x" is not a number`},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			refs, err := ParseList(tt.in)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("ParseList(%q) error = %v, want %q", tt.in, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got := make([]string, len(refs))
			for i, r := range refs {
				got[i] = r.String()
			}
			if strings.Join(got, " ") != strings.Join(tt.want, " ") {
				t.Fatalf("ParseList(%q) = %v, want %v", tt.in, got, tt.want)
			}
		})
	}
}

func TestEventIDIsStableAndDistinct(t *testing.T) {
	r := Ref{Kind: Asset, ID: 131231}
	completed := NewID(r, Key(Completed, nil))
	if completed != NewID(r, Key(Completed, nil)) {
		t.Fatal("the same event got two IDs")
	}
	ids := map[string]string{
		completed: "completed",
	}
	for name, id := range map[string]string{
		"failed NoPermission": NewID(r, Key(Failed, &Failure{Code: "NoPermission"})),
		"failed ServerError":  NewID(r, Key(Failed, &Failure{Code: "ServerError"})),
		"stalled":             NewID(r, Key(Stalled, nil)),
		"other account":       NewID(Ref{Kind: Asset, ID: 131231, Account: 5}, Key(Completed, nil)),
		"other kind":          NewID(Ref{Kind: Vul, ID: 131231}, Key(Completed, nil)),
	} {
		if prev, ok := ids[id]; ok {
			t.Fatalf("%s and %s share the ID %s", name, prev, id)
		}
		ids[id] = name
	}
}

func TestParseType(t *testing.T) {
	for _, typ := range Types() {
		if got, err := ParseType(string(typ)); err != nil || got != typ {
			t.Fatalf("ParseType(%q) = %q, %v", typ, got, err)
		}
	}
	if _, err := ParseType("done"); err == nil || !strings.Contains(err.Error(), `"done"`) {
		t.Fatalf("ParseType(done) error = %v, want it to name the value", err)
	}
	// running is transient: it names no NOTIFY_ON entry and is never stored.
	_, err := ParseType(string(Running))
	if err == nil {
		t.Fatal("ParseType accepted running, which is never stored nor notified on")
	}
	if want := "(want completed, failed, stalled or started)"; !strings.Contains(err.Error(), want) {
		t.Errorf("ParseType(running) error = %q, want it to list %s", err, want)
	}
	if slices.Contains(Types(), Running) {
		t.Error("Types() lists running")
	}
	if !slices.Contains(Types(), Started) {
		t.Error("Types() lacks started")
	}
	if got := Started.CloudEventType(); got != "export-notifier.export.started" {
		t.Errorf("CloudEventType = %q", got)
	}
}

// FuzzParseList checks that any input either parses into valid refs whose
// canonical forms parse back to themselves, or is refused with an error.
func FuzzParseList(f *testing.F) {
	for _, s := range []string{"131231, vul:52", "131231@16670360956", "suspEvent:2147483648", "a:b@c", "1@", ":"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		refs, err := ParseList(s)
		if err != nil {
			return
		}
		for _, r := range refs {
			if err := r.Validate(); err != nil {
				t.Fatalf("ParseList(%q) returned invalid ref %+v: %v", s, r, err)
			}
			back, err := ParseRef(r.String())
			if err != nil || back != r {
				t.Fatalf("ref %+v does not round-trip: %+v, %v", r, back, err)
			}
		}
	})
}
