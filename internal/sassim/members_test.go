package sassim_test

import (
	"context"
	"errors"
	"slices"
	"testing"

	openapi "github.com/alibabacloud-go/darabonba-openapi/v2/client"
	sas "github.com/alibabacloud-go/sas-20181203/v8/client"
	"github.com/alibabacloud-go/tea/dara"

	"github.com/export-notifier/export-notifier/internal/sassim"
)

func TestSimulatorListsMembersAndRefusesOneItMayNotRead(t *testing.T) {
	sim := sassim.New(sassim.Options{Steps: 1})
	sim.SetMembers(sassim.Members{Accounts: []int64{1001, 1002, 1003}, Refused: []int64{1003}})
	sdk := sdkFor(t, sim, sassim.DemoAccessKeySecret)
	ctx := context.Background()

	list, err := sdk.DescribeMonitorAccountsWithOptions(noRetries)
	if err != nil {
		t.Fatal(err)
	}
	if got := dara.StringSliceValue(list.Body.AccountIds); !slices.Equal(got, []string{"1001", "1002", "1003"}) {
		t.Errorf("AccountIds = %v", got)
	}
	if len(list.Body.AccountIdInfos) != 3 || dara.StringValue(list.Body.AccountIdInfos[1].AccountId) != "1002" {
		t.Errorf("AccountIdInfos = %v", list.Body.AccountIdInfos)
	}

	cases := []struct {
		name    string
		account int64
		code    string
	}{
		{"readable member", 1002, ""},
		{"refused member", 1003, "RdCheckNoPermission"},
		{"not a member", 9999, "RdCheckNoPermission"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := sdk.ExportRecordWithContext(ctx, &sas.ExportRecordRequest{ExportType: dara.String("assetInstance"), ResourceDirectoryAccountId: dara.Int64(c.account)}, noRetries)
			if code := errorCode(err); code != c.code {
				t.Fatalf("ExportRecord for %d: code %q (%v), want %q", c.account, code, err, c.code)
			}
			_, err = sdk.DescribeExportInfoWithContext(ctx, &sas.DescribeExportInfoRequest{ExportId: dara.Int64(42), ResourceDirectoryAccountId: dara.Int64(c.account)}, noRetries)
			if code := errorCode(err); code != c.code {
				t.Fatalf("DescribeExportInfo for %d: code %q (%v), want %q", c.account, code, err, c.code)
			}
		})
	}
}

func TestSimulatorKeepsEachMembersExportsApart(t *testing.T) {
	sim := sassim.New(sassim.Options{Steps: 1})
	sim.SetMembers(sassim.Members{Accounts: []int64{1001, 1002}})
	sdk := sdkFor(t, sim, sassim.DemoAccessKeySecret)
	ctx := context.Background()
	rec, err := sdk.ExportRecordWithContext(ctx, &sas.ExportRecordRequest{ExportType: dara.String("assetInstance"), ResourceDirectoryAccountId: dara.Int64(1001)}, noRetries)
	if err != nil {
		t.Fatal(err)
	}
	ask := func(account *int64) error {
		_, err := sdk.DescribeExportInfoWithContext(ctx, &sas.DescribeExportInfoRequest{ExportId: rec.Body.Id, ResourceDirectoryAccountId: account}, noRetries)
		return err
	}
	if err := ask(dara.Int64(1001)); err != nil {
		t.Errorf("asked under its own member account: %v", err)
	}
	if code := errorCode(ask(dara.Int64(1002))); code != "InvalidParameter" {
		t.Errorf("asked under another member: code %q, want InvalidParameter", code)
	}
	if code := errorCode(ask(nil)); code != "InvalidParameter" {
		t.Errorf("asked under the caller's own account: code %q, want InvalidParameter", code)
	}
}

// errorCode is the Security Center error code of err, "" for none.
func errorCode(err error) string {
	var ce *openapi.ClientError
	if err == nil || !errors.As(err, &ce) {
		return ""
	}
	return dara.StringValue(ce.Code)
}
