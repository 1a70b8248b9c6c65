package main

// The chaos test: rounds of overlapping `export-notifier poll` processes of
// the real binary, each killed with SIGKILL with probability chaosKillRate
// (at a random moment, or while a receiver holds one of its deliveries),
// against the simulator, a webhook receiver, a Slack incoming webhook and a
// Slack bot, all on loopback, sharing one file state. After the rounds, un-killed polls run until everything is
// delivered. Every event must reach every sink; the repeats the kills cost
// are reported, not asserted. `make chaos` runs it long: CHAOS_ITERATIONS
// iterations, with a random seed it prints, or CHAOS_SEED to repeat a run.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"maps"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/netip"
	"net/url"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/slack-go/slack/slacktest"

	"github.com/export-notifier/export-notifier/event"
	"github.com/export-notifier/export-notifier/handler"
	"github.com/export-notifier/export-notifier/internal/chaos"
	"github.com/export-notifier/export-notifier/internal/sassim"
)

const (
	// chaosPollTimeout is every poll's POLL_TIMEOUT and CLAIM_LEASE: short,
	// so that the claims of a killed poll expire soon and the run goes on.
	chaosPollTimeout = 3 * time.Second
	chaosKillRate    = 0.45
	chaosMaxPolls    = 4 // overlapping polls in one round, at least one
	chaosRounds      = 3 // rounds with kills in an iteration
	chaosExports     = 8 // exports in an iteration's scenario
	// chaosShortIterations and chaosShortSeed make the run in `make test`:
	// short and the same every time.
	chaosShortIterations = 3
	chaosShortSeed       = 1
	// chaosSinkLatency is how long a receiver's answer takes to come back,
	// as a real one's does, so that a kill can land while a cycle sends.
	chaosSinkLatency = 100 * time.Millisecond

	chaosBotToken = "xoxb-chaos-bot-token"
	chaosChannel  = "C0CHAOS"
)

// The sinks as the report names them.
const (
	chaosWebhook   = "webhook"
	chaosSlackHook = "slack webhook"
	chaosSlackBot  = "slack bot"
)

// chaosSettings say how long the run is and how it is drawn.
type chaosSettings struct {
	iterations int
	seed       uint64
	long       bool // CHAOS_ITERATIONS asked for a run of its own (make chaos)
}

func chaosSettingsFromEnv(t *testing.T) chaosSettings {
	t.Helper()
	s := chaosSettings{iterations: chaosShortIterations, seed: chaosShortSeed}
	if v := os.Getenv("CHAOS_ITERATIONS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			t.Fatalf("CHAOS_ITERATIONS: %q is not a whole number of at least 1", v)
		}
		s.iterations, s.long, s.seed = n, true, rand.Uint64()
	}
	if v := os.Getenv("CHAOS_SEED"); v != "" {
		seed, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			t.Fatalf("CHAOS_SEED: %q is not a whole number", v)
		}
		s.seed = seed
	}
	return s
}

// chaosPlan is one iteration, drawn from the run's seed: the exports, the
// event each must cause (none for a stuck one), and the polls of each round.
type chaosPlan struct {
	exports []sassim.Export
	events  map[string]string // export ref: event key as chaosKey spells it
	rounds  [][]chaosPoll
}

// chaosPoll is one poll process of a round. A poll to kill is killed
// either at a moment of its life or, as likely, when a receiver takes its
// n-th request (then it is not killed if it sends fewer).
type chaosPoll struct {
	delay      time.Duration // from the round's start to the process's
	kill       bool
	killAt     float64 // when to kill, in typical polls' durations
	killAtSend int     // when positive, kill at this request instead
}

// chaosKey names an event whatever carried it.
func chaosKey(typ, ref string) string { return typ + " " + ref }

func newChaosPlan(rng *rand.Rand, iteration int) chaosPlan {
	kinds := []event.Kind{event.Asset, event.Vul, event.HC, event.Warning, event.SuspEvent}
	p := chaosPlan{events: map[string]string{}}
	for j := range chaosExports {
		// Fixed-width IDs, unique across iterations: one set of receivers
		// serves the whole run.
		e := sassim.Export{Ref: event.Ref{Kind: kinds[j%len(kinds)], ID: int64(1_000_000 + 10*iteration + j)}}
		switch x := rng.Float64(); {
		case x < 0.2:
			e.Fault = sassim.Fault{Code: "NoPermission", HTTPStatus: http.StatusForbidden}
			p.events[e.Ref.String()] = chaosKey("failed", e.Ref.String())
		case x < 0.3:
			e.Stuck = true
		default:
			e.Steps = 1 + rng.IntN(4)
			p.events[e.Ref.String()] = chaosKey("completed", e.Ref.String())
		}
		p.exports = append(p.exports, e)
	}
	for range chaosRounds {
		round := make([]chaosPoll, 1+rng.IntN(chaosMaxPolls))
		for k := range round {
			round[k] = chaosPoll{
				delay:  time.Duration(rng.IntN(50)) * time.Millisecond,
				kill:   rng.Float64() < chaosKillRate,
				killAt: 1.2 * rng.Float64(),
			}
			if round[k].kill && rng.IntN(2) == 0 {
				round[k].killAtSend = 1 + rng.IntN(3)
			}
		}
		p.rounds = append(p.rounds, round)
	}
	return p
}

