package sassim_test

import (
	"context"
	"errors"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	openapi "github.com/alibabacloud-go/darabonba-openapi/v2/client"
	openapiutil "github.com/alibabacloud-go/darabonba-openapi/v2/utils"
	sas "github.com/alibabacloud-go/sas-20181203/v8/client"
	"github.com/alibabacloud-go/tea/dara"

	"github.com/export-notifier/export-notifier/event"
	"github.com/export-notifier/export-notifier/internal/sassim"
)

// sdkFor returns the unchanged SAS SDK pointed at sim, signing with secret,
// with typed errors and no retries.
func sdkFor(t *testing.T, sim *sassim.Simulator, secret string) *sas.Client {
	t.Helper()
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	sdk, err := sas.NewClient(&openapiutil.Config{
		AccessKeyId:     dara.String(sassim.DemoAccessKeyID),
		AccessKeySecret: dara.String(secret),
		Endpoint:        dara.String(strings.TrimPrefix(srv.URL, "http://")),
		Protocol:        dara.String("http"),
	})
	if err != nil {
		t.Fatal(err)
	}
	sdk.Client.DisableSDKError = dara.Bool(true)
	return sdk
}

var noRetries = &dara.RuntimeOptions{Autoretry: dara.Bool(false)}

func TestSimulatorStartsExportsThatProgressToSuccess(t *testing.T) {
	sim := sassim.New(sassim.Options{Steps: 2})
	sdk := sdkFor(t, sim, sassim.DemoAccessKeySecret)
	ctx := context.Background()

	rec, err := sdk.ExportRecordWithContext(ctx, &sas.ExportRecordRequest{ExportType: dara.String("assetInstance"), Lang: dara.String("en"), ResourceDirectoryAccountId: dara.Int64(16670360956)}, noRetries)
	if err != nil {
		t.Fatal(err)
	}
	vul, err := sdk.ExportVulWithContext(ctx, &sas.ExportVulRequest{Type: dara.String("cve"), Dealed: dara.String("n")}, noRetries)
	if err != nil {
		t.Fatal(err)
	}
	susp, err := sdk.ExportSuspEventsWithContext(ctx, &sas.ExportSuspEventsRequest{Levels: dara.String("serious")}, noRetries)
	if err != nil {
		t.Fatal(err)
	}
	ids := []int64{dara.Int64Value(rec.Body.Id), dara.Int64Value(vul.Body.Id), int64(dara.Int32Value(susp.Body.Id))}
	if ids[0] <= 0 || ids[0] == ids[1] || ids[1] == ids[2] || ids[0] == ids[2] {
		t.Fatalf("IDs %v, want three distinct positive IDs", ids)
	}
	if name := dara.StringValue(rec.Body.FileName); !strings.HasPrefix(name, "assetInstance_") {
		t.Errorf("ExportRecord FileName %q", name)
	}
	if name := dara.StringValue(vul.Body.FileName); !strings.HasPrefix(name, "cve_") {
		t.Errorf("ExportVul FileName %q", name)
	}
	if dara.StringValue(susp.Body.RequestId) == "" {
		t.Errorf("no RequestId in %s", susp.Body)
	}
	want := []event.Ref{{Kind: event.Asset, ID: ids[0], Account: 16670360956}, {Kind: event.Vul, ID: ids[1]}, {Kind: event.SuspEvent, ID: ids[2]}}
	if got := sim.Started(); !slices.Equal(got, want) {
		t.Errorf("Started() = %v, want %v", got, want)
	}
	calls := sim.Calls()
	for i, action := range []string{"ExportRecord", "ExportVul", "ExportSuspEvents"} {
		if c := calls[i]; c.Action != action || c.Ref != want[i] || c.HTTPStatus != 200 {
			t.Errorf("call %d: %+v, want %s of %v answered 200", i, c, action, want[i])
		}
	}
	if p := calls[0].Params; p.Get("ExportType") != "assetInstance" || p.Get("Lang") != "en" {
		t.Errorf("ExportRecord params %v", p)
	}
	if p := calls[2].Params; p.Get("Levels") != "serious" {
		t.Errorf("ExportSuspEvents params %v", p)
	}

	// Each started export is then reported on by its kind's Describe API,
	// under the file name the start answered.
	for _, wantStatus := range []string{"init", "success"} {
		d, err := sdk.DescribeExportInfoWithContext(ctx, &sas.DescribeExportInfoRequest{ExportId: dara.Int64(ids[0])}, noRetries)
		if err != nil || dara.StringValue(d.Body.ExportStatus) != wantStatus {
			t.Fatalf("DescribeExportInfo = %v, %v; want %s", d, err, wantStatus)
		}
		if wantStatus == "success" && (dara.StringValue(d.Body.FileName) != dara.StringValue(rec.Body.FileName) || dara.StringValue(d.Body.Link) == "") {
			t.Errorf("success %s, want the started FileName %s and a link", d.Body, dara.StringValue(rec.Body.FileName))
		}
	}
	d, err := sdk.DescribeSuspEventExportInfoWithContext(ctx, &sas.DescribeSuspEventExportInfoRequest{ExportId: dara.Int32(int32(ids[2]))}, noRetries)
	if err != nil || dara.StringValue(d.Body.ExportStatus) != "pending" {
		t.Fatalf("first DescribeSuspEventExportInfo = %v, %v; want pending", d, err)
	}
	d, err = sdk.DescribeSuspEventExportInfoWithContext(ctx, &sas.DescribeSuspEventExportInfoRequest{ExportId: dara.Int32(int32(ids[2]))}, noRetries)
	if err != nil || dara.StringValue(d.Body.ExportStatus) != "success" {
		t.Fatalf("second DescribeSuspEventExportInfo = %v, %v; want success after Options.Steps", d, err)
	}
}

