package exports_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/export-notifier/export-notifier/credential"
	"github.com/export-notifier/export-notifier/event"
	"github.com/export-notifier/export-notifier/exports"
	"github.com/export-notifier/export-notifier/internal/sassim"
)

func TestMembersListsTheMemberAccounts(t *testing.T) {
	sim, client := start(t, sassim.Options{}, exports.Config{})
	sim.SetMembers(sassim.Members{Accounts: []int64{1003, 1001, 1002}, Refused: []int64{1002}})
	got, err := client.Members(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	// A refused member is listed: only starting its export says it is refused.
	if !slices.Equal(got, []int64{1001, 1002, 1003}) {
		t.Fatalf("Members = %v, want every member, sorted", got)
	}
	if calls := sim.Calls(); len(calls) != 1 || calls[0].Action != "DescribeMonitorAccounts" {
		t.Fatalf("calls %+v, want one DescribeMonitorAccounts", calls)
	}
}

func TestMembersSaysWhyItCouldNotList(t *testing.T) {
	_, client := start(t, sassim.Options{}, exports.Config{Credentials: credential.Static{AccessKeyID: "LTAIunknown", AccessKeySecret: "wrong-secret"}})
	_, err := client.Members(context.Background())
	var e *exports.Error
	if !errors.As(err, &e) || e.Code != "InvalidAccessKeyId.NotFound" {
		t.Fatalf("Members with unknown credentials: %v, want InvalidAccessKeyId.NotFound", err)
	}
	if msg := err.Error(); !strings.HasPrefix(msg, "DescribeMonitorAccounts: InvalidAccessKeyId.NotFound (HTTP 404") || strings.Contains(msg, "wrong-secret") {
		t.Errorf("error %q, want it to name the API and the code, and no secret", msg)
	}
}

func TestStartRefusesAnItemForManyAccounts(t *testing.T) {
	sim, client := start(t, sassim.Options{}, exports.Config{})
	_, _, err := client.Start(context.Background(), event.StartSpec{Kind: event.Asset, ExportType: "user", Accounts: event.AllAccounts})
	var e *exports.Error
	if !errors.As(err, &e) || e.Code != exports.CodeInvalidStartSpec || len(sim.Calls()) != 0 {
		t.Fatalf("Start of an item for every member: %v after %d calls, want it refused before any call", err, len(sim.Calls()))
	}
}
