package sassim_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	openapiutil "github.com/alibabacloud-go/darabonba-openapi/v2/utils"
	sas "github.com/alibabacloud-go/sas-20181203/v8/client"
	"github.com/alibabacloud-go/tea/dara"

	"github.com/export-notifier/export-notifier/credential"
	"github.com/export-notifier/export-notifier/event"
	"github.com/export-notifier/export-notifier/exports"
	"github.com/export-notifier/export-notifier/internal/sassim"
)

// captured is a request as it reached the simulator, to replay.
type captured struct {
	method, url string
	header      http.Header
	body        []byte
}

// serve serves sim behind a recorder of the last request and returns a
// client of it.
func serve(t *testing.T, sim *sassim.Simulator) (*httptest.Server, *exports.Client, func() captured) {
	t.Helper()
	var mu sync.Mutex
	var last captured
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		last = captured{r.Method, r.URL.String(), r.Header.Clone(), body}
		mu.Unlock()
		r.Body = io.NopCloser(bytes.NewReader(body))
		sim.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	client, err := exports.New(exports.Config{
		Endpoint:    srv.URL,
		Credentials: credential.Static{AccessKeyID: sassim.DemoAccessKeyID, AccessKeySecret: sassim.DemoAccessKeySecret},
		MaxAttempts: 1,
	})
	if err != nil {
		t.Fatal(err)
	}
	return srv, client, func() captured { mu.Lock(); defer mu.Unlock(); return last }
}

