package catalog

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/export-notifier/export-notifier/event"
)

func TestParseStartSpecAccepts(t *testing.T) {
	tests := []struct {
		in         string
		want       event.StartSpec
		wantString string
		wantKey    string
	}{
		{
			in:         `{"kind": "asset", "exportType": "assetInstance", "lang": "en"}`,
			want:       event.StartSpec{Kind: event.Asset, ExportType: "assetInstance", Lang: "en"},
			wantString: "asset/assetInstance (en)",
			wantKey:    "exportType=assetInstance&kind=asset&lang=en",
		},
		{
			in:         `{"exportType": "database"}`, // kind defaults to asset, as in export references
			want:       event.StartSpec{Kind: event.Asset, ExportType: "database"},
			wantString: "asset/database",
			wantKey:    "exportType=database&kind=asset",
		},
		{
			in:         `{"kind": "asset", "exportType": "virusScanExport", "exportFileType": "virusScanExport", "resourceDirectoryAccountId": 16670360956}`,
			want:       event.StartSpec{Kind: event.Asset, ExportType: "virusScanExport", ExportFileType: "virusScanExport", Account: 16670360956},
			wantString: "asset/virusScanExport@16670360956 exportFileType=virusScanExport",
			wantKey:    "exportFileType=virusScanExport&exportType=virusScanExport&kind=asset&resourceDirectoryAccountId=16670360956",
		},
		{
			in:         `{"kind": "asset", "exportType": "port", "params": {"pageSize": 10, "extend": "1"}}`,
			want:       event.StartSpec{Kind: event.Asset, ExportType: "port", Params: `{"extend":"1","pageSize":10}`},
			wantString: `asset/port params={"extend":"1","pageSize":10}`,
			wantKey:    "exportType=port&kind=asset&params=%7B%22extend%22%3A%221%22,%22pageSize%22%3A10%7D",
		},
		{
			in:         `{"kind": "asset", "exportType": "port", "params": "{\"extend\": \"1\"}"}`, // the API's own spelling: a string
			want:       event.StartSpec{Kind: event.Asset, ExportType: "port", Params: `{"extend":"1"}`},
			wantString: `asset/port params={"extend":"1"}`,
			wantKey:    "exportType=port&kind=asset&params=%7B%22extend%22%3A%221%22%7D",
		},
		{
			in:         `{"kind": "vul", "type": "cve", "lang": "en"}`,
			want:       event.StartSpec{Kind: event.Vul, Type: "cve", Lang: "en"},
			wantString: "vul/cve (en)",
			wantKey:    "kind=vul&lang=en&type=cve",
		},
		{
			in: `{"kind": "vul", "type": "app", "attachTypes": "sca", "dealed": "n", "necessity": "later,asap", "groupId": 8834224,
				"uuids": "u-2,u-1", "cveId": "CVE-2022-44702", "searchTags": "Restart required", "createTsStart": 1696128144000, "createTsEnd": 1696186800000}`,
			want: event.StartSpec{Kind: event.Vul, Type: "app", AttachTypes: "sca", Dealed: "n", Necessity: "later,asap", GroupID: 8834224,
				UUIDs: "u-2,u-1", CveID: "CVE-2022-44702", SearchTags: "Restart required", CreateTsStart: 1696128144000, CreateTsEnd: 1696186800000},
			wantString: `vul/app dealed=n necessity=later,asap attachTypes=sca groupId=8834224 uuids=u-2,u-1 cveId=CVE-2022-44702 searchTags="Restart required" createTsStart=1696128144000 createTsEnd=1696186800000`,
			wantKey:    "attachTypes=sca&createTsEnd=1696186800000&createTsStart=1696128144000&cveId=CVE-2022-44702&dealed=n&groupId=8834224&kind=vul&necessity=asap,later&searchTags=Restart%20required&type=app&uuids=u-1,u-2",
		},
		{
			in:         `{"kind": "suspEvent", "levels": "serious,suspicious", "dealed": "N", "status": "1", "timeStart": "2026-11-01 00:00:00", "timeEnd": "2026-11-30 23:59:59", "lang": "zh"}`,
			want:       event.StartSpec{Kind: event.SuspEvent, Levels: "serious,suspicious", Dealed: "N", Status: "1", TimeStart: "2026-11-01 00:00:00", TimeEnd: "2026-11-30 23:59:59", Lang: "zh"},
			wantString: `suspEvent dealed=N levels=serious,suspicious status=1 timeStart="2026-11-01 00:00:00" timeEnd="2026-11-30 23:59:59" (zh)`,
			wantKey:    "dealed=N&kind=suspEvent&lang=zh&levels=serious,suspicious&status=1&timeEnd=2026-11-30%2023%3A59%3A59&timeStart=2026-11-01%2000%3A00%3A00",
		},
		{
			in:         `{"kind": "asset", "exportType": "assetInstance", "accounts": "all", "lang": "en"}`,
			want:       event.StartSpec{Kind: event.Asset, ExportType: "assetInstance", Accounts: event.AllAccounts, Lang: "en"},
			wantString: "asset/assetInstance@all (en)",
			wantKey:    "accounts=all&exportType=assetInstance&kind=asset&lang=en",
		},
		{
			in:         `{"exportType": "user", "accounts": [16670360957, "16670360956", 16670360957]}`, // IDs as numbers or strings, each once
			want:       event.StartSpec{Kind: event.Asset, ExportType: "user", Accounts: "16670360956,16670360957"},
			wantString: "asset/user@16670360956,16670360957",
			wantKey:    "accounts=16670360956,16670360957&exportType=user&kind=asset",
		},
		{
			in:         `{"exportType": "user", "accounts": "2, 1"}`,
			want:       event.StartSpec{Kind: event.Asset, ExportType: "user", Accounts: "1,2"},
			wantString: "asset/user@1,2",
			wantKey:    "accounts=1,2&exportType=user&kind=asset",
		},
		{
			in:         `{"kind": "suspEvent"}`,
			want:       event.StartSpec{Kind: event.SuspEvent},
			wantString: "suspEvent",
			wantKey:    "kind=suspEvent",
		},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := Parse([]byte(tt.in))
			if err != nil {
				t.Fatalf("ParseStartSpec: %v", err)
			}
			if got != tt.want {
				t.Fatalf("ParseStartSpec = %+v, want %+v", got, tt.want)
			}
			if s := got.String(); s != tt.wantString {
				t.Errorf("String() = %q, want %q", s, tt.wantString)
			}
			if k := got.Key(); k != tt.wantKey {
				t.Errorf("Key() = %q, want %q", k, tt.wantKey)
			}
			out, err := json.Marshal(got)
			if err != nil {
				t.Fatal(err)
			}
			again, err := Parse(out)
			if err != nil || again != got {
				t.Fatalf("round trip through %s = %+v, %v; want %+v", out, again, err, got)
			}
		})
	}
}

