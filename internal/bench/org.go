package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
	"sync"
	"time"

	"github.com/export-notifier/export-notifier/event"
	"github.com/export-notifier/export-notifier/exports"
	"github.com/export-notifier/export-notifier/handler"
	"github.com/export-notifier/export-notifier/internal/sassim"
	"github.com/export-notifier/export-notifier/notify"
	"github.com/export-notifier/export-notifier/state"
)

// goalOrgRatio: trigger to digest, of the rate limit's floor.
const goalOrgRatio = 1.15

// orgSetup is the organization-wide schedule measured: members member
// accounts (the last refused), started by one trigger and watched under
// QPS until the batch's digest arrives.
type orgSetup struct {
	Members int
	QPS     float64
	Latency time.Duration
}

// floorCalls is the fewest calls from trigger to digest: the member list,
// a start per member, and one check of each started export (the simulator
// finishes an export at its first check).
func (o orgSetup) floorCalls() int { return 1 + o.Members + (o.Members - 1) }

// floor is the least time those calls take at QPS: the first goes at
// once, each other a 1/QPS after the one before.
func (o orgSetup) floor() time.Duration {
	return time.Duration(float64(o.floorCalls()-1) / o.QPS * float64(time.Second))
}

// digestSink counts the digests it is sent and notes when the first came.
type digestSink struct {
	mu      sync.Mutex
	digests int
	first   time.Time
}

func (s *digestSink) Name() string { return "bench" }

func (s *digestSink) Group(events []event.Event) [][]event.Event { return notify.Singly(events) }

func (s *digestSink) Notify(_ context.Context, events []event.Event) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, ev := range events {
		if ev.Type == event.Digest {
			if s.digests == 0 {
				s.first = time.Now()
			}
			s.digests++
		}
	}
	return nil
}

// orgRows times one organization-wide schedule: the trigger's cycle lists
// the members and starts an export for each, within POLL_QPS, then polls;
// cycles follow back to back until the digest arrives.
func orgRows(ctx context.Context, o orgSetup, dir string) ([]row, error) {
	progress("organization: %d member accounts, POLL_QPS=%g, DIGEST=batch (floor %s)", o.Members, o.QPS, seconds(o.floor()))
	sim := sassim.New(sassim.Options{Steps: 1, Latency: o.Latency, MaxQPS: o.QPS})
	members := make([]int64, o.Members)
	for i := range members {
		members[i] = int64(1_000_000_000 + i)
	}
	sim.SetMembers(sassim.Members{Accounts: members, Refused: members[len(members)-1:]})
	srv := httptest.NewServer(sim)
	defer srv.Close()
	client, err := exports.New(exports.Config{Endpoint: srv.URL, Credentials: demoCredentials})
	if err != nil {
		return nil, err
	}
	defer client.Close()
	store, err := state.Open(ctx, "file://"+dir+"/org", state.Options{})
	if err != nil {
		return nil, err
	}
	cfg := cycleConfig(nil, cappedConcurrency, o.QPS)
	cfg.Digest = true
	sink := &digestSink{}
	cycle := &handler.Cycle{Config: cfg, Checker: client, Starter: client, Store: store, Sinks: []notify.Notifier{sink},
		Log: slog.New(slog.NewJSONHandler(io.Discard, nil))}
	began := time.Now()
	opts := handler.Options{Starts: []event.StartSpec{{Kind: event.Asset, ExportType: "assetInstance", Accounts: event.AllAccounts}},
		Trigger: "bench@" + began.UTC().Format(time.RFC3339)}
	cycles := 0
	for sink.count() == 0 && time.Since(began) < 10*o.floor()+time.Minute {
		runCtx, cancel := context.WithTimeout(ctx, 4*o.floor()+time.Minute)
		_, err := cycle.Run(runCtx, opts)
		cancel()
		if err != nil {
			return nil, fmt.Errorf("organization cycle: %w", err)
		}
		cycles++
		opts = handler.Options{}
	}
	return sink.rows(o, began, cycles, len(sim.Calls()), sim.Throttled(), cycle, ctx)
}

func (s *digestSink) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.digests
}

// rows runs one more cycle, which must send no second digest, and reports.
func (s *digestSink) rows(o orgSetup, began time.Time, cycles, calls, throttled int, cycle *handler.Cycle, ctx context.Context) ([]row, error) {
	if s.count() == 0 {
		return nil, fmt.Errorf("organization: no digest after %d cycles", cycles)
	}
	runCtx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	if _, err := cycle.Run(runCtx, handler.Options{}); err != nil {
		return nil, err
	}
	s.mu.Lock()
	elapsed, digests := s.first.Sub(began), s.digests
	s.mu.Unlock()
	floor := o.floor()
	return []row{
		{Figure: fmt.Sprintf("organization, %d member accounts, POLL_QPS=%g: trigger to digest", o.Members, o.QPS),
			Measured: seconds(elapsed), Ideal: seconds(floor) + fmt.Sprintf(" (%d calls at QPS)", o.floorCalls()),
			Ratio: fmt.Sprintf("%.2f", ratio(elapsed, floor)), Goal: fmt.Sprintf("≤ %.2f× floor", goalOrgRatio), Met: met(ratio(elapsed, floor) <= goalOrgRatio),
			Notes: fmt.Sprintf("%s latency; %d cycles, %d calls, %d throttled; one member refused", o.Latency, cycles, calls, throttled)},
		{Figure: "organization: digests delivered", Measured: fmt.Sprint(digests), Goal: "exactly 1", Met: met(digests == 1),
			Notes: "one more cycle after the digest sends none"},
	}, nil
}