func TestSimulatorStartIDsSkipScriptedExports(t *testing.T) {
	sim := sassim.New(sassim.Options{})
	sim.Add(sassim.Export{Ref: event.Ref{Kind: event.Vul, ID: sassim.FirstStartedID}})
	sdk := sdkFor(t, sim, sassim.DemoAccessKeySecret)
	resp, err := sdk.ExportVulWithContext(context.Background(), &sas.ExportVulRequest{Type: dara.String("sys")}, noRetries)
	if err != nil {
		t.Fatal(err)
	}
	if id := dara.Int64Value(resp.Body.Id); id == sassim.FirstStartedID {
		t.Errorf("started export took the scripted export's ID %d", id)
	}
}

func TestSimulatorRefusesBadStarts(t *testing.T) {
	sim := sassim.New(sassim.Options{})
	sdk := sdkFor(t, sim, sassim.DemoAccessKeySecret)
	ctx := context.Background()
	tests := []struct {
		name string
		call func() error
		code string
	}{
		{"no ExportType", func() error {
			_, err := sdk.ExportRecordWithContext(ctx, &sas.ExportRecordRequest{}, noRetries)
			return err
		}, "MissingParameter"},
		{"unknown ExportType", func() error {
			_, err := sdk.ExportRecordWithContext(ctx, &sas.ExportRecordRequest{ExportType: dara.String("everything")}, noRetries)
			return err
		}, "InvalidParameter"},
		{"no vul Type", func() error {
			_, err := sdk.ExportVulWithContext(ctx, &sas.ExportVulRequest{Lang: dara.String("en")}, noRetries)
			return err
		}, "MissingParameter"},
		{"bad Lang", func() error {
			_, err := sdk.ExportSuspEventsWithContext(ctx, &sas.ExportSuspEventsRequest{Lang: dara.String("fr")}, noRetries)
			return err
		}, "InvalidParameter"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.call()
			var ce *openapi.ClientError
			if !errors.As(err, &ce) || dara.StringValue(ce.Code) != tt.code || dara.IntValue(ce.StatusCode) != 400 {
				t.Fatalf("error %v, want %s (400)", err, tt.code)
			}
		})
	}
	if started := sim.Started(); len(started) != 0 {
		t.Errorf("refused starts registered %v", started)
	}

	// Starts are signed like every call.
	forged := sdkFor(t, sim, "not-the-secret")
	_, err := forged.ExportRecordWithContext(ctx, &sas.ExportRecordRequest{ExportType: dara.String("user")}, noRetries)
	var ce *openapi.ClientError
	if !errors.As(err, &ce) || dara.StringValue(ce.Code) != "SignatureDoesNotMatch" {
		t.Errorf("forged start: %v, want SignatureDoesNotMatch", err)
	}
	if started := sim.Started(); len(started) != 0 {
		t.Errorf("a forged start registered %v", started)
	}
}

func TestSimulatorStartFaults(t *testing.T) {
	tests := []struct {
		name        string
		fault       sassim.Fault
		wantStatus  int
		wantStarted bool // the export was registered although the answer failed
	}{
		{"throttling refuses first", sassim.Fault{Code: "Throttling", Times: 1}, 400, false},
		{"no permission refuses first", sassim.Fault{Code: "NoPermission", Times: 1}, 403, false},
		{"a server error loses the answer", sassim.Fault{Code: "ServerError", Times: 1}, 500, true},
		{"unavailable loses the answer", sassim.Fault{Code: "ServiceUnavailable", Times: 1}, 503, true},
		{"a dropped connection loses the answer", sassim.Fault{Drop: true, Times: 1}, 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sim := sassim.New(sassim.Options{})
			sim.FailStarts(tt.fault)
			sdk := sdkFor(t, sim, sassim.DemoAccessKeySecret)
			_, err := sdk.ExportRecordWithContext(context.Background(), &sas.ExportRecordRequest{ExportType: dara.String("user")}, noRetries)
			if err == nil {
				t.Fatal("the faulty start succeeded")
			}
			c := sim.Calls()[0]
			if c.HTTPStatus != tt.wantStatus || c.Code != tt.fault.Code {
				t.Errorf("call %+v, want HTTP %d %s", c, tt.wantStatus, tt.fault.Code)
			}
			if got := len(sim.Started()) == 1; got != tt.wantStarted {
				t.Errorf("started %v, want registered = %v", sim.Started(), tt.wantStarted)
			}
			if tt.wantStarted && c.Ref.ID == 0 {
				t.Errorf("the call does not record the ID whose answer was lost: %+v", c)
			}
			// Times: 1 spares the next start.
			resp, err := sdk.ExportRecordWithContext(context.Background(), &sas.ExportRecordRequest{ExportType: dara.String("user")}, noRetries)
			if err != nil || dara.Int64Value(resp.Body.Id) == 0 {
				t.Fatalf("second start = %v, %v", resp, err)
			}
		})
	}
}