func TestParseStartSpecRefuses(t *testing.T) {
	tests := []struct {
		in      string
		wantErr []string // each must appear in the error
	}{
		{`[1]`, []string{"start item [1]: want a JSON object"}},
		{`null`, []string{"want a JSON object"}},
		{`{"kind": "vul", "type": "cve"} {}`, []string{"want a JSON object"}},
		{`{"kind": "vul", "type": "cve", "type": "sys"}`, []string{`field "type" is given twice`}},
		{`{"kind": "asset", "exportType": "user", "params": {"a": "1", "a": "2"}}`, []string{`field "a" is given twice in params`}},
		{`{"kind": "asset", "exportType": "user", "params": "{\"a\": \"1\", \"a\": \"2\"}"}`, []string{`params: field "a" is given twice`}},
		{`{"kind": "asset", "exportType": "assetInstance", "exporttype": "x"}`, []string{`unknown field "exporttype"`, "exportType, type"}},
		{`{"kind": "asset", "ExportType": "assetInstance"}`, []string{`unknown field "ExportType"`}},
		{`{"kind": "disk", "exportType": "assetInstance"}`, []string{`start disk/assetInstance: unknown kind "disk" (want asset, vul or suspEvent)`}},
		{`{"kind": "hc"}`, []string{"start hc: hc exports cannot be started (only asset, vul and suspEvent can"}},
		{`{"kind": 5}`, []string{`field "kind": want a string, not a number`}},
		{`{"kind": "asset"}`, []string{"start asset: exportType is required (one of assetInstance, user,", "(28 in all))"}},
		{`{"kind": "asset", "exportType": "assetInstnce"}`, []string{`start asset/assetInstnce: exportType "assetInstnce": want one of assetInstance, user, port,`}},
		{`{"kind": "asset", "exportType": "assetInstance", "lang": "fr"}`, []string{`start asset/assetInstance (fr): lang "fr": want zh or en`}},
		{`{"kind": "asset", "exportType": "assetInstance", "type": "cve"}`, []string{"type is not a parameter of asset exports (ExportRecord takes exportType, exportFileType, resourceDirectoryAccountId, accounts, params, lang)"}},
		{`{"kind": "asset", "exportType": "virusScanExport"}`, []string{"exportFileType is required with exportType virusScanExport"}},
		{`{"kind": "asset", "exportType": "user", "exportFileType": "virusScanExport"}`, []string{"exportFileType is taken only with exportType virusScanExport"}},
		{`{"kind": "asset", "exportType": "user", "resourceDirectoryAccountId": -1}`, []string{"resourceDirectoryAccountId -1: want a positive account ID"}},
		{`{"kind": "asset", "exportType": "user", "resourceDirectoryAccountId": "123"}`, []string{`field "resourceDirectoryAccountId": want a number, not a string`}},
		{`{"kind": "asset", "exportType": "user", "params": [1]}`, []string{"params: want a JSON object"}},
		{`{"kind": "asset", "exportType": "user", "params": "extend=1"}`, []string{"params: want a JSON object"}},
		{`{"kind": "vul"}`, []string{"start vul: type is required (one of cve, sys, cms, app, emg)"}},
		{`{"kind": "vul", "type": "linux"}`, []string{`start vul/linux: type "linux": want one of cve, sys, cms, app, emg`}},
		{`{"kind": "vul", "type": "cve", "exportType": "user"}`, []string{"exportType is not a parameter of vul exports (ExportVul takes type, dealed, necessity,"}},
		{`{"kind": "vul", "type": "cve", "dealed": "N"}`, []string{`dealed "N": want y or n`}},
		{`{"kind": "vul", "type": "cve", "necessity": "asap,soon"}`, []string{`necessity "asap,soon": want a comma-separated list of asap, later, nntf`}},
		{`{"kind": "vul", "type": "cve", "attachTypes": "sca"}`, []string{"attachTypes is taken only with type app"}},
		{`{"kind": "vul", "type": "app", "attachTypes": "rasp"}`, []string{`attachTypes "rasp": want sca`}},
		{`{"kind": "vul", "type": "cve", "cveId": "2022-44702"}`, []string{`cveId "2022-44702": want a CVE ID`}},
		{`{"kind": "vul", "type": "cve", "groupId": -3}`, []string{"groupId -3: want a positive server group ID"}},
		{`{"kind": "vul", "type": "cve", "createTsStart": 20, "createTsEnd": 10}`, []string{"createTsStart 20 is after createTsEnd 10"}},
		{`{"kind": "vul", "type": "cve", "aliasName": "a\u0000b"}`, []string{"aliasName", "want printable UTF-8 text"}},
		{`{"kind": "vul", "type": "cve", "levels": "serious"}`, []string{"levels is not a parameter of vul exports"}},
		{`{"kind": "suspEvent", "levels": "serious,high"}`, []string{`levels "serious,high": want a comma-separated list of serious, suspicious, remind`}},
		{`{"kind": "suspEvent", "dealed": "n"}`, []string{`dealed "n": want Y or N`}},
		{`{"kind": "suspEvent", "status": "3"}`, []string{`status "3": want one of 0, 1, 2, 4, 8, 16, 32, 64, 128`}},
		{`{"kind": "suspEvent", "timeStart": "2026-11-01"}`, []string{`timeStart "2026-11-01": want a time such as 2022-10-01 00:00:00`}},
		{`{"kind": "suspEvent", "timeStart": "2026-12-01 00:00:00", "timeEnd": "2026-11-01 00:00:00"}`, []string{"timeStart 2026-12-01 00:00:00 is after timeEnd 2026-11-01 00:00:00"}},
		{`{"kind": "suspEvent", "type": "cve"}`, []string{"type is not a parameter of suspEvent exports (ExportSuspEvents takes dealed, levels, status, groupId, uuid, clusterId, parentEventTypes, name, timeStart, timeEnd, lang)"}},
		{`{"kind": "suspEvent", "name": "` + strings.Repeat("x", 1025) + `"}`, []string{"name: at most 1024 bytes"}},
		{`{"kind": "vul", "type": "cve", "accounts": "all"}`, []string{"start vul/cve@all: accounts: vul exports cannot be started for member accounts (ExportVul takes no ResourceDirectoryAccountId"}},
		{`{"kind": "suspEvent", "accounts": [1]}`, []string{"start suspEvent@1: accounts: suspEvent exports cannot be started for member accounts"}},
		{`{"kind": "asset", "exportType": "user", "accounts": "some"}`, []string{`accounts: "some" is not a member account ID`}},
		{`{"kind": "asset", "exportType": "user", "accounts": []}`, []string{`accounts: want "all" or a list of member account IDs`}},
		{`{"kind": "asset", "exportType": "user", "accounts": [0]}`, []string{`accounts: "0" is not a member account ID`}},
		{`{"kind": "asset", "exportType": "user", "accounts": {"all": true}}`, []string{`accounts: want "all" or a list`}},
		{`{"kind": "asset", "exportType": "user", "accounts": "all", "resourceDirectoryAccountId": 5}`, []string{"accounts and resourceDirectoryAccountId: give one"}},
	}
	for _, tt := range tests {
		t.Run(tt.in[:min(len(tt.in), 60)], func(t *testing.T) {
			got, err := Parse([]byte(tt.in))
			if err == nil {
				t.Fatalf("ParseStartSpec accepted %s as %+v", tt.in, got)
			}
			for _, want := range tt.wantErr {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q lacks %q", err, want)
				}
			}
		})
	}
}

