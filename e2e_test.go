package main

// End-to-end tests: they build the real binary and run it as Function
// Compute does (FC_RUNTIME_API pointing at a local runtime API) and as a
// user does (export-notifier poll), against the Security Center simulator
// and local Slack and webhook receivers. Only process boundaries are fake.

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/export-notifier/export-notifier/event"
	"github.com/export-notifier/export-notifier/handler"
	"github.com/export-notifier/export-notifier/internal/fcruntime"
	"github.com/export-notifier/export-notifier/internal/sassim"
)

// Credentials and secrets of the tests. None of them may show up in any
// output of the binary (assertNoSecrets).
const (
	e2eAccessKeyID     = "STS.e2e-access-key-id"
	e2eAccessKeySecret = "e2e-access-key-secret"
	e2eSTSToken        = "sts-e2e-token"
	e2eSlackSecretPath = "/services/T0E2E/B0E2E/e2eSlackPathSecret"
	e2eHookSecretPath  = "/hooks/e2eWebhookPathSecret"
)

// e2eTimeout bounds every child process and invocation: generous, since it
// only keeps a broken build from hanging the run.
const e2eTimeout = 60 * time.Second

// e2eBinDir is where the binary is built, created by TestMain before any
// test runs and removed after all of them.
var e2eBinDir string

// e2eBuild builds the binary once per test run, and only if a test asks
// for it. A race-enabled test run builds a race-enabled binary, so that a
// data race in the product fails the end-to-end tests too.
var e2eBuild = sync.OnceValues(func() (string, error) {
	bin := filepath.Join(e2eBinDir, "export-notifier")
	args := []string{"build", "-o", bin}
	if isRaceBuild() {
		args = append(args, "-race")
	}
	cmd := exec.Command("go", append(args, ".")...)
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return bin, nil
})

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "export-notifier-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	e2eBinDir = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

func isRaceBuild() bool {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return false
	}
	for _, s := range info.Settings {
		if s.Key == "-race" && s.Value == "true" {
			return true
		}
	}
	return false
}

func e2eBinary(t *testing.T) string {
	t.Helper()
	bin, err := e2eBuild()
	if err != nil {
		t.Fatal(err)
	}
	return bin
}

// e2eEnviron is a child's whole environment: PATH, a HOME of its own (no
// aliyun CLI profile), no ECS metadata lookups, and vars. Nothing else of
// this process's environment leaks in, ALIBABA_CLOUD_* above all.
func e2eEnviron(t *testing.T, vars map[string]string) []string {
	env := []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + t.TempDir(),
		"ALIBABA_CLOUD_ECS_METADATA_DISABLED=true",
	}
	if isRaceBuild() {
		// A race-enabled binary otherwise waits a second before it exits.
		env = append(env, "GORACE=atexit_sleep_ms=0")
	}
	for _, k := range slices.Sorted(maps.Keys(vars)) {
		env = append(env, k+"="+vars[k])
	}
	return env
}

// e2eCommand is the binary with args, run in a directory of its own so
// that a default STATE_URL could not write into the repository.
func e2eCommand(t *testing.T, vars map[string]string, args ...string) *exec.Cmd {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), e2eTimeout)
	t.Cleanup(cancel)
	cmd := exec.CommandContext(ctx, e2eBinary(t), args...)
	cmd.Env = e2eEnviron(t, vars)
	cmd.Dir = t.TempDir()
	return cmd
}

// cliRun is how one CLI process ended.
type cliRun struct {
	code           int
	stdout, stderr string
}

func (r cliRun) String() string {
	return fmt.Sprintf("exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
}

func runCLI(t *testing.T, vars map[string]string, args ...string) cliRun {
	t.Helper()
	cmd := e2eCommand(t, vars, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	return finishCLI(t, cmd, cmd.Run(), &stdout, &stderr)
}

func finishCLI(t *testing.T, cmd *exec.Cmd, err error, stdout, stderr *bytes.Buffer) cliRun {
	t.Helper()
	r := cliRun{stdout: stdout.String(), stderr: stderr.String()}
	var exitErr *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &exitErr):
		r.code = exitErr.ExitCode()
	default:
		t.Fatalf("%s: %v", cmd, err)
	}
	if strings.Contains(r.stderr, "WARNING: DATA RACE") {
		t.Errorf("the binary reported a data race:\n%s", r.stderr)
	}
	return r
}

// lockedBuffer collects a child's output while the test reads it.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// slackMessage is what an incoming webhook got, as Slack reads it.
type slackMessage struct {
	Text   string            `json:"text"`
	Blocks []json.RawMessage `json:"blocks"`
}

// slackReceiver is a Slack incoming webhook: it answers "ok", or while it
// is down, 500 "rollup_error" as Slack does when it has trouble.
type slackReceiver struct {
	server *httptest.Server

	mu       sync.Mutex
	down     bool
	refused  int
	accepted []slackMessage
	problems []string
}