func (p chaosPlan) exportIDs() string {
	refs := make([]string, len(p.exports))
	for i, e := range p.exports {
		refs[i] = e.Ref.String()
	}
	return strings.Join(refs, ",")
}

// TestChaos runs the chaos test and reports, per sink, the events expected,
// delivered, missing (none allowed) and repeated, and the repeats per kill.
func TestChaos(t *testing.T) {
	settings := chaosSettingsFromEnv(t)
	t.Logf("chaos: %d iterations, seed %d (CHAOS_SEED=%d repeats the draw)", settings.iterations, settings.seed, settings.seed)
	world, bot := newE2EWorld(t, ""), newSlackBotReceiver(t)
	kills := &sendKills{running: map[int]*sendKill{}}
	run := &chaosRun{
		t:     t,
		bin:   e2eBinary(t),
		world: world,
		bot:   bot,
		fronts: map[string]string{
			chaosWebhook:   slowFront(t, world.hook.server.URL, kills.taken),
			chaosSlackHook: slowFront(t, world.slack.server.URL, kills.taken),
			chaosSlackBot:  slowFront(t, bot.url(), kills.taken) + "/",
		},
		sendKills: kills,
		base:      t.TempDir(),
		typical:   300 * time.Millisecond,
		events:    map[string]string{},
	}
	rng := rand.New(rand.NewPCG(settings.seed, settings.seed))
	started := time.Now()
	done := 0
	for i := range settings.iterations {
		if deadline, ok := t.Deadline(); ok && time.Until(deadline) < time.Minute {
			t.Logf("chaos: stopping after %d iterations, before the test's deadline", done)
			break
		}
		run.iteration(i, newChaosPlan(rng, i))
		done++
		if !settings.long || done%10 == 0 {
			t.Logf("chaos: %d iterations, %d polls, %d kills, a poll takes %s, %s", done, run.polls, run.kills, run.typical.Round(time.Millisecond), time.Since(started).Round(time.Second))
		}
	}

	reports := run.tally().Report()
	var table bytes.Buffer
	fmt.Fprintf(&table, "chaos: seed %d, %d iterations, %d polls (%d killed, %d of them while sending; %d out of time; %d settling), %s\n",
		settings.seed, done, run.polls, run.kills, run.killsWhileSending, run.overran, run.settlePolls, time.Since(started).Round(time.Second))
	if err := chaos.WriteTable(&table, reports); err != nil {
		t.Fatal(err)
	}
	if settings.long {
		fmt.Print(table.String())
	} else {
		t.Log("\n" + table.String())
	}
	for _, r := range reports {
		if len(r.Missing) > 0 {
			t.Errorf("%s: %d events never arrived (seed %d): %s", r.Sink, len(r.Missing), settings.seed, strings.Join(r.Missing, ", "))
		}
		if len(r.Unexpected) > 0 {
			t.Errorf("%s: events nobody expected arrived: %s", r.Sink, strings.Join(r.Unexpected, ", "))
		}
	}
	run.world.assertReceiversHappy(t)
	for _, p := range run.bot.troubles() {
		t.Errorf("Slack bot receiver: %s", p)
	}
}

// chaosRun is the state of a run across its iterations.
type chaosRun struct {
	t     *testing.T
	bin   string
	world *e2eWorld
	bot   *slackBotReceiver
	// fronts are the receivers' URLs behind chaosSinkLatency, by sink.
	fronts    map[string]string
	sendKills *sendKills
	base      string // iterations' directories go here
	// typical is how long an un-killed poll takes, a moving average that
	// places the kills over a poll's whole life.
	typical time.Duration
	events  map[string]string // every iteration's chaosPlan.events

	polls, kills, killsWhileSending, overran, settlePolls int
}