func TestStartSpecValidateChecksSpecsBuiltInGo(t *testing.T) {
	tests := []struct {
		spec    event.StartSpec
		wantErr string
	}{
		{event.StartSpec{ExportType: "assetInstance"}, ""}, // the empty kind is asset
		{event.StartSpec{Kind: event.Vul, Type: "emg"}, ""},
		{event.StartSpec{Kind: event.Asset, ExportType: "user", Params: "not json"}, "params: want a JSON object"},
		{event.StartSpec{Kind: event.Asset, ExportType: "user", Params: event.ExportParams("{" + strings.Repeat(" ", maxParamsLen) + "}")}, "params: at most 4096 bytes"},
		{event.StartSpec{Kind: event.Warning}, "warning exports cannot be started"},
		{event.StartSpec{Kind: event.Vul, Type: "cve", Account: 5}, "resourceDirectoryAccountId is not a parameter of vul exports"},
	}
	for _, tt := range tests {
		err := Validate(tt.spec)
		switch {
		case tt.wantErr == "" && err != nil:
			t.Errorf("%+v: %v", tt.spec, err)
		case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
			t.Errorf("%+v: error %v, want %q", tt.spec, err, tt.wantErr)
		}
	}
}

func TestStartSpecValidateNamesTheField(t *testing.T) {
	tests := []struct {
		spec  event.StartSpec
		field string
	}{
		{event.StartSpec{Kind: "disk"}, "kind"},
		{event.StartSpec{Kind: event.Asset}, "exportType"},
		{event.StartSpec{Kind: event.Asset, ExportType: "virusScanExport"}, "exportFileType"},
		{event.StartSpec{Kind: event.Vul, Type: "cve", ExportType: "user"}, "exportType"},
		{event.StartSpec{Kind: event.Vul, Type: "cve", CreateTsEnd: -1}, "createTsEnd"},
		{event.StartSpec{Kind: event.SuspEvent, TimeEnd: "yesterday"}, "timeEnd"},
		{event.StartSpec{Kind: event.SuspEvent, Lang: "de"}, "lang"},
	}
	for _, tt := range tests {
		var e *event.SpecError
		if err := Validate(tt.spec); !errors.As(err, &e) || e.Field != tt.field || e.Spec != tt.spec {
			t.Errorf("Validate(%+v) = %#v, want a *event.SpecError about %s", tt.spec, err, tt.field)
		}
	}
}