func newSlackReceiver(t *testing.T) *slackReceiver {
	s := &slackReceiver{}
	s.server = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.server.Close)
	return s
}

func (s *slackReceiver) url() string { return s.server.URL + e2eSlackSecretPath }

func (s *slackReceiver) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	s.mu.Lock()
	defer s.mu.Unlock()
	if r.Method != http.MethodPost || r.URL.Path != e2eSlackSecretPath || !strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		s.problems = append(s.problems, fmt.Sprintf("%s %s with Content-Type %q", r.Method, r.URL.Path, r.Header.Get("Content-Type")))
		http.Error(w, "invalid_payload", http.StatusBadRequest)
		return
	}
	if s.down {
		s.refused++
		http.Error(w, "rollup_error", http.StatusInternalServerError)
		return
	}
	var m slackMessage
	if err := json.Unmarshal(body, &m); err != nil || m.Text == "" || len(m.Blocks) == 0 {
		s.problems = append(s.problems, fmt.Sprintf("not a Slack message (%v): %s", err, body))
		http.Error(w, "invalid_payload", http.StatusBadRequest)
		return
	}
	s.accepted = append(s.accepted, m)
	io.WriteString(w, "ok")
}

func (s *slackReceiver) setDown(down bool) {
	s.mu.Lock()
	s.down = down
	s.mu.Unlock()
}

func (s *slackReceiver) messages() []slackMessage {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.accepted)
}

// cloudEvent is a webhook body, decoded here on its own rather than with
// the product's types, so that the wire format is what is tested.
type cloudEvent struct {
	SpecVersion string `json:"specversion"`
	ID          string `json:"id"`
	Source      string `json:"source"`
	Type        string `json:"type"`
	Subject     string `json:"subject"`
	Time        string `json:"time"`
	Data        struct {
		ExportID   int64  `json:"exportId"`
		Kind       string `json:"kind"`
		Status     string `json:"status"`
		FileName   string `json:"fileName"`
		TotalCount int64  `json:"totalCount"`
		Error      *struct {
			Code       string `json:"code"`
			HTTPStatus int    `json:"httpStatus"`
		} `json:"error"`
	} `json:"data"`
}

func (ce cloudEvent) export() string {
	return ce.Data.Kind + ":" + strconv.FormatInt(ce.Data.ExportID, 10)
}

// suffix is the event type's last part: completed, failed or stalled.
func (ce cloudEvent) suffix() string {
	_, s, _ := strings.Cut(ce.Type, ".export.")
	return s
}

// webhookReceiver is a generic webhook endpoint that verifies the
// Standard Webhooks signature of every request with the reference library.
type webhookReceiver struct {
	server   *httptest.Server
	secret   string
	verifier *standardwebhooks.Webhook

	mu       sync.Mutex
	events   []cloudEvent
	problems []string
}

func newWebhookReceiver(t *testing.T) *webhookReceiver {
	t.Helper()
	key := make([]byte, 32)
	rand.Read(key)
	secret := "whsec_" + base64.StdEncoding.EncodeToString(key)
	verifier, err := standardwebhooks.NewWebhook(secret)
	if err != nil {
		t.Fatal(err)
	}
	h := &webhookReceiver{secret: secret, verifier: verifier}
	h.server = httptest.NewServer(http.HandlerFunc(h.serve))
	t.Cleanup(h.server.Close)
	return h
}

func (h *webhookReceiver) url() string { return h.server.URL + e2eHookSecretPath }

func (h *webhookReceiver) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	h.mu.Lock()
	defer h.mu.Unlock()
	if err := h.verifier.Verify(body, r.Header); err != nil {
		h.problems = append(h.problems, fmt.Sprintf("signature: %v", err))
		http.Error(w, "bad signature", http.StatusUnauthorized)
		return
	}
	var ce cloudEvent
	if err := json.Unmarshal(body, &ce); err != nil {
		h.problems = append(h.problems, fmt.Sprintf("not JSON: %v: %s", err, body))
		http.Error(w, "bad body", http.StatusBadRequest)
		return
	}
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/cloudevents+json") {
		h.problems = append(h.problems, "Content-Type "+ct)
	}
	if ce.SpecVersion != "1.0" || ce.ID == "" || ce.Source == "" || r.Header.Get("webhook-id") != ce.ID {
		h.problems = append(h.problems, fmt.Sprintf("not a CloudEvent with webhook-id = id: webhook-id %q, %s", r.Header.Get("webhook-id"), body))
	}
	h.events = append(h.events, ce)
	w.WriteHeader(http.StatusNoContent)
}

func (h *webhookReceiver) received() []cloudEvent {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Clone(h.events)
}

// e2eWorld is everything outside the binary: Security Center, Slack, a
// webhook receiver and a state directory.
type e2eWorld struct {
	sim      *sassim.Simulator
	simURL   string
	slack    *slackReceiver
	hook     *webhookReceiver
	stateDir string
}

