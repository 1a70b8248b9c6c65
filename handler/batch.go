package handler

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"golang.org/x/time/rate"

	"github.com/export-notifier/export-notifier/event"
)

// MemberLister lists the resource directory member accounts the caller
// manages in Security Center (*exports.Client is one). A Starter that is
// one can start an item for "all" member accounts.
type MemberLister interface {
	Members(ctx context.Context) ([]int64, error)
}

// planStarts turns the start items into the exports to start: one per
// item, or one per member account of an item that names accounts, which
// form the item's batch. The members of an item for "all" are listed
// now, unless an earlier run of the invocation recorded the batch: its
// members are then the recorded ones. An item whose members cannot be
// listed starts nothing; its result says why.
func (c *Cycle) planStarts(ctx context.Context, items []event.StartSpec, invocation string, limiter *rate.Limiter) ([]plannedStart, []StartResult, error) {
	var recorded map[string][]int64
	var plans []plannedStart
	var unplanned []StartResult
	for i, item := range items {
		key := fmt.Sprintf("%s|%d|%s", invocation, i, item.Key())
		if item.Accounts == "" {
			plans = append(plans, plannedStart{spec: item, key: key})
			continue
		}
		if recorded == nil {
			var err error
			if recorded, err = c.recordedBatches(ctx); err != nil {
				return nil, nil, err
			}
		}
		accounts, err := c.batchAccounts(ctx, item, recorded[key], limiter)
		if err != nil {
			unplanned = append(unplanned, StartResult{Spec: item.String(), Outcome: "failed", Error: err.Error()})
			continue
		}
		for _, account := range accounts {
			spec := item
			spec.Accounts, spec.Account = "", account
			plans = append(plans, plannedStart{spec: spec, key: key + "|" + strconv.FormatInt(account, 10), batch: key})
		}
	}
	return plans, unplanned, nil
}

// recordedBatches returns the member accounts of each batch the state
// records, by batch key.
func (c *Cycle) recordedBatches(ctx context.Context) (map[string][]int64, error) {
	snap, err := c.Store.Load(ctx)
	if err != nil {
		return nil, fmt.Errorf("load state from %s: %w", c.Store.Location(), err)
	}
	out := map[string][]int64{}
	for _, b := range snap.Batches() {
		for _, r := range b.Starts {
			out[b.Key] = append(out[b.Key], r.Spec.Account)
		}
	}
	return out, nil
}

// batchAccounts returns the member accounts item starts an export for:
// those recorded for its batch, else those it lists, else (for "all")
// the members Security Center lists now.
func (c *Cycle) batchAccounts(ctx context.Context, item event.StartSpec, recorded []int64, limiter *rate.Limiter) ([]int64, error) {
	if len(recorded) > 0 {
		return recorded, nil
	}
	if !item.Accounts.All() {
		return item.Accounts.IDs()
	}
	lister, ok := c.Starter.(MemberLister)
	if !ok {
		return nil, errors.New("this cycle cannot list member accounts")
	}
	if err := limiter.Wait(ctx); err != nil {
		return nil, fmt.Errorf("list member accounts: %w", err)
	}
	members, err := lister.Members(ctx)
	switch {
	case err != nil:
		return nil, fmt.Errorf("list member accounts: %w", err)
	case len(members) == 0:
		return nil, errors.New("no member accounts: DescribeMonitorAccounts lists none (is this the management or delegated administrator account of multi-account management?)")
	case len(members) > event.MaxAccounts:
		return nil, fmt.Errorf("%d member accounts, at most %d in one item: list them in several items", len(members), event.MaxAccounts)
	}
	return members, nil
}

// Start starts specs as a payload's start items would, outside a cycle
// (the command line's start --accounts): each once, member accounts
// expanded, recorded in the state so that the next cycle watches them. It
// neither polls nor sends. Calls end at startBy.
func (c *Cycle) Start(ctx context.Context, specs []event.StartSpec, startBy time.Time) ([]StartResult, error) {
	id := newCycleID(c.now())
	return c.startExports(ctx, Options{Starts: specs}, id, startBy, c.logger().With("cycle", id))
}
