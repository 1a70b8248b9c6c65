package sassim

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"time"

	"github.com/export-notifier/export-notifier/event"
	"github.com/export-notifier/export-notifier/internal/jsonkeys"
)

// Scenario is a simulator's setup as a file describes it, for
// `export-notifier simulate --scenario file.json`:
//
//	{
//	  "accessKeyId": "...", "accessKeySecret": "...", "securityToken": "...",
//	  "steps": 3, "latency": "20ms",
//	  "exports": [
//	    {"ref": "131231", "steps": 5, "fileName": "assets.xlsx", "totalCount": 1200},
//	    {"ref": "vul:52", "duration": "2m"},
//	    {"ref": "vul:53", "duration": "5m", "shape": "slow-start"},
//	    {"ref": "hc:7", "fault": {"code": "Throttling", "times": 2}},
//	    {"ref": "warning:8", "fault": {"code": "NoPermission"}},
//	    {"ref": "suspEvent:9", "fail": true},
//	    {"ref": "asset:10", "stuck": true, "fault": {"drop": true, "times": 1, "latency": "2s"}}
//	  ],
//	  "members": [16670360956, 16670360957], "refusedMembers": [16670360957]
//	}
//
// Every field is optional; unknown fields are an error.
type Scenario struct {
	Options Options
	Exports []Export
	Members Members
}

type scenarioFile struct {
	AccessKeyID     string         `json:"accessKeyId"`
	AccessKeySecret string         `json:"accessKeySecret"`
	SecurityToken   string         `json:"securityToken"`
	Steps           int            `json:"steps"`
	Latency         string         `json:"latency"`
	Exports         []scenarioItem `json:"exports"`
	Members         []int64        `json:"members"`
	RefusedMembers  []int64        `json:"refusedMembers"`
}

type scenarioItem struct {
	Ref        json.RawMessage `json:"ref"`
	Steps      int             `json:"steps"`
	Duration   string          `json:"duration"`
	Shape      string          `json:"shape"`
	FileName   string          `json:"fileName"`
	TotalCount int64           `json:"totalCount"`
	Stuck      bool            `json:"stuck"`
	Fail       bool            `json:"fail"`
	Fault      *scenarioFault  `json:"fault"`
}

type scenarioFault struct {
	Code       string `json:"code"`
	HTTPStatus int    `json:"httpStatus"`
	Times      int    `json:"times"`
	Latency    string `json:"latency"`
	Drop       bool   `json:"drop"`
	Body       string `json:"body"`
}

// LoadScenario reads a scenario file; the error names the file and the
// bad item.
func LoadScenario(path string) (Scenario, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return Scenario{}, fmt.Errorf("scenario: %w", err)
	}
	sc, err := ParseScenario(data)
	if err != nil {
		return Scenario{}, fmt.Errorf("scenario %s: %w", path, err)
	}
	return sc, nil
}