// newE2EWorld starts a simulator that accepts the test AccessKey, and the
// STS token when token is set.
func newE2EWorld(t *testing.T, token string, exports ...sassim.Export) *e2eWorld {
	t.Helper()
	sim := sassim.New(sassim.Options{AccessKeyID: e2eAccessKeyID, AccessKeySecret: e2eAccessKeySecret, SecurityToken: token, Steps: 2})
	for _, e := range exports {
		sim.Add(e)
	}
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	return &e2eWorld{sim: sim, simURL: srv.URL, slack: newSlackReceiver(t), hook: newWebhookReceiver(t), stateDir: t.TempDir()}
}

// env is the configuration that points the binary at this world.
func (w *e2eWorld) env() map[string]string {
	return map[string]string{
		"SAS_ENDPOINT":      w.simURL,
		"STATE_URL":         "file://" + w.stateDir,
		"SLACK_WEBHOOK_URL": w.slack.url(),
		"WEBHOOK_URL":       w.hook.url(),
		"WEBHOOK_SECRET":    w.hook.secret,
	}
}

// cliEnv adds an AccessKey for credentials-go's default chain.
func (w *e2eWorld) cliEnv() map[string]string {
	env := w.env()
	env["ALIBABA_CLOUD_ACCESS_KEY_ID"] = e2eAccessKeyID
	env["ALIBABA_CLOUD_ACCESS_KEY_SECRET"] = e2eAccessKeySecret
	return env
}

func (w *e2eWorld) assertReceiversHappy(t *testing.T) {
	t.Helper()
	w.slack.mu.Lock()
	slackProblems := slices.Clone(w.slack.problems)
	w.slack.mu.Unlock()
	w.hook.mu.Lock()
	hookProblems := slices.Clone(w.hook.problems)
	w.hook.mu.Unlock()
	for _, p := range slackProblems {
		t.Errorf("Slack receiver: %s", p)
	}
	for _, p := range hookProblems {
		t.Errorf("webhook receiver: %s", p)
	}
}

// The flow's scenario: EXPORT_IDS names asset:131231, which finishes on
// its third check; the timer's payload names warning:77, which finishes on
// its second, vul:52, which the caller may not read, and hc:9, which never
// finishes.
const (
	flowExportIDs = "131231"
	flowPayload   = "vul:52, hc:9, warning:77"
)

func flowExports() []sassim.Export {
	return []sassim.Export{
		{Ref: event.Ref{Kind: event.Asset, ID: 131231}, Steps: 3, FileName: "asset_export_e2e.xlsx", TotalCount: 420},
		{Ref: event.Ref{Kind: event.Warning, ID: 77}, Steps: 2, FileName: "warning_export_e2e.xlsx", TotalCount: 64},
		{Ref: event.Ref{Kind: event.Vul, ID: 52}, Fault: sassim.Fault{Code: "NoPermission", HTTPStatus: http.StatusForbidden}},
		{Ref: event.Ref{Kind: event.HC, ID: 9}, Stuck: true},
	}
}

// flowCycles is enough cycles for everything to settle, and then some, so
// that resending would show.
const flowCycles = 5

// announcement is one event the receivers must get exactly once.
type announcement struct {
	typ        string // completed or failed
	export     string
	fileName   string
	totalCount int64
	code       string
	slackText  string // what the Slack message's text must contain
}

func flowAnnouncements() []announcement {
	return []announcement{
		{typ: "completed", export: "asset:131231", fileName: "asset_export_e2e.xlsx", totalCount: 420, slackText: `Export ready: asset:131231 "asset_export_e2e.xlsx", 420 rows`},
		{typ: "completed", export: "warning:77", fileName: "warning_export_e2e.xlsx", totalCount: 64, slackText: `Export ready: warning:77 "warning_export_e2e.xlsx", 64 rows`},
		{typ: "failed", export: "vul:52", code: "NoPermission", slackText: "Export check failed: vul:52: NoPermission"},
	}
}

