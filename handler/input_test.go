package handler

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/export-notifier/export-notifier/event"
	"github.com/export-notifier/export-notifier/exports/catalog"
)

func TestParseInvocation(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    string // canonical refs, space separated
		wantErr string
	}{
		{name: "empty", in: "", want: ""},
		{name: "null", in: "null", want: ""},
		{name: "timer with plain list", in: `{"triggerTime":"2026-11-25T07:49:00Z","triggerName":"every5m","payload":"131231, vul:52"}`, want: "asset:131231 vul:52"},
		{name: "timer with JSON payload", in: `{"triggerTime":"2026-11-25T07:49:00Z","triggerName":"t","payload":"{\"exports\":[131231,\"vul:52\",{\"id\":77,\"kind\":\"asset\",\"resourceDirectoryAccountId\":16670360956}]}"}`, want: "asset:131231 vul:52 asset:77@16670360956"},
		{name: "timer without payload", in: `{"triggerTime":"2026-11-25T07:49:00Z","triggerName":"t"}`, want: ""},
		{name: "timer with a field FC may add", in: `{"triggerTime":"x","triggerName":"t","payload":"5","region":"cn-hangzhou"}`, want: "asset:5"},
		{name: "bare payload object", in: `{"exports":[1,"hc:2"]}`, want: "asset:1 hc:2"},
		{name: "bare JSON string", in: `"3 warning:4"`, want: "asset:3 warning:4"},
		{name: "bare plain list", in: `5,6`, want: "asset:5 asset:6"},
		{name: "object with kind only by default", in: `{"exports":[{"id":9}]}`, want: "asset:9"},
		{name: "malformed JSON", in: `{"exports":[1,}`, wantErr: "payload: malformed JSON"},
		{name: "unknown field", in: `{"exports":[1],"export":[2]}`, wantErr: `payload: unknown field "export" (allowed: "exports", "start")`},
		{name: "bad start", in: `{"start":[{"kind":"asset","exportType":"assetInstnce"}]}`, wantErr: `payload: start[0]: `},
		{name: "start of a kind that cannot be started", in: `{"start":[{"kind":"hc"}]}`, wantErr: `start[0]: `},
		{name: "unknown item field", in: `{"exports":[{"id":1,"kind":"vul","acct":3}]}`, wantErr: `exports[0]: {"id":1,"kind":"vul","acct":3}: unknown field "acct"`},
		{name: "abc", in: `abc`, wantErr: `payload: export "abc": the ID "abc" is not a number`},
		{name: "abc in JSON", in: `{"exports":["abc"]}`, wantErr: `exports[0]: export "abc": the ID "abc" is not a number`},
		{name: "negative", in: `-5`, wantErr: `export "-5": the ID must be a positive number`},
		{name: "negative in JSON", in: `{"exports":[-5]}`, wantErr: `exports[0]: export asset:-5: the ID must be a positive number`},
		{name: "zero", in: `0`, wantErr: `export "0": the ID must be a positive number`},
		{name: "zero in JSON", in: `{"exports":[{"id":0}]}`, wantErr: `the ID must be a positive number`},
		{name: "fraction", in: `{"exports":[1.5]}`, wantErr: `exports[0]: 1.5: 1.5 is not an integer export ID`},
		{name: "unknown kind", in: `{"exports":[{"id":1,"kind":"disk"}]}`, wantErr: `unknown export kind "disk"`},
		{name: "unknown kind in list", in: `disk:1`, wantErr: `unknown export kind "disk"`},
		{name: "account on vul", in: `{"exports":[{"id":1,"kind":"vul","resourceDirectoryAccountId":5}]}`, wantErr: `only asset exports take a resource directory account`},
		{name: "exports not a list", in: `{"exports":5}`, wantErr: `field "exports": got a JSON number`},
		{name: "missing id", in: `{"exports":[{"kind":"vul"}]}`, wantErr: `missing "id"`},
		{name: "payload not a string", in: `{"triggerTime":"x","triggerName":"t","payload":5}`, wantErr: `timer event: field "payload"`},
		{name: "trailing data", in: `{"exports":[1]} {}`, wantErr: "payload: malformed JSON"},
		{name: "trailing data in timer payload", in: `{"triggerTime":"x","triggerName":"t","payload":"{\"exports\":[1]} {}"}`, wantErr: "unexpected data after the JSON object"},
		{name: "too many", in: strings.Repeat("1,", MaxIDs+1), wantErr: fmt.Sprintf("%d exports named, at most %d allowed", MaxIDs+1, MaxIDs)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in, err := ParseInvocation([]byte(tt.in))
			if tt.wantErr != "" {
				var inputErr *InputError
				if !errors.As(err, &inputErr) || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error = %v, want an *InputError containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := refsString(in.Refs); got != tt.want {
				t.Fatalf("refs = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestParseInvocationStarts(t *testing.T) {
	in, err := ParseInvocation([]byte(`{"triggerTime":"2026-11-30T00:00:00Z","triggerName":"weekly","payload":` +
		`"{\"start\":[{\"kind\":\"asset\",\"exportType\":\"assetInstance\",\"lang\":\"en\"},{\"kind\":\"vul\",\"type\":\"cve\"}],\"exports\":[5]}"}`))
	if err != nil {
		t.Fatal(err)
	}
	if in.Trigger != "weekly@2026-11-30T00:00:00Z" || len(in.Starts) != 2 || refsString(in.Refs) != "asset:5" {
		t.Fatalf("input = %+v", in)
	}
	if in.Starts[0].Kind != event.Asset || in.Starts[0].ExportType != "assetInstance" || in.Starts[1].Kind != event.Vul || in.Starts[1].Type != "cve" {
		t.Fatalf("starts = %+v", in.Starts)
	}
}

func TestParsePayloadTooManyJSON(t *testing.T) {
	var b strings.Builder
	b.WriteString(`{"exports":[`)
	for i := range MaxIDs + 1 {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprint(&b, i+1)
	}
	b.WriteString(`]}`)
	_, err := ParsePayload(b.String())
	if err == nil || !strings.Contains(err.Error(), "100001 exports named, at most 100000 allowed") {
		t.Fatalf("err = %v", err)
	}
}

func refsString(refs []event.Ref) string {
	parts := make([]string, len(refs))
	for i, r := range refs {
		parts[i] = r.String()
	}
	return strings.Join(parts, " ")
}

// FuzzParseInvocation checks that any event either yields valid refs or an
// *InputError, and never panics.
func FuzzParseInvocation(f *testing.F) {
	for _, s := range []string{
		`{"triggerTime":"t","triggerName":"n","payload":"1, vul:2"}`,
		`{"exports":[1,"hc:2",{"id":3,"kind":"asset","resourceDirectoryAccountId":4}]}`,
		`"5"`, `6 7`, `{"exports":[{"id":1e3}]}`, `{"triggerName":null}`, `[1]`,
		`{"exports":[1],"exports":[2]}`, `{"exports":[{"id":1,"kind":"vul","kind":"asset"}]}`,
		`{"triggerTime":"t","triggerName":"n","payload":"1","payload":"2"}`,
		`{"start":[{"kind":"asset","exportType":"assetInstance","params":{"a":"1","a":"2"}}]}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		in, err := ParseInvocation(raw)
		if err != nil {
			var inputErr *InputError
			if !errors.As(err, &inputErr) {
				t.Fatalf("error %v is not an *InputError", err)
			}
			return
		}
		for _, r := range in.Refs {
			if err := r.Validate(); err != nil {
				t.Fatalf("invalid ref %+v accepted: %v", r, err)
			}
		}
		for _, spec := range in.Starts {
			if err := catalog.Validate(spec); err != nil {
				t.Fatalf("invalid start %+v accepted: %v", spec, err)
			}
		}
	})
}