func (r *chaosRun) iteration(i int, plan chaosPlan) {
	t := r.t
	dir, err := os.MkdirTemp(r.base, "iteration-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	for _, e := range plan.exports {
		r.world.sim.Add(e)
	}
	for ref, key := range plan.events {
		r.events[ref] = key
	}
	r.world.stateDir = dir
	vars := r.world.cliEnv()
	vars["EXPORT_IDS"] = plan.exportIDs()
	vars["POLL_TIMEOUT"] = chaosPollTimeout.String()
	vars["CLAIM_LEASE"] = chaosPollTimeout.String()
	vars["SLACK_BOT_TOKEN"] = chaosBotToken
	vars["SLACK_CHANNEL"] = chaosChannel
	vars["SLACK_API_URL"] = r.fronts[chaosSlackBot]
	vars["SLACK_WEBHOOK_URL"] = r.fronts[chaosSlackHook] + e2eSlackSecretPath
	vars["WEBHOOK_URL"] = r.fronts[chaosWebhook] + e2eHookSecretPath
	env := e2eEnviron(t, vars)
	for n, round := range plan.rounds {
		r.round(fmt.Sprintf("iteration %d, round %d", i+1, n+1), round, env, dir)
	}
	r.settle(i, plan, env, dir)
}

// round runs its polls together, killing those drawn for it.
func (r *chaosRun) round(name string, round []chaosPoll, env []string, dir string) {
	var wg sync.WaitGroup
	runs := make([]chaosPollRun, len(round))
	for k, p := range round {
		var killAfter time.Duration
		if p.kill && p.killAtSend == 0 {
			killAfter = max(time.Millisecond, time.Duration(p.killAt*float64(r.typical)))
		}
		wg.Go(func() {
			time.Sleep(p.delay)
			runs[k] = r.runPoll(env, dir, killAfter, p.killAtSend)
		})
	}
	wg.Wait()
	for k, run := range runs {
		r.polls++
		switch {
		case run.killed:
			r.kills++
			if round[k].killAtSend > 0 {
				r.killsWhileSending++
			}
		case run.overran:
			r.overran++
		case run.err != nil:
			r.t.Errorf("%s, poll %d: %v", name, k+1, run.err)
		default:
			r.typical = (3*r.typical + run.elapsed) / 4
		}
	}
}

// settle runs un-killed polls until one that started after every export
// had finished at the simulator leaves nothing pending: by then every
// event is decided and delivered, claims of killed polls included once
// their lease is over.
func (r *chaosRun) settle(i int, plan chaosPlan, env []string, dir string) {
	t := r.t
	giveUp := time.Now().Add(3*chaosPollTimeout + 30*time.Second)
	for {
		finished := r.finishedAtSimulator(plan)
		run := r.runPoll(env, dir, 0, 0)
		r.polls++
		r.settlePolls++
		if run.overran {
			r.overran++
		} else if run.err != nil {
			t.Errorf("iteration %d, settling poll: %v", i+1, run.err)
		} else if res := decodeResult(t, []byte(run.stdout)); finished && settled(plan, res) {
			return
		}
		if time.Now().After(giveUp) {
			t.Errorf("iteration %d never settled; last poll:\n%s", i+1, run.stdout)
			return
		}
		time.Sleep(300 * time.Millisecond) // a killed poll's claims last chaosPollTimeout
	}
}

// settled reports whether res, a poll's result, saw every export of plan
// that must cause an event at its end (or no longer watched it, being
// finished) and left nothing to deliver.
func settled(plan chaosPlan, res handler.Result) bool {
	for _, e := range res.Exports {
		if _, ok := plan.events[e.Export]; ok && e.Status != string(event.Success) && e.Error != "NoPermission" {
			return false
		}
	}
	for _, n := range res.Pending {
		if n != 0 {
			return false
		}
	}
	return true
}

// finishedAtSimulator reports whether the simulator has answered every
// export of plan that must cause an event with its end: success, or the
// NoPermission that fails it.
func (r *chaosRun) finishedAtSimulator(plan chaosPlan) bool {
	ended := map[string]bool{}
	for _, c := range r.world.sim.Calls() {
		if c.Status == string(event.Success) || c.Code == "NoPermission" {
			ended[c.Ref.String()] = true
		}
	}
	for ref := range plan.events {
		if !ended[ref] {
			return false
		}
	}
	return true
}