// assertAnnouncedOnce checks that each of want reached Slack and the
// webhook exactly once, with its FileName and TotalCount or error code,
// and that nothing else did (nothing about the unchanged hc:9).
func assertAnnouncedOnce(t *testing.T, w *e2eWorld, want []announcement) {
	t.Helper()
	w.assertReceiversHappy(t)
	events := w.hook.received()
	messages := w.slack.messages()
	for _, a := range want {
		var got []cloudEvent
		for _, ce := range events {
			if ce.suffix() == a.typ && ce.export() == a.export {
				got = append(got, ce)
			}
		}
		if len(got) != 1 {
			t.Errorf("webhook: %s %s arrived %d times, want once", a.export, a.typ, len(got))
		}
		for _, ce := range got {
			if ce.Subject != strconv.FormatInt(ce.Data.ExportID, 10) {
				t.Errorf("webhook: %s %s has subject %q, want the export ID", a.export, a.typ, ce.Subject)
			}
			switch a.typ {
			case "completed":
				if ce.Data.FileName != a.fileName || ce.Data.TotalCount != a.totalCount || ce.Data.Status != "success" {
					t.Errorf("webhook: %s completed with fileName %q, totalCount %d, status %q; want %q, %d, success",
						a.export, ce.Data.FileName, ce.Data.TotalCount, ce.Data.Status, a.fileName, a.totalCount)
				}
			case "failed":
				if ce.Data.Error == nil || ce.Data.Error.Code != a.code || ce.Data.Error.HTTPStatus != http.StatusForbidden {
					t.Errorf("webhook: %s failed with error %+v, want code %s and HTTP 403", a.export, ce.Data.Error, a.code)
				}
			}
		}
		n := 0
		for _, m := range messages {
			if strings.Contains(m.Text, a.slackText) {
				n++
			}
		}
		if n != 1 {
			t.Errorf("Slack: %q arrived %d times, want once", a.slackText, n)
		}
	}
	if len(events) != len(want) {
		t.Errorf("webhook got %d events, want %d:\n%s", len(events), len(want), describeEvents(events))
	}
	if len(messages) != len(want) {
		t.Errorf("Slack got %d messages, want %d:\n%s", len(messages), len(want), describeMessages(messages))
	}
	for _, m := range messages {
		if strings.Contains(m.Text, "hc:9") {
			t.Errorf("Slack got a message about the unchanged hc:9: %q", m.Text)
		}
	}
	for _, ce := range events {
		if ce.export() == "hc:9" {
			t.Errorf("webhook got an event about the unchanged hc:9: %s", ce.Type)
		}
	}
}

func describeEvents(events []cloudEvent) string {
	var b strings.Builder
	for _, ce := range events {
		fmt.Fprintf(&b, "  %s %s %s\n", ce.ID, ce.Type, ce.export())
	}
	return b.String()
}

func describeMessages(messages []slackMessage) string {
	var b strings.Builder
	for _, m := range messages {
		fmt.Fprintf(&b, "  %s\n", m.Text)
	}
	return b.String()
}

// assertCallsSigned checks that Security Center was asked, and that every
// call carried the AccessKey and the STS token (none when token is empty)
// and was refused for nothing but the scripted NoPermission.
func assertCallsSigned(t *testing.T, sim *sassim.Simulator, token string) {
	t.Helper()
	calls := sim.Calls()
	if len(calls) == 0 {
		t.Fatal("the simulator got no calls")
	}
	asked := map[string]bool{}
	for _, c := range calls {
		asked[c.Ref.String()] = true
		if c.AccessKeyID != e2eAccessKeyID || c.SecurityToken != token {
			t.Errorf("%s %s signed by AccessKey %q with token %q, want %q and %q", c.Action, c.Ref, c.AccessKeyID, c.SecurityToken, e2eAccessKeyID, token)
		}
		if c.Code != "" && c.Code != "NoPermission" {
			t.Errorf("%s %s refused with %s (HTTP %d)", c.Action, c.Ref, c.Code, c.HTTPStatus)
		}
	}
	for _, e := range flowExports() {
		if !asked[e.Ref.String()] {
			t.Errorf("the simulator was never asked about %s", e.Ref)
		}
	}
}

// assertNoSecrets checks that no output of the binary holds a secret.
func assertNoSecrets(t *testing.T, w *e2eWorld, outputs ...string) {
	t.Helper()
	secrets := map[string]string{
		"the AccessKey secret":         e2eAccessKeySecret,
		"the STS token":                e2eSTSToken,
		"the Slack webhook URL's path": strings.TrimPrefix(e2eSlackSecretPath, "/services/T0E2E/B0E2E/"),
		"the webhook URL's path":       strings.TrimPrefix(e2eHookSecretPath, "/hooks/"),
		"the webhook signing secret":   strings.TrimPrefix(w.hook.secret, "whsec_"),
	}
	for _, out := range outputs {
		for what, secret := range secrets {
			if strings.Contains(out, secret) {
				t.Errorf("%s appears in the output:\n%s", what, out)
			}
		}
	}
}

// decodeResult decodes a cycle's JSON result strictly: exactly one JSON
// object, of the result's shape, nothing after it.
func decodeResult(t *testing.T, data []byte) handler.Result {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var res handler.Result
	if err := dec.Decode(&res); err != nil {
		t.Fatalf("the result is not a cycle's JSON result: %v\n%s", err, data)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		t.Fatalf("data after the JSON result:\n%s", data)
	}
	if res.Cycle == "" || res.StateVersion <= 0 || res.Pending == nil {
		t.Fatalf("the result lacks its cycle, state version or pending counts:\n%s", data)
	}
	return res
}