func TestStartSpecKeyIgnoresSpelling(t *testing.T) {
	same := [][2]string{
		{`{"kind": "asset", "exportType": "user", "lang": "en"}`, `{"lang": "en", "exportType": "user"}`},
		{`{"kind": "suspEvent", "levels": "remind,serious"}`, `{"levels": "serious,remind", "kind": "suspEvent"}`},
		{`{"exportType": "port", "params": {"a": 1, "b": {"d": 2, "c": 3}}}`, `{"exportType": "port", "params": "{\"b\":{\"c\":3,\"d\":2},\"a\":1}"}`},
	}
	for _, pair := range same {
		a, errA := Parse([]byte(pair[0]))
		b, errB := Parse([]byte(pair[1]))
		if errA != nil || errB != nil {
			t.Fatal(errA, errB)
		}
		if a.Key() != b.Key() {
			t.Errorf("%s and %s have keys %q and %q; want one", pair[0], pair[1], a.Key(), b.Key())
		}
	}
	different := [][2]string{
		{`{"exportType": "user", "lang": "en"}`, `{"exportType": "user", "lang": "zh"}`},
		{`{"exportType": "user"}`, `{"exportType": "user", "resourceDirectoryAccountId": 7}`},
		{`{"kind": "vul", "type": "cve"}`, `{"kind": "vul", "type": "sys"}`},
		{`{"kind": "vul", "type": "cve", "aliasName": "a&b=c"}`, `{"kind": "vul", "type": "cve", "aliasName": "a", "cveId": "CVE-2022-12345"}`},
	}
	for _, pair := range different {
		a, _ := Parse([]byte(pair[0]))
		b, _ := Parse([]byte(pair[1]))
		if a.Key() == b.Key() {
			t.Errorf("%s and %s share key %q", pair[0], pair[1], a.Key())
		}
	}
}