// tally counts what each receiver got against every iteration's events.
// Slack messages are matched to events by the exports they name (a
// message may group several failures); webhook deliveries by their
// CloudEvent's type and export.
func (r *chaosRun) tally() *chaos.Tally {
	tally := chaos.NewTally(chaosWebhook, chaosSlackHook, chaosSlackBot)
	for _, key := range r.events {
		tally.Expect(key)
	}
	tally.Killed(r.kills)
	for _, ce := range r.world.hook.received() {
		tally.Delivered(chaosWebhook, chaosKey(ce.suffix(), ce.export()))
	}
	for _, m := range r.world.slack.messages() {
		r.tallySlack(tally, chaosSlackHook, m.Text)
	}
	for _, m := range r.bot.messages() {
		r.tallySlack(tally, chaosSlackBot, m.Text)
	}
	return tally
}

// chaosRefPattern is an export reference in a message's text.
var chaosRefPattern = regexp.MustCompile(`\b(?:asset|vul|hc|warning|suspEvent):[0-9]+\b`)

func (r *chaosRun) tallySlack(tally *chaos.Tally, sink, text string) {
	refs := chaosRefPattern.FindAllString(text, -1)
	if len(refs) == 0 {
		tally.Delivered(sink, "a message naming no export: "+text)
	}
	for _, ref := range slices.Compact(slices.Sorted(slices.Values(refs))) {
		if key, ok := r.events[ref]; ok {
			tally.Delivered(sink, key)
		} else {
			tally.Delivered(sink, "a message about "+ref)
		}
	}
}

// slowFront is a proxy to target that tells taken of each request target
// has answered, by the client's address and its own, and then holds the
// answer for chaosSinkLatency, as a distant receiver's answer takes time to
// come back: a kill in that time leaves a delivery the sender never learnt
// of. Its URL has no trailing slash.
func slowFront(t *testing.T, target string, taken func(client, server string)) string {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	type clientKey struct{}
	proxy := httputil.NewSingleHostReverseProxy(u)
	proxy.ErrorLog = log.New(io.Discard, "", 0) // a killed client is no error
	proxy.ModifyResponse = func(res *http.Response) error {
		ctx := res.Request.Context()
		client, _ := ctx.Value(clientKey{}).(string)
		if server, ok := ctx.Value(http.LocalAddrContextKey).(net.Addr); ok {
			taken(client, server.String())
		}
		time.Sleep(chaosSinkLatency)
		return nil
	}
	front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		proxy.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), clientKey{}, r.RemoteAddr)))
	}))
	t.Cleanup(front.Close)
	return front.URL
}

// sendKills are the running polls to kill when a receiver takes their
// n-th request, before its answer reaches them: what they sent is
// delivered and never recorded.
type sendKills struct {
	mu      sync.Mutex
	running map[int]*sendKill // by PID
}

type sendKill struct {
	proc      *os.Process
	at, taken int
}

func (s *sendKills) add(p *os.Process, at int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.running[p.Pid] = &sendKill{proc: p, at: at}
}

func (s *sendKills) remove(p *os.Process) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.running, p.Pid)
}

// taken counts a request a receiver took from client on server, and kills
// the poll that sent it if that was its last.
func (s *sendKills) taken(client, server string) {
	c, err := netip.ParseAddrPort(client)
	if err != nil {
		return
	}
	sv, err := netip.ParseAddrPort(server)
	if err != nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.running) == 0 {
		return
	}
	pid, err := chaos.ConnOwner(slices.Collect(maps.Keys(s.running)), c, sv)
	if err != nil {
		return // a poll not to kill sent it
	}
	k := s.running[pid]
	k.taken++
	if k.taken == k.at {
		_ = k.proc.Kill()
	}
}

// chaosPollRun is how one poll process ended.
type chaosPollRun struct {
	killed bool // by the test's SIGKILL, before it exited
	// overran: the poll failed once its POLL_TIMEOUT was over, as a cycle
	// does on a machine too busy to finish in time; what it claimed goes
	// out once its claims expire.
	overran bool
	elapsed time.Duration
	stdout  string
	err     error // an un-killed poll that failed otherwise, or hung
}