// assertFlowSettled checks the last cycle's result: the export that never
// finishes is still watched and exporting, the failure is reported, and
// nothing is left to deliver.
func assertFlowSettled(t *testing.T, last handler.Result) {
	t.Helper()
	byExport := map[string]handler.ExportResult{}
	for _, e := range last.Exports {
		byExport[e.Export] = e
	}
	if e := byExport["hc:9"]; e.Status != string(event.Exporting) {
		t.Errorf("last cycle: hc:9 = %+v, want it still exporting", e)
	}
	if e := byExport["vul:52"]; e.Error != "NoPermission" {
		t.Errorf("last cycle: vul:52 = %+v, want error NoPermission", e)
	}
	for sink, n := range last.Pending {
		if n != 0 {
			t.Errorf("last cycle: %d events still pending for %s", n, sink)
		}
	}
	if len(last.Pending) != 2 {
		t.Errorf("last cycle: pending counts for %d sinks, want Slack and the webhook: %v", len(last.Pending), last.Pending)
	}
	if len(last.Events) != 0 {
		t.Errorf("last cycle sent events again: %+v", last.Events)
	}
}

// badInput is an export list that must be refused, naming the bad item.
type badInput struct {
	name string
	ids  string
	want string // what the error must name
}

func badInputs() []badInput {
	return []badInput{
		{"malformed JSON", `{"exports": [131231,`, "malformed JSON"},
		{"unknown field", `{"exports": [131231], "exportz": [1]}`, `"exportz"`},
		{"not a number", "abc", `"abc"`},
		{"negative", "-5", `"-5"`},
		{"zero", "0", `"0"`},
		{"zero in JSON", `{"exports": [0]}`, "asset:0"},
		{"unknown kind", "bogus:5", `"bogus"`},
	}
}

// tooManyIDs is a payload object naming 100,001 exports, one more than
// allowed.
func tooManyIDs() string {
	return `{"exports":[` + strings.Repeat("131231,", handler.MaxIDs) + `131231]}`
}

// dirContents is every file under dir with its bytes.
func dirContents(t *testing.T, dir string) map[string]string {
	t.Helper()
	files := map[string]string{}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(path)
		files[path] = string(data)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

func assertDirUnchanged(t *testing.T, before map[string]string, dir string) {
	t.Helper()
	after := dirContents(t, dir)
	if !maps.Equal(before, after) {
		t.Errorf("the state directory changed:\nbefore: %v\nafter:  %v", slices.Sorted(maps.Keys(before)), slices.Sorted(maps.Keys(after)))
	}
}

// fcFunction is the binary running as an FC instance.
type fcFunction struct {
	cmd    *exec.Cmd
	output *lockedBuffer
	exited chan struct{}
}

// startFunction starts the binary against rt. It is stopped when the test
// ends, before rt closes (register rt.Close first).
func startFunction(t *testing.T, rt *fcruntime.Server, vars map[string]string) *fcFunction {
	t.Helper()
	vars["FC_RUNTIME_API"] = rt.Addr()
	cmd := e2eCommand(t, vars)
	fn := &fcFunction{cmd: cmd, output: &lockedBuffer{}, exited: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = fn.output, fn.output
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		_ = cmd.Wait()
		close(fn.exited)
	}()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-fn.exited
		if t.Failed() {
			t.Logf("function output:\n%s", fn.output)
		}
	})
	return fn
}

// invoke runs one invocation with the function role's STS credentials.
func (fn *fcFunction) invoke(t *testing.T, rt *fcruntime.Server, body []byte) fcruntime.Result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), e2eTimeout)
	defer cancel()
	go func() {
		select {
		case <-fn.exited:
			cancel()
		case <-ctx.Done():
		}
	}()
	res, err := rt.Invoke(ctx, fcruntime.Invocation{
		Event:           body,
		Timeout:         20 * time.Second,
		AccessKeyID:     e2eAccessKeyID,
		AccessKeySecret: e2eAccessKeySecret,
		SecurityToken:   e2eSTSToken,
		Region:          "cn-shanghai",
		FunctionName:    "export-notifier",
	})
	if err != nil {
		t.Fatalf("the invocation did not complete: %v\nfunction output:\n%s", err, fn.output)
	}
	return res
}

