package handler

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/export-notifier/export-notifier/event"
	"github.com/export-notifier/export-notifier/internal/sassim"
)

// orgInvocation is a weekly trigger whose payload starts an asset export
// of every member account.
const orgInvocation = `{"triggerTime":"2026-11-30T00:00:00Z","triggerName":"weekly","payload":"{\"start\":[{\"kind\":\"asset\",\"exportType\":\"assetInstance\",\"accounts\":\"all\",\"lang\":\"en\"}]}"}`

func orgOptions(t *testing.T, invocation string) Options {
	t.Helper()
	in, err := ParseInvocation([]byte(invocation))
	if err != nil {
		t.Fatal(err)
	}
	return Options{Starts: in.Starts, Trigger: in.Trigger}
}

// exportRecordCalls returns the member accounts ExportRecord was asked to
// start an export for, in order.
func exportRecordCalls(sim *sassim.Simulator) []string {
	var accounts []string
	for _, c := range sim.Calls() {
		if c.Action == "ExportRecord" {
			accounts = append(accounts, c.Params.Get("ResourceDirectoryAccountId"))
		}
	}
	slices.Sort(accounts)
	return accounts
}

func TestAllAccountsStartsOneExportPerMemberOnce(t *testing.T) {
	h := newHarness(t)
	h.sim.SetMembers(sassim.Members{Accounts: []int64{1001, 1002, 1003}, Refused: []int64{1002}})
	c := &Cycle{Config: testConfig(""), Checker: h.checker, Starter: h.checker, Store: h.store}
	opts := orgOptions(t, orgInvocation)

	first := h.run(t, c, opts)
	outcomes := map[string]string{}
	for _, s := range first.Starts {
		outcomes[s.Spec] = s.Outcome
	}
	want := map[string]string{
		"asset/assetInstance@1001 (en)": "started",
		"asset/assetInstance@1002 (en)": "failed",
		"asset/assetInstance@1003 (en)": "started",
	}
	if fmt.Sprint(outcomes) != fmt.Sprint(want) {
		t.Fatalf("starts = %+v, want %v", first.Starts, want)
	}
	for _, s := range first.Starts {
		if s.Outcome == "failed" && !strings.Contains(s.Error, "RdCheckNoPermission") {
			t.Errorf("the refused member's start says %q, want RdCheckNoPermission", s.Error)
		}
	}

	// FC retries the invocation, even after a member was added: nothing
	// new starts, the batch's members are those of the first run.
	h.sim.SetMembers(sassim.Members{Accounts: []int64{1001, 1002, 1003, 1004}, Refused: []int64{1002}})
	retry := h.run(t, c, opts)
	if len(retry.Starts) != 3 {
		t.Fatalf("retried invocation: starts = %+v, want the first run's three", retry.Starts)
	}
	for _, s := range retry.Starts {
		if s.Outcome != "already started" && s.Outcome != "failed earlier" {
			t.Errorf("retried invocation: %+v", s)
		}
	}
	if got := exportRecordCalls(h.sim); !slices.Equal(got, []string{"1001", "1002", "1003"}) {
		t.Fatalf("ExportRecord asked for %v, want each member once", got)
	}

	// The started exports are watched under their member accounts until
	// they complete.
	for range 4 {
		h.run(t, c, Options{})
	}
	snap, err := h.store.Load(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, ref := range h.sim.Started() {
		ex := snap.Export(ref)
		if ex == nil || ex.Status.State != event.Success {
			t.Errorf("export %v of a member: %+v, want it watched to success", ref, ex)
		}
	}
}

func TestAListOfAccountsStartsOneExportEach(t *testing.T) {
	h := newHarness(t)
	h.sim.SetMembers(sassim.Members{Accounts: []int64{1001, 1002, 1003}})
	c := &Cycle{Config: testConfig(""), Checker: h.checker, Starter: h.checker, Store: h.store}
	res := h.run(t, c, Options{Starts: []event.StartSpec{{Kind: event.Asset, ExportType: "user", Accounts: "1001,1003"}}})
	if len(res.Starts) != 2 || res.Starts[0].Outcome != "started" || res.Starts[1].Outcome != "started" {
		t.Fatalf("starts = %+v", res.Starts)
	}
	if got := exportRecordCalls(h.sim); !slices.Equal(got, []string{"1001", "1003"}) {
		t.Fatalf("ExportRecord asked for %v, want the two listed", got)
	}
	for _, c := range h.sim.Calls() {
		if c.Action == "DescribeMonitorAccounts" {
			t.Fatal("listed the members of an item that names its accounts")
		}
	}
}

func TestStartingManyMembersKeepsToTheQPSCap(t *testing.T) {
	const qps = 40
	sim := sassim.New(sassim.Options{Steps: 2, MaxQPS: qps})
	members := make([]int64, 50) // more than a second's burst
	for i := range members {
		members[i] = int64(2001 + i)
	}
	sim.SetMembers(sassim.Members{Accounts: members})
	client := demoClient(t, sim)
	cfg := testConfig("")
	cfg.QPS, cfg.Concurrency = qps, 8
	c := &Cycle{Config: cfg, Checker: client, Starter: client, Store: fileState(t)}
	res := (&harness{sim: sim, checker: client}).run(t, c, orgOptions(t, orgInvocation))
	if len(res.Starts) != len(members) {
		t.Fatalf("%d starts, want %d", len(res.Starts), len(members))
	}
	if n := sim.Throttled(); n != 0 {
		t.Fatalf("Security Center throttled %d calls: starting exceeded POLL_QPS", n)
	}
	if got := len(sim.Started()); got != len(members) {
		t.Fatalf("%d exports started, want %d", got, len(members))
	}
}

func TestAnItemForMembersIsRefusedBeforeAnyCall(t *testing.T) {
	for _, payload := range []string{
		`{"start":[{"kind":"asset","exportType":"user"},{"kind":"vul","type":"cve","accounts":"all"}]}`,
		`{"start":[{"kind":"suspEvent","accounts":[1001]}]}`,
	} {
		_, err := ParseInvocation([]byte(payload))
		if err == nil || !strings.Contains(err.Error(), "accounts") || !strings.Contains(err.Error(), "cannot be started for member accounts") {
			t.Errorf("%s: error %v, want the item named and refused", payload, err)
		}
	}
}

func TestListingMembersFailsTheItemAlone(t *testing.T) {
	h := newHarness(t) // no members: DescribeMonitorAccounts lists none
	c := &Cycle{Config: testConfig(""), Checker: h.checker, Starter: h.checker, Store: h.store}
	opts := Options{Starts: []event.StartSpec{
		{Kind: event.Asset, ExportType: "user", Accounts: event.AllAccounts},
		{Kind: event.Vul, Type: "cve"},
	}}
	res := h.run(t, c, opts)
	if len(res.Starts) != 2 || res.Starts[0].Outcome != "failed" || !strings.Contains(res.Starts[0].Error, "no member accounts") || res.Starts[1].Outcome != "started" {
		t.Fatalf("starts = %+v, want the item for every member failed and the other started", res.Starts)
	}
}

func TestStartsTheDeadlineLeavesNoTimeForAreNotMadeLater(t *testing.T) {
	h := newHarness(t)
	h.sim.SetMembers(sassim.Members{Accounts: []int64{1001, 1002, 1003}})
	cfg := testConfig("")
	cfg.QPS, cfg.Concurrency = 0.4, 1 // the member list now, a start 2.5 s later, the next too late
	c := &Cycle{Config: cfg, Checker: h.checker, Starter: h.checker, Store: h.store}
	opts := orgOptions(t, orgInvocation)
	run := func() Result {
		ctx, cancel := context.WithTimeout(context.Background(), 7*time.Second) // starting may use the first 3.5 s
		defer cancel()
		res, err := c.Run(ctx, opts)
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	first := run()
	outcomes := map[string]int{}
	for _, s := range first.Starts {
		outcomes[s.Outcome]++
	}
	if outcomes["started"] != 1 || outcomes["not started"] != 2 {
		t.Fatalf("starts %+v, want one started and two not started", first.Starts)
	}
	retry := run()
	for _, s := range retry.Starts {
		if s.Outcome == "started" {
			t.Fatalf("a retried invocation started %s", s.Spec)
		}
	}
	if n := len(exportRecordCalls(h.sim)); n != 1 {
		t.Fatalf("ExportRecord called %d times, want once", n)
	}
}