// replay sends c again, changed by edit.
func replay(t *testing.T, srv *httptest.Server, c captured, edit func(*http.Request)) (int, map[string]string) {
	t.Helper()
	req, err := http.NewRequest(c.method, srv.URL+c.url, bytes.NewReader(c.body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header = c.header.Clone()
	if edit != nil {
		edit(req)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body map[string]string
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatalf("error body is not JSON: %v", err)
	}
	if body["RequestId"] == "" || body["RequestId"] != resp.Header.Get("x-acs-request-id") {
		t.Errorf("request ID %q in the body, %q in the header", body["RequestId"], resp.Header.Get("x-acs-request-id"))
	}
	return resp.StatusCode, body
}

func TestSimulatorRefusesTamperedRequests(t *testing.T) {
	sim := sassim.New(sassim.Options{})
	srv, client, last := serve(t, sim)
	if _, err := client.Get(context.Background(), event.Ref{Kind: event.Asset, ID: 131231}); err != nil {
		t.Fatal(err)
	}
	signed := last()
	tests := []struct {
		name   string
		edit   func(*http.Request)
		status int
		code   string
	}{
		{"a replay reuses the nonce", nil, 400, "SignatureNonceUsed"},
		{"another export ID", func(r *http.Request) { r.URL.RawQuery = strings.Replace(r.URL.RawQuery, "131231", "131232", 1) }, 400, "SignatureDoesNotMatch"},
		{"another nonce", func(r *http.Request) { r.Header.Set("x-acs-signature-nonce", "fresh") }, 400, "SignatureDoesNotMatch"},
		{"another action", func(r *http.Request) { r.Header.Set("x-acs-action", "DescribeVulExportInfo") }, 400, "SignatureDoesNotMatch"},
		{"a body the hash does not cover", func(r *http.Request) { r.Body = io.NopCloser(strings.NewReader("x=1")); r.ContentLength = 3 }, 400, "SignatureDoesNotMatch"},
		{"an unsigned x-acs header", func(r *http.Request) { r.Header.Set("x-acs-extra", "1") }, 400, "IncompleteSignature"},
		{"an added security token", func(r *http.Request) { r.Header.Set("x-acs-security-token", "stolen") }, 400, "InvalidSecurityToken.MismatchWithAccessKey"},
		{"another AccessKey", func(r *http.Request) {
			r.Header.Set("Authorization", strings.Replace(r.Header.Get("Authorization"), sassim.DemoAccessKeyID, "LTAIother", 1))
		}, 404, "InvalidAccessKeyId.NotFound"},
		{"no signature", func(r *http.Request) { r.Header.Del("Authorization") }, 400, "IncompleteSignature"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, body := replay(t, srv, signed, tt.edit)
			if status != tt.status || body["Code"] != tt.code || body["Message"] == "" {
				t.Errorf("answer %d %v, want %d %s with a message", status, body, tt.status, tt.code)
			}
			calls := sim.Calls()
			if c := calls[len(calls)-1]; c.Code != tt.code || c.HTTPStatus != tt.status {
				t.Errorf("recorded %+v", c)
			}
		})
	}
}

func TestSimulatorRefusesStaleDates(t *testing.T) {
	sim := sassim.New(sassim.Options{Now: func() time.Time { return time.Now().Add(time.Hour) }})
	_, client, _ := serve(t, sim)
	_, err := client.Get(context.Background(), event.Ref{Kind: event.Asset, ID: 1})
	var e *exports.Error
	if !errors.As(err, &e) || e.Code != "InvalidTimeStamp.Expired" || e.HTTPStatus != 400 {
		t.Fatalf("Get = %v, want InvalidTimeStamp.Expired", err)
	}
}

func TestSimulatorServesTheUnchangedSDK(t *testing.T) {
	sim := sassim.New(sassim.Options{Steps: 1})
	srv := httptest.NewServer(sim)
	defer srv.Close()
	sdk, err := sas.NewClient(&openapiutil.Config{
		AccessKeyId:     dara.String(sassim.DemoAccessKeyID),
		AccessKeySecret: dara.String(sassim.DemoAccessKeySecret),
		Endpoint:        dara.String(strings.TrimPrefix(srv.URL, "http://")),
		Protocol:        dara.String("http"),
	})
	if err != nil {
		t.Fatal(err)
	}
	resp, err := sdk.DescribeExportInfoWithContext(context.Background(),
		&sas.DescribeExportInfoRequest{ExportId: dara.Int64(131231), ResourceDirectoryAccountId: dara.Int64(16670360956)}, &dara.RuntimeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if b := resp.Body; dara.StringValue(b.ExportStatus) != "success" || dara.Int64Value(b.Id) != 131231 || dara.StringValue(b.Message) != "success" || dara.StringValue(b.Link) == "" {
		t.Errorf("body %s", b)
	}
	if c := sim.Calls()[0]; c.Ref != (event.Ref{Kind: event.Asset, ID: 131231, Account: 16670360956}) || c.Action != "DescribeExportInfo" {
		t.Errorf("call %+v", c)
	}

	// An action Security Center does not have, through the SDK's generic call.
	_, err = sdk.CallApiWithCtx(context.Background(), &openapiutil.Params{
		Action: dara.String("DescribeNothing"), Version: dara.String(sassim.APIVersion), Protocol: dara.String("HTTPS"),
		Pathname: dara.String("/"), Method: dara.String("POST"), AuthType: dara.String("AK"), Style: dara.String("RPC"),
		ReqBodyType: dara.String("formData"), BodyType: dara.String("json"),
	}, &openapiutil.OpenApiRequest{Query: map[string]*string{"ExportId": dara.String("1")}}, &dara.RuntimeOptions{})
	if err == nil || !strings.Contains(err.Error(), "InvalidAction.NotFound") {
		t.Errorf("unknown action: %v, want InvalidAction.NotFound", err)
	}

	// suspEvent IDs are 32-bit; the SDK's request takes int32, so send a
	// larger one by hand through the generic call.
	_, err = sdk.CallApiWithCtx(context.Background(), &openapiutil.Params{
		Action: dara.String("DescribeSuspEventExportInfo"), Version: dara.String(sassim.APIVersion), Protocol: dara.String("HTTPS"),
		Pathname: dara.String("/"), Method: dara.String("POST"), AuthType: dara.String("AK"), Style: dara.String("RPC"),
		ReqBodyType: dara.String("formData"), BodyType: dara.String("json"),
	}, &openapiutil.OpenApiRequest{Query: map[string]*string{"ExportId": dara.String("4294967296")}}, &dara.RuntimeOptions{})
	if err == nil || !strings.Contains(err.Error(), "InvalidParameter") {
		t.Errorf("64-bit suspEvent ID: %v, want InvalidParameter", err)
	}
}

func TestSimulatorPace(t *testing.T) {
	begun := time.Now()
	now := begun
	var clockMu sync.Mutex
	sim := sassim.New(sassim.Options{Now: func() time.Time { clockMu.Lock(); defer clockMu.Unlock(); return now }})
	_, client, _ := serve(t, sim)
	advance := func(d time.Duration) { clockMu.Lock(); now = now.Add(d); clockMu.Unlock() }
	get := func(ref event.Ref) event.Status {
		t.Helper()
		st, err := client.Get(context.Background(), ref)
		if err != nil {
			t.Fatal(err)
		}
		return st
	}

	timed := event.Ref{Kind: event.Vul, ID: 1}
	sim.Add(sassim.Export{Ref: timed, Duration: 10 * time.Minute})
	if st := get(timed); st.State != event.Init {
		t.Errorf("first call: %s, want init", st.State)
	}
	advance(5 * time.Minute)
	if st := get(timed); st.State != event.Exporting || st.Progress != 50 {
		t.Errorf("half way: %s at %d%%, want exporting at 50%%", st.State, st.Progress)
	}
	advance(5 * time.Minute)
	if st := get(timed); st.State != event.Success {
		t.Errorf("after the duration: %s, want success", st.State)
	}

	stuck := event.Ref{Kind: event.Asset, ID: 2}
	sim.Add(sassim.Export{Ref: stuck, Steps: 2, Stuck: true})
	var seen []event.Status
	for range 5 {
		seen = append(seen, get(stuck))
	}
	if seen[0].State != event.Init {
		t.Errorf("stuck export first %s, want init", seen[0].State)
	}
	for _, st := range seen[1:] {
		if st.State != event.Exporting || st.Progress != seen[1].Progress || st.CurrentCount != seen[1].CurrentCount {
			t.Errorf("stuck export moved: %+v then %+v", seen[1], st)
		}
	}

	unscripted := event.Ref{Kind: event.Warning, ID: 3}
	var states []event.State
	for range sassim.DefaultSteps {
		states = append(states, get(unscripted).State)
	}
	if states[len(states)-1] != event.Success || states[0] != event.Init {
		t.Errorf("unscripted export went %v, want init ... success after %d calls", states, sassim.DefaultSteps)
	}
}

func TestSimulatorDefaultStatuses(t *testing.T) {
	for code, status := range map[string]int{
		"NoPermission": 403, "RdCheckNoPermission": 400, "ServerError": 500, "RdCheckInnerError": 500,
		"Throttling": 400, "Throttling.User": 400, "ServiceUnavailable": 503, "InternalError": 500,
	} {
		if got := sassim.DefaultHTTPStatus(code); got != status {
			t.Errorf("DefaultHTTPStatus(%s) = %d, want %d", code, got, status)
		}
	}
}

func TestSimulatorThrottlesAboveMaxQPS(t *testing.T) {
	now := time.Now()
	var clockMu sync.Mutex
	sim := sassim.New(sassim.Options{MaxQPS: 2, Now: func() time.Time { clockMu.Lock(); defer clockMu.Unlock(); return now }})
	_, client, _ := serve(t, sim)
	advance := func(d time.Duration) { clockMu.Lock(); now = now.Add(d); clockMu.Unlock() }
	code := func(id int64) string {
		t.Helper()
		_, err := client.Get(context.Background(), event.Ref{Kind: event.Asset, ID: id})
		var apiErr *exports.Error
		switch {
		case err == nil:
			return ""
		case errors.As(err, &apiErr):
			if apiErr.Code == "Throttling" && apiErr.HTTPStatus != http.StatusBadRequest {
				t.Errorf("Throttling answered with HTTP %d, want 400", apiErr.HTTPStatus)
			}
			return apiErr.Code
		default:
			t.Fatalf("call %d: %v", id, err)
			return ""
		}
	}

	// One second's worth at once is allowed; the next call in the same
	// instant is not.
	got := []string{code(1), code(2), code(3)}
	if want := []string{"", "", "Throttling"}; !slices.Equal(got, want) {
		t.Errorf("three calls at once with MaxQPS 2 answered %q, want %q", got, want)
	}
	advance(500 * time.Millisecond) // refills one call
	got = []string{code(4), code(5)}
	if want := []string{"", "Throttling"}; !slices.Equal(got, want) {
		t.Errorf("two calls half a second later answered %q, want %q", got, want)
	}
	if n := sim.Throttled(); n != 2 {
		t.Errorf("Throttled() = %d, want 2", n)
	}
	throttledCalls := 0
	for _, c := range sim.Calls() {
		if c.Code == "Throttling" {
			throttledCalls++
		}
	}
	if throttledCalls != 2 {
		t.Errorf("%d calls recorded as Throttling, want 2", throttledCalls)
	}
}

func TestSimulatorWithoutMaxQPSNeverThrottles(t *testing.T) {
	sim := sassim.New(sassim.Options{})
	_, client, _ := serve(t, sim)
	for id := range int64(50) {
		if _, err := client.Get(context.Background(), event.Ref{Kind: event.Asset, ID: id + 1}); err != nil {
			t.Fatalf("call %d: %v", id+1, err)
		}
	}
	if n := sim.Throttled(); n != 0 {
		t.Errorf("Throttled() = %d without MaxQPS, want 0", n)
	}
}

func TestTimedExportShapes(t *testing.T) {
	clock := sassim.NewClock(time.Now())
	sim := sassim.New(sassim.Options{Now: clock.Now})
	_, client, _ := serve(t, sim)
	type seen struct {
		state    event.State
		progress int
	}
	// Each shape lasts 60 s from start; asked before it, and 0, 20, 30,
	// 45, 60 s after.
	offsets := []time.Duration{-time.Second, 0, 20 * time.Second, 30 * time.Second, 45 * time.Second, 60 * time.Second}
	for i, tc := range []struct {
		shape sassim.Shape
		kind  event.Kind
		want  []seen
	}{
		{sassim.Linear, event.Asset, []seen{{event.Init, 0}, {event.Exporting, 0}, {event.Exporting, 33}, {event.Exporting, 50}, {event.Exporting, 75}, {event.Success, 100}}},
		{sassim.Stall, event.Vul, []seen{{event.Init, 0}, {event.Exporting, 0}, {event.Exporting, 33}, {event.Exporting, 50}, {event.Exporting, 50}, {event.Exporting, 50}}},
		{sassim.Jump, event.Warning, []seen{{event.Init, 0}, {event.Exporting, 0}, {event.Exporting, 0}, {event.Exporting, 0}, {event.Exporting, 0}, {event.Success, 100}}},
		{sassim.SlowStart, event.SuspEvent, []seen{{event.Init, 0}, {event.Exporting, 0}, {event.Exporting, 0}, {event.Exporting, 25}, {event.Exporting, 62}, {event.Success, 100}}},
	} {
		ref := event.Ref{Kind: tc.kind, ID: int64(100 + i)}
		start := clock.Now().Add(time.Minute)
		sim.Add(sassim.Export{Ref: ref, StartAt: start, Duration: time.Minute, Shape: tc.shape})
		var got []seen
		at := clock.Now()
		for _, off := range offsets {
			clock.Advance(start.Add(off).Sub(at))
			at = clock.Now()
			st, err := client.Get(context.Background(), ref)
			if err != nil {
				t.Fatalf("%s at %s: %v", tc.shape, off, err)
			}
			got = append(got, seen{st.State, st.Progress})
		}
		if fmt.Sprint(got) != fmt.Sprint(tc.want) {
			t.Errorf("shape %q over time: %v, want %v", tc.shape, got, tc.want)
		}
	}
}
