package sassim_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/export-notifier/export-notifier/event"
	"github.com/export-notifier/export-notifier/internal/sassim"
)

func TestLoadScenario(t *testing.T) {
	sc, err := sassim.LoadScenario(filepath.Join("testdata", "scenario.json"))
	if err != nil {
		t.Fatal(err)
	}
	if sc.Options.Steps != 4 || sc.Options.Latency != 20*time.Millisecond {
		t.Errorf("options %+v", sc.Options)
	}
	want := []sassim.Export{
		{Ref: event.Ref{Kind: event.Asset, ID: 131231}, Steps: 5, FileName: "assets.xlsx", TotalCount: 1200},
		{Ref: event.Ref{Kind: event.Vul, ID: 52}, Duration: 2 * time.Minute},
		{Ref: event.Ref{Kind: event.HC, ID: 7}, Fault: sassim.Fault{Code: "Throttling", Times: 2}},
		{Ref: event.Ref{Kind: event.Warning, ID: 8}, Fault: sassim.Fault{Code: "NoPermission", HTTPStatus: 403}},
		{Ref: event.Ref{Kind: event.SuspEvent, ID: 9}, Fail: true},
		{Ref: event.Ref{Kind: event.Asset, ID: 10, Account: 16670360956}, Stuck: true, Fault: sassim.Fault{Drop: true, Times: 1, Latency: 2 * time.Second}},
	}
	if len(sc.Exports) != len(want) {
		t.Fatalf("%d exports, want %d", len(sc.Exports), len(want))
	}
	for i := range want {
		if sc.Exports[i] != want[i] {
			t.Errorf("exports[%d] = %+v, want %+v", i, sc.Exports[i], want[i])
		}
	}
}

func TestParseScenarioRejectsBadItems(t *testing.T) {
	tests := []struct {
		json, want string
	}{
		{`{"exports": [{"ref": "vul:x"}]}`, `exports[0]: export "vul:x"`},
		{`{"exports": [{"ref": true}]}`, `exports[0]: ref true`},
		{`{"exports": [{"ref": 1}, {"ref": "asset:1"}]}`, `exports[1] (asset:1): the same export as exports[0]`},
		{`{"exports": [{"ref": 1, "steps": -1}]}`, `exports[0]: asset:1: steps -1`},
		{`{"exports": [{"ref": 1, "duration": "soon"}]}`, `duration "soon"`},
		{`{"exports": [{"ref": 1, "fault": {"code": "X", "httpStatus": 200}}]}`, `fault.httpStatus 200`},
		{`{"exports": [{"ref": 1, "fault": {"httpStatus": 700}}]}`, `fault.httpStatus 700`},
		{`{"exports": [{"ref": 1, "fault": {"drop": true, "code": "X"}}]}`, `fault.drop`},
		{`{"exports": [{"ref": 1, "fault": {"times": -2}}]}`, `fault.times -2`},
		{`{"exports": [{"ref": "vul:1@5"}]}`, `only asset exports take a resource directory account`},
		{`{"exports": [{"ref": 1, "colour": "red"}]}`, `unknown field "colour"`},
		{`{"exports": [{"ref": 1, "duration": "1m", "shape": "zigzag"}]}`, `shape "zigzag": want linear, stall, jump or slow-start`},
		{`{"exports": [{"ref": 1, "shape": "stall"}]}`, `asset:1: shape stall needs a duration`},
		{`{"latency": "-1s"}`, `latency "-1s"`},
		{`{"steps": -3}`, `steps -3`},
		{`{"accessKeyId": "a"}`, `accessKeyId and accessKeySecret go together`},
		{`{"securityToken": "t"}`, `securityToken needs`},
		{`{"members": [1, -2]}`, `member account -2: want a positive account ID`},
		{`{"members": [1], "refusedMembers": [0]}`, `member account 0`},
		{`{} {}`, `data after the JSON object`},
		{`[]`, `not a scenario`},
		{`{"exports": [{"ref": 1, "steps": 2, "steps": 3}]}`, `field "steps" is given twice in exports[0]`},
	}
	for _, tt := range tests {
		_, err := sassim.ParseScenario([]byte(tt.json))
		if err == nil || !strings.Contains(err.Error(), tt.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("ParseScenario(%s) = %v, want one line containing %q", tt.json, err, tt.want)
		}
	}
}

func TestLoadScenarioNamesTheFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "bad.json")
	if err := os.WriteFile(path, []byte(`{"exports": [{"ref": 0}]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := sassim.LoadScenario(path)
	if err == nil || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "exports[0]") {
		t.Fatalf("error %v: want the file and the item named", err)
	}
}

func FuzzParseScenario(f *testing.F) {
	seed, err := os.ReadFile(filepath.Join("testdata", "scenario.json"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(seed)
	f.Add([]byte(`{"exports": [{"ref": "suspEvent:2147483648"}]}`))
	f.Add([]byte(`{"steps": 1, "exports": [{"ref": 1, "fault": {"body": "<html>", "httpStatus": 502}}]}`))
	f.Add([]byte(`{"exports": [{"ref": 1, "duration": "1m", "shape": "slow-start"}, {"ref": 2, "shape": "linear"}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		sc, err := sassim.ParseScenario(data)
		if err != nil {
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("multi-line error %q", err)
			}
			return
		}
		if sc.Options.Steps < 0 || sc.Options.Latency < 0 {
			t.Errorf("accepted options %+v", sc.Options)
		}
		seen := map[event.Ref]bool{}
		for _, e := range sc.Exports {
			if err := e.Ref.Validate(); err != nil {
				t.Errorf("accepted an invalid ref: %v", err)
			}
			key := event.Ref{Kind: e.Ref.Kind, ID: e.Ref.ID}
			if seen[key] {
				t.Errorf("accepted %v twice", key)
			}
			seen[key] = true
			if e.Steps < 0 || e.Duration < 0 || e.TotalCount < 0 || e.Fault.Times < 0 || e.Fault.Latency < 0 {
				t.Errorf("accepted %+v", e)
			}
			if e.Fault.Drop && (e.Fault.Code != "" || e.Fault.Body != "") {
				t.Errorf("accepted a dropped connection with an answer: %+v", e.Fault)
			}
			if e.Shape != sassim.Linear && e.Duration == 0 {
				t.Errorf("accepted shape %q without a duration", e.Shape)
			}
		}
		sc.Simulator() // builds without panicking
	})
}

func TestScenarioMembers(t *testing.T) {
	sc, err := sassim.ParseScenario([]byte(`{"members": [1001, 1002], "refusedMembers": [1002]}`))
	if err != nil {
		t.Fatal(err)
	}
	sdk := sdkFor(t, sc.Simulator(), sassim.DemoAccessKeySecret)
	list, err := sdk.DescribeMonitorAccountsWithOptions(noRetries)
	if err != nil || len(list.Body.AccountIds) != 2 {
		t.Fatalf("DescribeMonitorAccounts = %v, %v; want the scenario's two members", list, err)
	}
}
