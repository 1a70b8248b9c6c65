package cli

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/export-notifier/export-notifier/internal/sassim"
	"github.com/export-notifier/export-notifier/state"
)

func TestStartAccountsAllStartsOnePerMemberAndRecordsTheBatch(t *testing.T) {
	sim := sassim.New(sassim.Options{})
	sim.SetMembers(sassim.Members{Accounts: []int64{1001, 1002, 1003}, Refused: []int64{1003}})
	getenv := checkSimEnv(t, sim, nil)
	code, stdout, stderr := runStartWith(t, getenv, "--accounts", "all", "--export-type", "assetInstance", "--lang", "en")
	if code != ExitFailed {
		t.Fatalf("exit %d, want %d: one member was refused; stderr %s", code, ExitFailed, stderr)
	}
	var got batchResult
	if err := json.Unmarshal([]byte(stdout), &got); err != nil {
		t.Fatalf("stdout is not JSON: %v\n%s", err, stdout)
	}
	outcomes := map[string]string{}
	for _, s := range got.Starts {
		outcomes[s.Spec] = s.Outcome
	}
	if len(got.Starts) != 3 || outcomes["asset/assetInstance@1001 (en)"] != "started" || outcomes["asset/assetInstance@1003 (en)"] != "failed" {
		t.Fatalf("starts %+v, want one per member, the refused one failed", got.Starts)
	}
	store, err := state.Open(context.Background(), getenv("STATE_URL"), state.Options{})
	if err != nil {
		t.Fatal(err)
	}
	snap, err := store.Load(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	batches := snap.Batches()
	if len(batches) != 1 || len(batches[0].Starts) != 3 {
		t.Fatalf("batches %+v, want the one batch of three", batches)
	}
	if len(sim.Started()) != 2 || snap.Export(sim.Started()[0]) == nil {
		t.Fatalf("started %v, not all watched", sim.Started())
	}

	// status shows the batch and its progress.
	vars := map[string]string{"STATE_URL": getenv("STATE_URL")}
	code, stdout, stderr = runStatusWith(t, vars)
	if code != ExitOK || !strings.Contains(stdout, "asset/assetInstance (en) for 3 member accounts") || !strings.Contains(stdout, "0 of 3 ready, 1 failed, 2 pending") {
		t.Fatalf("status: exit %d\n%s%s", code, stdout, stderr)
	}
	_, stdout, _ = runStatusWith(t, vars, "--json")
	var report statusReport
	if err := json.Unmarshal([]byte(stdout), &report); err != nil {
		t.Fatal(err)
	}
	if len(report.Batches) != 1 || report.Batches[0].Failed != 1 || report.Batches[0].Members[2].Code != "RdCheckNoPermission" {
		t.Fatalf("status --json batches = %+v, want the refused member's code", report.Batches)
	}
}

func TestStartAccountsRefusesAKindThatCannotTakeThem(t *testing.T) {
	sim := sassim.New(sassim.Options{})
	code, _, stderr := runStartWith(t, checkSimEnv(t, sim, nil), "--kind", "vul", "--type", "cve", "--accounts", "all")
	if code != ExitUsage || !strings.Contains(stderr, "--accounts: ") || !strings.Contains(stderr, "cannot be started for member accounts") || len(sim.Calls()) != 0 {
		t.Fatalf("exit %d, stderr %q, %d calls; want a usage error naming --accounts before any call", code, stderr, len(sim.Calls()))
	}
}