func timerEvent(t *testing.T, payload string) []byte {
	t.Helper()
	b, err := json.Marshal(map[string]string{
		"triggerTime": time.Now().UTC().Format(time.RFC3339),
		"triggerName": "every5m",
		"payload":     payload,
	})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestE2EFunctionCompute runs the binary as FC does: timer invocations
// through the runtime API, each carrying the role's STS credentials, and
// no AccessKey in the environment.
func TestE2EFunctionCompute(t *testing.T) {
	t.Parallel()
	w := newE2EWorld(t, e2eSTSToken, flowExports()...)
	rt := fcruntime.New()
	t.Cleanup(rt.Close)
	vars := w.env()
	vars["EXPORT_IDS"] = flowExportIDs
	fn := startFunction(t, rt, vars)

	var bodies []string
	var last handler.Result
	for i := range flowCycles {
		res := fn.invoke(t, rt, timerEvent(t, flowPayload))
		if res.IsError {
			t.Fatalf("invocation %d failed: %s (%s)", i+1, res.ErrorMessage, res.ErrorType)
		}
		bodies = append(bodies, string(res.Body))
		r := decodeResult(t, res.Body)
		// A cycle commits when something moved, and never goes back.
		if r.StateVersion < last.StateVersion || (i == 0 && r.StateVersion == 0) {
			t.Errorf("invocation %d left state version %d after %d", i+1, r.StateVersion, last.StateVersion)
		}
		last = r
	}
	assertAnnouncedOnce(t, w, flowAnnouncements())
	assertCallsSigned(t, w.sim, e2eSTSToken)
	assertFlowSettled(t, last)

	t.Run("bad payload", func(t *testing.T) {
		type badEvent struct {
			name  string
			event []byte
			want  string
		}
		var cases []badEvent
		for _, in := range badInputs() {
			cases = append(cases, badEvent{"timer payload " + in.name, timerEvent(t, in.ids), in.want})
		}
		cases = append(cases,
			badEvent{"direct invocation with 100,001 IDs", []byte(tooManyIDs()), "100001"},
			badEvent{"malformed timer event", []byte(`{"triggerTime": "2026-11-25T07:49:00Z", "payload": 5}`), `"payload"`},
		)
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				before := dirContents(t, w.stateDir)
				res := fn.invoke(t, rt, tc.event)
				if !res.IsError {
					t.Fatalf("invocation succeeded, want an error naming %s:\n%s", tc.want, res.Body)
				}
				bodies = append(bodies, res.ErrorMessage)
				if !strings.Contains(res.ErrorMessage, tc.want) {
					t.Errorf("error %q does not name %s", res.ErrorMessage, tc.want)
				}
				assertDirUnchanged(t, before, w.stateDir)
			})
		}
	})

	// Bad input changed nothing: the next tick carries on where the last
	// good one left off and sends nothing again.
	res := fn.invoke(t, rt, timerEvent(t, flowPayload))
	if res.IsError {
		t.Fatalf("the invocation after the bad ones failed: %s", res.ErrorMessage)
	}
	after := decodeResult(t, res.Body)
	if after.StateVersion != last.StateVersion {
		t.Errorf("the invocation after the bad ones left version %d, want %d: nothing moved, so nothing is rewritten", after.StateVersion, last.StateVersion)
	}
	assertFlowSettled(t, after)
	assertAnnouncedOnce(t, w, flowAnnouncements())
	assertNoSecrets(t, w, append(bodies, fn.output.String())...)
}

// TestE2ECLIPoll runs the same flow through `export-notifier poll`, with an
// AccessKey from the environment, as a cron job would.
func TestE2ECLIPoll(t *testing.T) {
	t.Parallel()
	w := newE2EWorld(t, "", flowExports()...)
	vars := w.cliEnv()
	vars["EXPORT_IDS"] = flowExportIDs
	vars["LOG_FORMAT"] = "json"

	var outputs []string
	var last handler.Result
	for i := range flowCycles {
		r := runCLI(t, vars, "poll", "--ids", flowPayload)
		outputs = append(outputs, r.stdout, r.stderr)
		if r.code != 0 {
			t.Fatalf("poll %d: %s", i+1, r)
		}
		if n := strings.Count(r.stdout, "\n"); n != 1 {
			t.Errorf("poll %d printed %d lines on stdout, want the one JSON result:\n%s", i+1, n, r.stdout)
		}
		res := decodeResult(t, []byte(r.stdout))
		if res.StateVersion < last.StateVersion || (i == 0 && res.StateVersion == 0) {
			t.Errorf("poll %d left state version %d after %d", i+1, res.StateVersion, last.StateVersion)
		}
		last = res
		logged := assertJSONLogs(t, r.stderr)
		if i == 0 {
			for _, e := range flowExports() {
				if !logged[e.Ref.String()] {
					t.Errorf("poll 1 logged no line about %s:\n%s", e.Ref, r.stderr)
				}
			}
		}
	}
	assertAnnouncedOnce(t, w, flowAnnouncements())
	assertCallsSigned(t, w.sim, "")
	assertFlowSettled(t, last)
	assertNoSecrets(t, w, outputs...)
}

// assertJSONLogs checks that every line of stderr is a JSON log record,
// and returns the exports they mention.
func assertJSONLogs(t *testing.T, stderr string) map[string]bool {
	t.Helper()
	exports := map[string]bool{}
	if strings.TrimSpace(stderr) == "" {
		t.Error("poll logged nothing on stderr")
	}
	for line := range strings.Lines(stderr) {
		var rec struct {
			Time   string `json:"time"`
			Level  string `json:"level"`
			Msg    string `json:"msg"`
			Export string `json:"export"`
		}
		if err := json.Unmarshal([]byte(line), &rec); err != nil || rec.Level == "" || rec.Msg == "" {
			t.Errorf("stderr line is not a JSON log record (LOG_FORMAT=json): %q", line)
			continue
		}
		if rec.Export != "" {
			exports[rec.Export] = true
		}
	}
	return exports
}