// runPoll runs the binary's poll and kills it with SIGKILL killAfter after
// its start, when that is positive, or when a receiver takes its
// killAtSend-th request, when that is. Wait reaps the process whatever
// happens, so a kill leaves no zombie; e2eTimeout bounds a poll that hangs.
func (r *chaosRun) runPoll(env []string, dir string, killAfter time.Duration, killAtSend int) chaosPollRun {
	ctx, cancel := context.WithTimeout(context.Background(), e2eTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, r.bin, "poll")
	cmd.Env, cmd.Dir = env, dir
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return chaosPollRun{err: err}
	}
	// Process.Kill after Wait has returned is a no-op, never a signal to a
	// recycled PID.
	if killAfter > 0 {
		kill := time.AfterFunc(killAfter, func() { _ = cmd.Process.Kill() })
		defer kill.Stop()
	}
	if killAtSend > 0 {
		r.sendKills.add(cmd.Process, killAtSend)
		defer r.sendKills.remove(cmd.Process)
	}
	err := cmd.Wait()
	run := chaosPollRun{elapsed: time.Since(start), stdout: stdout.String()}
	status, _ := cmd.ProcessState.Sys().(syscall.WaitStatus)
	switch {
	case ctx.Err() != nil:
		run.err = fmt.Errorf("poll still running after %s, killed\nstderr:\n%s", e2eTimeout, stderr.String())
	case (killAfter > 0 || killAtSend > 0) && status.Signaled() && status.Signal() == syscall.SIGKILL:
		run.killed = true
	case err != nil && status.ExitStatus() == 1 && run.elapsed >= chaosPollTimeout:
		run.overran = true
	case err != nil:
		run.err = fmt.Errorf("poll: %w\nstderr:\n%s", err, stderr.String())
	case strings.Contains(stderr.String(), "WARNING: DATA RACE"):
		run.err = fmt.Errorf("the binary reported a data race:\n%s", stderr.String())
	}
	return run
}

// slackBotReceiver is Slack's Web API for a bot, on slacktest: it records
// each chat.postMessage and answers with a message handle, and serves the
// channel's history newest first, as Slack does.
type slackBotReceiver struct {
	server *slacktest.Server

	mu       sync.Mutex
	posts    []slackBotPost
	problems []string
}

// slackBotPost is a posted message as conversations.history returns it.
type slackBotPost struct {
	Type   string          `json:"type"`
	Text   string          `json:"text"`
	TS     string          `json:"ts"`
	Blocks json.RawMessage `json:"blocks,omitempty"`
}

func newSlackBotReceiver(t *testing.T) *slackBotReceiver {
	b := &slackBotReceiver{}
	b.server = slacktest.NewTestServer(func(c slacktest.Customize) {
		c.Handle("/chat.postMessage", b.method(b.post))
		c.Handle("/conversations.history", b.method(b.history))
	})
	b.server.Start()
	t.Cleanup(b.server.Stop)
	return b
}

// url is the API's base URL, without the trailing slash.
func (b *slackBotReceiver) url() string { return strings.TrimSuffix(b.server.GetAPIURL(), "/") }

// authorized checks the bot token and the channel, and records what is wrong.
func (b *slackBotReceiver) authorized(w http.ResponseWriter, r *http.Request) bool {
	token := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
	if token == "" {
		token = r.FormValue("token")
	}
	if token != chaosBotToken || r.FormValue("channel") != chaosChannel {
		b.problems = append(b.problems, fmt.Sprintf("%s with a token %v and channel %q", r.URL.Path, token != "", r.FormValue("channel")))
		io.WriteString(w, `{"ok":false,"error":"invalid_auth"}`)
		return false
	}
	return true
}

// method serves one Web API method, under the lock and to the bot only.
func (b *slackBotReceiver) method(serve http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		b.mu.Lock()
		defer b.mu.Unlock()
		if b.authorized(w, r) {
			serve(w, r)
		}
	}
}

func (b *slackBotReceiver) post(w http.ResponseWriter, r *http.Request) {
	p := slackBotPost{Type: "message", Text: r.FormValue("text"), TS: fmt.Sprintf("%d.%06d", time.Now().Unix(), len(b.posts)+1)}
	if blocks := r.FormValue("blocks"); blocks != "" {
		if !json.Valid([]byte(blocks)) {
			b.problems = append(b.problems, "blocks are not JSON: "+blocks)
		}
		p.Blocks = json.RawMessage(blocks)
	}
	if p.Text == "" {
		b.problems = append(b.problems, "a message without text")
	}
	b.posts = append(b.posts, p)
	json.NewEncoder(w).Encode(map[string]any{"ok": true, "channel": chaosChannel, "ts": p.TS})
}

func (b *slackBotReceiver) history(w http.ResponseWriter, _ *http.Request) {
	newest := slices.Clone(b.posts)
	slices.Reverse(newest)
	json.NewEncoder(w).Encode(map[string]any{"ok": true, "messages": newest, "has_more": false})
}

func (b *slackBotReceiver) messages() []slackBotPost {
	b.mu.Lock()
	defer b.mu.Unlock()
	return slices.Clone(b.posts)
}

func (b *slackBotReceiver) troubles() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return slices.Clone(b.problems)
}
