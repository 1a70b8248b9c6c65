package handler

import (
	"context"
	"sync"
	"time"

	"github.com/export-notifier/export-notifier/event"
	"github.com/export-notifier/export-notifier/state"
)

// Archiver copies a completed export's file into the team's own store
// (package archive). It returns where the copy is kept and a link to it;
// refresh asks Security Center again, for a fresh link.
type Archiver interface {
	Export(ctx context.Context, st event.Status, day time.Time, refresh func(context.Context) (event.Status, error)) (event.Archive, string, error)
}

// archivePendingCode is the export's last error while its completion
// waits for its file to be archived.
const archivePendingCode = "ArchivePending"

// archiveWorkers bounds the copies under way at once: each holds a part
// in memory and shares the function's bandwidth.
const archiveWorkers = 2

// archive copies the files of the exports this cycle saw complete, before
// their completion is decided and announced, until archiveBy. A copy cut
// short by that deadline leaves the completion for the next cycle, which
// copies again (the key is the same, and a finished copy counts as done);
// a copy that failed otherwise is announced now, with its reason and
// Security Center's own link.
func (r *run) archive(ctx context.Context, snap *state.Snapshot, polls []poll) {
	if r.c.Archiver == nil {
		return
	}
	ctx, cancel := context.WithDeadline(ctx, r.archiveBy())
	defer cancel()
	sem := make(chan struct{}, archiveWorkers)
	var wg sync.WaitGroup
	for i := range polls {
		p := &polls[i]
		ex := snap.Exports[p.ref.String()]
		if p.skipped || p.err != nil || p.status.State != event.Success || ex != nil && !ex.Finished.IsZero() {
			continue
		}
		day := r.c.now()
		if ex != nil && !ex.FirstSeen.IsZero() {
			day = ex.FirstSeen // the same key on every attempt
		}
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			r.archiveOne(ctx, p, day)
		})
	}
	wg.Wait()
}

func (r *run) archiveOne(ctx context.Context, p *poll, day time.Time) {
	refresh := func(ctx context.Context) (event.Status, error) { return safeGet(ctx, r.c.Checker, p.ref) }
	arch, link, err := r.c.Archiver.Export(ctx, p.status, day, refresh)
	switch {
	case err == nil:
		p.archived, p.status.Link = &arch, link
		r.log.Info("export archived", "export", p.ref.String(), "archive", arch.URL, "size", arch.Size, "crc64", arch.CRC64, "linkExpires", arch.LinkExpires)
	case ctx.Err() != nil:
		p.archivePending = true
		r.log.Warn("export archive not finished in time; its completion is announced next cycle", "export", p.ref.String(), "error", err.Error())
	default:
		p.archived = &event.Archive{Error: err.Error()}
		r.log.Warn("export archive failed; announcing it with Security Center's link", "export", p.ref.String(), "error", err.Error())
	}
}

// archiveBy ends archiving halfway between the end of polling (or now,
// when following has gone past it) and the end of sending, leaving
// sending its share.
func (r *run) archiveBy() time.Time {
	from := r.pollBy
	if now := r.c.now(); now.After(from) {
		from = now
	}
	return from.Add(r.stopBy.Sub(from) / 2)
}

// withLiveLink is st without its link when the link has already expired
// (its Expires is past): a dead Download button helps no one.
func withLiveLink(st event.Status, now time.Time) event.Status {
	if exp, ok := event.LinkExpires(st.Link); ok && !now.Before(exp) {
		st.Link = ""
	}
	return st
}