// ParseScenario parses a scenario's JSON.
func ParseScenario(data []byte) (Scenario, error) {
	if err := jsonkeys.Unique(data); err != nil {
		return Scenario{}, fmt.Errorf("not a scenario: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var f scenarioFile
	if err := dec.Decode(&f); err != nil {
		return Scenario{}, fmt.Errorf("not a scenario: %w", err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return Scenario{}, fmt.Errorf("not a scenario: data after the JSON object")
	}
	var sc Scenario
	if (f.AccessKeyID == "") != (f.AccessKeySecret == "") {
		return Scenario{}, fmt.Errorf("accessKeyId and accessKeySecret go together")
	}
	if f.SecurityToken != "" && f.AccessKeyID == "" {
		return Scenario{}, fmt.Errorf("securityToken needs accessKeyId and accessKeySecret")
	}
	sc.Options.AccessKeyID, sc.Options.AccessKeySecret, sc.Options.SecurityToken = f.AccessKeyID, f.AccessKeySecret, f.SecurityToken
	if f.Steps < 0 {
		return Scenario{}, fmt.Errorf("steps %d: want 0 (the default) or more", f.Steps)
	}
	sc.Options.Steps = f.Steps
	d, err := parseDuration("latency", f.Latency)
	if err != nil {
		return Scenario{}, err
	}
	sc.Options.Latency = d
	for _, a := range append(slices.Clone(f.Members), f.RefusedMembers...) {
		if a <= 0 {
			return Scenario{}, fmt.Errorf("member account %d: want a positive account ID", a)
		}
	}
	sc.Members = Members{Accounts: f.Members, Refused: f.RefusedMembers}
	seen := map[exportKey]int{}
	for i, item := range f.Exports {
		e, err := item.export()
		if err != nil {
			return Scenario{}, fmt.Errorf("exports[%d]: %w", i, err)
		}
		key := exportKey{e.Ref.Kind, e.Ref.ID}
		if j, dup := seen[key]; dup {
			return Scenario{}, fmt.Errorf("exports[%d] (%s): the same export as exports[%d]", i, e.Ref, j)
		}
		seen[key] = i
		sc.Exports = append(sc.Exports, e)
	}
	return sc, nil
}

func (item scenarioItem) export() (Export, error) {
	var e Export
	var refText string
	if err := json.Unmarshal(item.Ref, &refText); err != nil {
		var n json.Number
		if err := json.Unmarshal(item.Ref, &n); err != nil || len(item.Ref) == 0 {
			return Export{}, fmt.Errorf("ref %s: want an export ID such as 131231 or \"vul:52\"", string(item.Ref))
		}
		refText = n.String()
	}
	ref, err := event.ParseRef(refText)
	if err != nil {
		return Export{}, err
	}
	e.Ref = ref
	fail := func(format string, args ...any) (Export, error) {
		return Export{}, fmt.Errorf("%s: "+format, append([]any{ref}, args...)...)
	}
	if item.Steps < 0 {
		return fail("steps %d: want 0 (the default) or more", item.Steps)
	}
	if item.TotalCount < 0 {
		return fail("totalCount %d: want 0 (derived from the ID) or more", item.TotalCount)
	}
	e.Steps, e.FileName, e.TotalCount, e.Stuck, e.Fail = item.Steps, item.FileName, item.TotalCount, item.Stuck, item.Fail
	if e.Duration, err = parseDuration("duration", item.Duration); err != nil {
		return fail("%v", err)
	}
	if e.Shape, err = ParseShape(item.Shape); err != nil {
		return fail("%v", err)
	}
	if e.Shape != Linear && e.Duration == 0 {
		return fail("shape %s needs a duration", e.Shape)
	}
	if f := item.Fault; f != nil {
		if f.HTTPStatus != 0 && (f.HTTPStatus < 200 || f.HTTPStatus > 599) {
			return fail("fault.httpStatus %d: want 200..599", f.HTTPStatus)
		}
		if f.HTTPStatus != 0 && f.HTTPStatus < 400 && f.Code != "" {
			return fail("fault.httpStatus %d: an error code needs a 4xx or 5xx status", f.HTTPStatus)
		}
		if f.Times < 0 {
			return fail("fault.times %d: want 0 (every call) or more", f.Times)
		}
		if f.Drop && (f.Code != "" || f.Body != "") {
			return fail("fault.drop answers nothing, so it cannot also have a code or a body")
		}
		if f.Code != "" && f.Body != "" {
			return fail("fault.code and fault.body are two different answers; choose one")
		}
		latency, err := parseDuration("fault.latency", f.Latency)
		if err != nil {
			return fail("%v", err)
		}
		e.Fault = Fault{Code: f.Code, HTTPStatus: f.HTTPStatus, Times: f.Times, Latency: latency, Drop: f.Drop, Body: f.Body}
	}
	return e, nil
}

func parseDuration(name, s string) (time.Duration, error) {
	if s == "" {
		return 0, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return 0, fmt.Errorf("%s %q: want a duration such as 250ms or 2m", name, s)
	}
	return d, nil
}

// Simulator returns a simulator set up as sc says.
func (sc Scenario) Simulator() *Simulator {
	s := New(sc.Options)
	for _, e := range sc.Exports {
		s.Add(e)
	}
	s.SetMembers(sc.Members)
	return s
}