// TestE2ECLIConcurrentPolls starts two poll processes together against one
// file state, round after round: each event reaches each sink once.
func TestE2ECLIConcurrentPolls(t *testing.T) {
	t.Parallel()
	var exports []sassim.Export
	var ids []string
	var want []announcement
	for id := int64(1); id <= 6; id++ {
		ref := event.Ref{Kind: event.Asset, ID: id}
		name := fmt.Sprintf("concurrent_%d.xlsx", id)
		exports = append(exports, sassim.Export{Ref: ref, Steps: 1 + int(id%3), FileName: name, TotalCount: 10 * id})
		ids = append(ids, ref.String())
		want = append(want, announcement{typ: "completed", export: ref.String(), fileName: name, totalCount: 10 * id,
			slackText: fmt.Sprintf("Export ready: %s %q, %d rows", ref, name, 10*id)})
	}
	w := newE2EWorld(t, "", exports...)
	vars := w.cliEnv()
	vars["EXPORT_IDS"] = strings.Join(ids, ",")

	for round := 1; round <= 3; round++ {
		type started struct {
			cmd            *exec.Cmd
			stdout, stderr *bytes.Buffer
		}
		var procs []started
		for range 2 {
			p := started{cmd: e2eCommand(t, vars, "poll"), stdout: &bytes.Buffer{}, stderr: &bytes.Buffer{}}
			p.cmd.Stdout, p.cmd.Stderr = p.stdout, p.stderr
			procs = append(procs, p)
		}
		for _, p := range procs {
			if err := p.cmd.Start(); err != nil {
				t.Fatal(err)
			}
		}
		for i, p := range procs {
			r := finishCLI(t, p.cmd, p.cmd.Wait(), p.stdout, p.stderr)
			if r.code != 0 {
				t.Fatalf("round %d, process %d: %s", round, i+1, r)
			}
			decodeResult(t, []byte(r.stdout))
		}
	}
	assertAnnouncedOnce(t, w, want)
	ids2 := map[string]int{}
	for _, ce := range w.hook.received() {
		ids2[ce.ID]++
	}
	for id, n := range ids2 {
		if n != 1 {
			t.Errorf("event %s reached the webhook %d times", id, n)
		}
	}
}

// TestE2ECLISlackOutage: Slack answers 500 through a whole cycle; the next
// cycle delivers to Slack without resending the webhook.
func TestE2ECLISlackOutage(t *testing.T) {
	t.Parallel()
	ref := event.Ref{Kind: event.Asset, ID: 7}
	w := newE2EWorld(t, "", sassim.Export{Ref: ref, Steps: 1, FileName: "outage.xlsx", TotalCount: 9})
	vars := w.cliEnv()
	vars["EXPORT_IDS"] = ref.String()
	// Short enough that the Slack retries give up inside the cycle.
	vars["POLL_TIMEOUT"] = "5s"
	want := []announcement{{typ: "completed", export: ref.String(), fileName: "outage.xlsx", totalCount: 9, slackText: `Export ready: asset:7 "outage.xlsx", 9 rows`}}

	w.slack.setDown(true)
	r := runCLI(t, vars, "poll")
	if r.code != 0 {
		t.Fatalf("poll during the Slack outage: %s", r)
	}
	first := decodeResult(t, []byte(r.stdout))
	if first.Pending["slack"] != 1 {
		t.Errorf("after the outage, pending = %v, want one event pending for slack", first.Pending)
	}
	outcomes := map[string]string{}
	for _, e := range first.Events {
		outcomes[e.Sink] = e.Outcome
	}
	if outcomes["slack"] != "failed" || len(outcomes) != 2 {
		t.Errorf("outcomes during the outage = %v, want slack failed and the webhook sent", outcomes)
	}
	w.slack.mu.Lock()
	refused := w.slack.refused
	w.slack.mu.Unlock()
	if refused < 2 {
		t.Errorf("Slack was tried %d times during the outage, want retries", refused)
	}
	if n := len(w.hook.received()); n != 1 {
		t.Fatalf("the webhook got %d events during the Slack outage, want 1", n)
	}
	if n := len(w.slack.messages()); n != 0 {
		t.Fatalf("Slack accepted %d messages while down", n)
	}

	w.slack.setDown(false)
	r = runCLI(t, vars, "poll")
	if r.code != 0 {
		t.Fatalf("poll after the outage: %s", r)
	}
	second := decodeResult(t, []byte(r.stdout))
	for sink, n := range second.Pending {
		if n != 0 {
			t.Errorf("after recovery, %d events still pending for %s", n, sink)
		}
	}
	if len(second.Events) != 1 || second.Events[0].Sink != "slack" || second.Events[0].Outcome != "sent" {
		t.Errorf("after recovery, events = %+v, want only the Slack delivery", second.Events)
	}
	assertAnnouncedOnce(t, w, want)
}