func TestStartFieldsAndActions(t *testing.T) {
	for _, k := range StartKinds() {
		if API(k) == "" {
			t.Errorf("no API starts %s exports", k)
		}
		if f := Fields(k); f[0] != "kind" || f[len(f)-1] != "lang" {
			t.Errorf("Fields(%s) = %v", k, f)
		}
	}
	if API(event.HC) != "" {
		t.Errorf("hc exports cannot be started, yet StartAction names %s", API(event.HC))
	}
}

func FuzzParseStartSpec(f *testing.F) {
	for _, seed := range []string{
		`{"kind": "asset", "exportType": "assetInstance", "lang": "en"}`,
		`{"kind": "vul", "type": "app", "attachTypes": "sca", "necessity": "asap,later", "groupId": 3}`,
		`{"kind": "suspEvent", "levels": "serious", "timeStart": "2026-11-01 00:00:00"}`,
		`{"exportType": "port", "params": {"b": [1, 2.50, {"x": null}], "a": "\u00e9"}}`,
		`{"kind": "asset", "exportType": "virusScanExport", "exportFileType": "virusScanExport"}`,
		`{"kind": "vul", "type": "cve", "uuids": "a,a,b"}`,
		`{"kind": "hc"}`,
		`{}`,
		`{"kind": "vul", "kind": "asset", "exportType": "user"}`,
		`{"exportType": "port", "params": "{\"a\": 1, \"a\": 2}"}`,
		`{"exportType": "user", "accounts": "all"}`,
		`{"exportType": "user", "accounts": [3, "1", 3]}`,
		`{"exportType": "user", "accounts": " 2,1 "}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		spec, err := Parse(raw)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "start ") {
				t.Fatalf("error %q does not name the item", err)
			}
			return
		}
		if err := Validate(spec); err != nil {
			t.Fatalf("ParseStartSpec accepted %q but Validate refuses %+v: %v", raw, spec, err)
		}
		if ids, err := spec.Accounts.IDs(); err != nil || len(ids) > event.MaxAccounts || (len(ids) == 0) != (spec.Accounts == "" || spec.Accounts.All()) {
			t.Fatalf("accounts %q of %q: IDs %v, %v", spec.Accounts, raw, ids, err)
		}
		if spec.String() == "" || !strings.Contains(spec.Key(), "kind="+string(spec.Kind)) {
			t.Fatalf("String %q, Key %q", spec.String(), spec.Key())
		}
		out, err := json.Marshal(spec)
		if err != nil {
			t.Fatalf("marshal %+v: %v", spec, err)
		}
		again, err := Parse(out)
		if err != nil {
			t.Fatalf("Parse(%s) (from %q): %v", out, raw, err)
		}
		if again != spec || again.Key() != spec.Key() {
			t.Fatalf("round trip changed %+v to %+v", spec, again)
		}
	})
}
