package catalog

import (
	"reflect"
	"slices"
	"testing"

	"github.com/export-notifier/export-notifier/event"
)

func TestEveryFieldHasAFlagAParamAndHelp(t *testing.T) {
	flags := Flags()
	for _, k := range Kinds() {
		for _, f := range k.Fields {
			if f.Flag == "" || f.Param == "" && f.Name != "accounts" || f.Help == "" {
				t.Errorf("%s field %s lacks a flag, a parameter or help: %+v", k.Kind, f.Name, f)
			}
			if !slices.ContainsFunc(flags, func(g Flag) bool { return g.Name == f.Flag && g.Field == f.Name }) {
				t.Errorf("no flag --%s sets %s", f.Flag, f.Name)
			}
			if !slices.Contains(event.SpecFields(), f.Name) {
				t.Errorf("%s field %s is not a field of event.StartSpec", k.Kind, f.Name)
			}
		}
	}
}

func TestAFieldSharedByKindsHasOneFlagSayingWhatItIsForEach(t *testing.T) {
	want := map[string]string{
		"lang":     "language of the file: zh (the API's default) or en",
		"dealed":   "vul: y (fixed) or n; suspEvent: Y (handled) or N",
		"group-id": "vul and suspEvent: server or asset group ID",
		"params":   `asset: filter conditions as a JSON object, such as {"extend":"1"}`,
	}
	for _, f := range Flags() {
		if w, ok := want[f.Name]; ok && f.Usage != w {
			t.Errorf("--%s usage = %q, want %q", f.Name, f.Usage, w)
		}
	}
}

func TestFlagsSetTheFieldsTheyName(t *testing.T) {
	var spec event.StartSpec
	set := map[string]string{"kind": "vul", "type": "app", "group-id": "42", "necessity": "asap,later", "lang": "en"}
	for _, f := range Flags() {
		if v, ok := set[f.Name]; ok {
			if err := f.Set(&spec, v); err != nil {
				t.Fatalf("--%s %s: %v", f.Name, v, err)
			}
		}
	}
	want := event.StartSpec{Kind: event.Vul, Type: "app", GroupID: 42, Necessity: "asap,later", Lang: "en"}
	if spec != want {
		t.Fatalf("flags set %+v, want %+v", spec, want)
	}
	for _, f := range Flags() {
		if f.Name == "group-id" {
			if err := f.Set(&spec, "forty"); err == nil || err.Error() != "not a whole number" {
				t.Errorf("--group-id forty: %v, want not a whole number", err)
			}
		}
	}
}

func TestAllowedListsAKindsValues(t *testing.T) {
	tests := []struct {
		kind  event.Kind
		field string
		want  []string
	}{
		{event.Asset, "exportType", ExportTypes()},
		{event.Vul, "type", VulTypes()},
		{event.Vul, "dealed", []string{"y", "n"}},
		{event.SuspEvent, "dealed", []string{"Y", "N"}},
		{event.Asset, "kind", []string{"asset", "vul", "suspEvent"}},
		{event.Vul, "aliasName", nil},
		{event.Vul, "exportType", nil},
	}
	for _, tt := range tests {
		if got := Allowed(tt.kind, tt.field); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("Allowed(%s, %s) = %v, want %v", tt.kind, tt.field, got, tt.want)
		}
	}
}

func TestParamsNamesTheAPIParameters(t *testing.T) {
	tests := []struct {
		spec event.StartSpec
		want map[string]string
	}{
		{event.StartSpec{Kind: event.Asset, ExportType: "user", Lang: "en", Account: 7, Params: `{"a":1}`},
			map[string]string{"ExportType": "user", "Lang": "en", "ResourceDirectoryAccountId": "7", "Params": `{"a":1}`}},
		{event.StartSpec{Kind: event.Vul, Type: "cve", GroupID: 3, UUIDs: "u-1,u-2"},
			map[string]string{"Type": "cve", "GroupId": "3", "Uuids": "u-1,u-2"}},
		{event.StartSpec{Kind: event.SuspEvent, Status: "0", TimeStart: "2026-11-01 00:00:00"},
			map[string]string{"Status": "0", "TimeStart": "2026-11-01 00:00:00"}},
	}
	for _, tt := range tests {
		if got := Params(tt.spec); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("Params(%+v) = %v, want %v", tt.spec, got, tt.want)
		}
	}
}

func TestEnumeratedFlagsListTheirValues(t *testing.T) {
	want := map[string][]string{
		"kind":        {"asset", "vul", "suspEvent"},
		"export-type": ExportTypes(),
		"type":        VulTypes(),
		"lang":        Langs(),
		"dealed":      {"y", "n", "Y", "N"},
		"alias-name":  nil,
	}
	for _, f := range Flags() {
		if w, ok := want[f.Name]; ok && !reflect.DeepEqual(f.Values, w) {
			t.Errorf("--%s values = %v, want %v", f.Name, f.Values, w)
		}
	}
}