// TestE2ECLIBadInput: bad --ids, bad configuration and a damaged state
// file each stop poll with a clear error, and leave the state as it was.
func TestE2ECLIBadInput(t *testing.T) {
	t.Parallel()
	ref := event.Ref{Kind: event.Asset, ID: 131231}
	w := newE2EWorld(t, "", sassim.Export{Ref: ref, Steps: 5}, sassim.Export{Ref: event.Ref{Kind: event.Vul, ID: 52}, Fault: sassim.Fault{Code: "NoPermission"}})
	vars := w.cliEnv()
	vars["EXPORT_IDS"] = ref.String()
	// One real cycle first, so there is state to lose.
	if r := runCLI(t, vars, "poll", "--ids", "vul:52"); r.code != 0 {
		t.Fatalf("seeding poll: %s", r)
	}
	sent := len(w.hook.received())
	if sent != 1 {
		t.Fatalf("seeding poll sent %d events, want the NoPermission failure", sent)
	}

	assertRefused := func(t *testing.T, r cliRun, code int, want ...string) {
		t.Helper()
		if r.code != code {
			t.Fatalf("exit %d, want %d: %s", r.code, code, r)
		}
		if r.stdout != "" {
			t.Errorf("stdout is not empty: %q", r.stdout)
		}
		for _, s := range want {
			if !strings.Contains(r.stderr, s) {
				t.Errorf("stderr does not name %s: %q", s, r.stderr)
			}
		}
	}

	t.Run("ids", func(t *testing.T) {
		for _, in := range badInputs() {
			t.Run(in.name, func(t *testing.T) {
				before := dirContents(t, w.stateDir)
				r := runCLI(t, vars, "poll", "--ids", in.ids)
				assertRefused(t, r, 2, "--ids", in.want)
				if strings.Count(strings.TrimSpace(r.stderr), "\n") != 0 {
					t.Errorf("the error is not one line: %q", r.stderr)
				}
				assertDirUnchanged(t, before, w.stateDir)
			})
		}
		// 100,001 IDs cannot go through --ids: Linux caps one argument at
		// 128 KiB, and that many IDs take at least 200 KB. The limit is
		// tested through a direct FC invocation (TestE2EFunctionCompute).
	})

	t.Run("config", func(t *testing.T) {
		for _, tc := range []struct{ variable, value, want string }{
			{"EXPORT_IDS", "abc", `"abc"`},
			{"SAS_ENDPOINT", "http://example.com", "https"},
			{"NOTIFY_ON", "bogus", `"bogus"`},
			{"SLACK_WEBHOOK_URL", "http://example.com/services/x", "https"},
			{"POLL_TIMEOUT", "soon", `"soon"`},
		} {
			t.Run(tc.variable, func(t *testing.T) {
				before := dirContents(t, w.stateDir)
				bad := maps.Clone(vars)
				bad[tc.variable] = tc.value
				r := runCLI(t, bad, "poll")
				assertRefused(t, r, 2, tc.variable, tc.want)
				if strings.Count(strings.TrimSpace(r.stderr), "\n") != 0 {
					t.Errorf("the error is not one line: %q", r.stderr)
				}
				assertDirUnchanged(t, before, w.stateDir)
			})
		}
	})

	t.Run("damaged state", func(t *testing.T) {
		snapshots, err := filepath.Glob(filepath.Join(w.stateDir, "snapshot-*.json"))
		if err != nil || len(snapshots) == 0 {
			t.Fatalf("no snapshot in %s (%v)", w.stateDir, err)
		}
		slices.Sort(snapshots)
		newest := snapshots[len(snapshots)-1]
		data, err := os.ReadFile(newest)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(newest, data[:len(data)/2], 0o644); err != nil { // a torn write
			t.Fatal(err)
		}
		before := dirContents(t, w.stateDir)
		r := runCLI(t, vars, "poll")
		assertRefused(t, r, 1, newest, "damaged")
		assertDirUnchanged(t, before, w.stateDir)
	})

	if n := len(w.hook.received()); n != sent {
		t.Errorf("refused runs sent %d events", n-sent)
	}
	if n := len(w.slack.messages()); n != sent {
		t.Errorf("Slack got %d messages, want only the seeding poll's %d", n, sent)
	}
}

// TestE2EDemo runs `export-notifier demo`, what `make demo` runs.
func TestE2EDemo(t *testing.T) {
	t.Parallel()
	r := runCLI(t, nil, "demo")
	if r.code != 0 {
		t.Fatalf("demo: %s", r)
	}
	for _, want := range []string{
		"asset:131231 success: asset_export_20261125, 1520 rows",
		"vul:52 failed (NoPermission)",
		"hc:7 success: health_check_export_20261125, 86 rows",
		"got export-notifier.export.completed for export 131231",
		"got export-notifier.export.failed for export 52 (NoPermission), signature verified",
		"each once",
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("the demo's story lacks %q:\n%s", want, r.stdout)
		}
	}
}
