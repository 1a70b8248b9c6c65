package state

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/export-notifier/export-notifier/event"
)

// The tests re-execute their own binary to run cycles as separate
// processes; helperEnv selects what such a process does.
const helperEnv = "STATE_TEST_HELPER"

func TestMain(m *testing.M) {
	if mode := os.Getenv(helperEnv); mode != "" {
		os.Exit(runHelper(mode))
	}
	os.Exit(m.Run())
}

// sharedEvent is the event every helper process competes to claim.
var sharedRef = event.Ref{Kind: event.Asset, ID: 42}

func runHelper(mode string) int {
	ctx := context.Background()
	dir := os.Getenv("STATE_TEST_DIR")
	name := os.Getenv("STATE_TEST_NAME")
	st, err := Open(ctx, "file://"+dir, Options{})
	if err != nil {
		fmt.Println("error", err)
		return 1
	}
	switch mode {
	case "commit":
		// Wait for the common start so the processes really overlap.
		start, _ := strconv.ParseInt(os.Getenv("STATE_TEST_START"), 10, 64)
		time.Sleep(time.Until(time.Unix(0, start)))
		id, _ := strconv.ParseInt(os.Getenv("STATE_TEST_ID"), 10, 64)
		n, _ := strconv.Atoi(os.Getenv("STATE_TEST_N"))
		claimed := claimAndAdd(ctx, st, name, id, n, func(line string) { fmt.Println(line) })
		fmt.Println("claimed", claimed)
	case "claim-and-die":
		var claimed bool
		_, err := Update(ctx, st, func(s *Snapshot) error {
			claimed = false
			for _, d := range s.Due([]string{"webhook"}, time.Now()) {
				claimed = s.Claim(name, d, time.Now(), time.Hour) || claimed
			}
			return nil
		})
		if err != nil || !claimed {
			fmt.Println("error", err, claimed)
			return 1
		}
		fmt.Println("claimed")
		// The cycle would now send; it is killed before it can.
		time.Sleep(time.Minute)
	default:
		fmt.Println("unknown helper mode", mode)
		return 1
	}
	return 0
}

// claimAndAdd runs n commits that each watch one new export, then tries
// to claim the shared event; it reports each outcome and whether this
// cycle holds the claim.
func claimAndAdd(ctx context.Context, st Store, cycle string, id int64, n int, report func(string)) bool {
	for i := range n {
		ref := event.Ref{Kind: event.Vul, ID: id*1000 + int64(i) + 1}
		_, err := Update(ctx, st, func(s *Snapshot) error {
			s.Watch(ref, time.Now())
			return nil
		})
		switch {
		case err == nil:
			report("added " + ref.String())
		case errors.Is(err, ErrConflict):
			report("conflict " + ref.String())
		default:
			report("error " + err.Error())
		}
	}
	var claimed bool
	_, err := Update(ctx, st, func(s *Snapshot) error {
		claimed = false
		for _, d := range s.Due([]string{"webhook"}, time.Now()) {
			claimed = s.Claim(cycle, d, time.Now(), time.Hour) || claimed
		}
		return nil
	})
	switch {
	case err == nil:
		report("claim landed")
	case errors.Is(err, ErrConflict):
		// Under heavy load a cycle may give up; it then claimed nothing.
		report("conflict claim")
		return false
	default:
		report("error claim: " + err.Error())
		return false
	}
	return claimed
}

func seedSharedEvent(t *testing.T, st Store) {
	t.Helper()
	_, err := Update(context.Background(), st, func(s *Snapshot) error {
		s.AddEvent(sharedRef, completed(sharedRef, time.Now()), []string{"webhook"})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func openFile(t *testing.T, dir string) Store {
	t.Helper()
	st, err := Open(context.Background(), "file://"+dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// checkOutcome verifies that every reported addition is in the newest
// snapshot, nothing else was added, and, if any claim commit landed
// (landed counts them), exactly the one cycle that says it holds the claim
// does.
func checkOutcome(t *testing.T, st Store, added []string, claimers []string, landed int) {
	t.Helper()
	s, err := st.Load(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for k := range s.Exports {
		if k != sharedRef.String() {
			got = append(got, k)
		}
	}
	slices.Sort(got)
	slices.Sort(added)
	if !slices.Equal(got, added) {
		t.Errorf("the state holds %d exports, the committers report %d added: lost or phantom updates\nstate: %v\nreported: %v", len(got), len(added), got, added)
	}
	d := s.Export(sharedRef).Event("completed").Delivery("webhook")
	switch {
	case landed > 0 && len(claimers) != 1:
		t.Fatalf("%d cycles hold the claim (%v), want exactly one", len(claimers), claimers)
	case landed == 0 && (len(claimers) != 0 || d.ClaimedBy != ""):
		t.Fatalf("no claim commit landed, yet %v claim and the state says %q", claimers, d.ClaimedBy)
	case landed > 0 && d.ClaimedBy != claimers[0]:
		t.Fatalf("the state says %q holds the claim, the cycles say %q", d.ClaimedBy, claimers[0])
	}
}

func TestConcurrentGoroutines(t *testing.T) {
	for _, backend := range []string{"file", "memory"} {
		t.Run(backend, func(t *testing.T) {
			var st Store
			if backend == "file" {
				st = openFile(t, t.TempDir())
			} else {
				st = NewMemory()
			}
			seedSharedEvent(t, st)
			const workers, commits = 8, 15
			var (
				mu       sync.Mutex
				added    []string
				claimers []string
				landed   int
				wg       sync.WaitGroup
			)
			for w := range workers {
				wg.Go(func() {
					cycle := fmt.Sprintf("goroutine-%d", w)
					claimed := claimAndAdd(context.Background(), st, cycle, int64(w+1), commits, func(line string) {
						if strings.HasPrefix(line, "error") {
							t.Error(line)
						}
						mu.Lock()
						defer mu.Unlock()
						if ref, ok := strings.CutPrefix(line, "added "); ok {
							added = append(added, ref)
						}
						if line == "claim landed" {
							landed++
						}
					})
					if claimed {
						mu.Lock()
						claimers = append(claimers, cycle)
						mu.Unlock()
					}
				})
			}
			wg.Wait()
			checkOutcome(t, st, added, claimers, landed)
		})
	}
}

func TestConcurrentProcesses(t *testing.T) {
	if testing.Short() {
		t.Skip("starts processes")
	}
	dir := t.TempDir()
	st := openFile(t, dir)
	seedSharedEvent(t, st)
	out := runCommitters(t, dir, 4, 15)
	checkOutcome(t, st, out.added, out.claimers, out.landed)
}

// committed is what the processes runCommitters started report.
type committed struct {
	added, claimers   []string
	landed, conflicts int
}

// runCommitters runs procs processes that each make commits commits to
// the state in dir (see claimAndAdd), all starting at once, and collects
// what they report.
func runCommitters(t *testing.T, dir string, procs, commits int) committed {
	t.Helper()
	start := time.Now().Add(500 * time.Millisecond).UnixNano()
	var cmds []*exec.Cmd
	var outs []*bytes.Buffer
	for p := range procs {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), helperEnv+"=commit", "STATE_TEST_DIR="+dir,
			fmt.Sprintf("STATE_TEST_NAME=process-%d", p), fmt.Sprintf("STATE_TEST_ID=%d", p+1),
			fmt.Sprintf("STATE_TEST_N=%d", commits), fmt.Sprintf("STATE_TEST_START=%d", start))
		out := &bytes.Buffer{}
		cmd.Stdout, cmd.Stderr = out, out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		cmds = append(cmds, cmd)
		outs = append(outs, out)
	}
	var c committed
	for p, cmd := range cmds {
		if err := cmd.Wait(); err != nil {
			t.Fatalf("process %d: %v\n%s", p, err, outs[p])
		}
		sc := bufio.NewScanner(outs[p])
		for sc.Scan() {
			line := sc.Text()
			switch {
			case strings.HasPrefix(line, "added "):
				c.added = append(c.added, strings.TrimPrefix(line, "added "))
			case strings.HasPrefix(line, "conflict "):
				c.conflicts++
			case line == "claimed true":
				c.claimers = append(c.claimers, fmt.Sprintf("process-%d", p))
			case line == "claim landed":
				c.landed++
			case strings.HasPrefix(line, "error"):
				t.Errorf("process %d: %s", p, line)
			}
		}
	}
	return c
}

func TestKilledCycleIsTakenOverAfterLease(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a process")
	}
	ctx := context.Background()
	dir := t.TempDir()
	st := openFile(t, dir)
	seedSharedEvent(t, st)

	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), helperEnv+"=claim-and-die", "STATE_TEST_DIR="+dir, "STATE_TEST_NAME=doomed")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line, _ := bufio.NewReader(stdout).ReadString('\n')
	if line != "claimed\n" {
		cmd.Process.Kill()
		t.Fatalf("helper said %q", line)
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()

	// sent counts what a receiver got, by event ID.
	sent := map[string]int{}
	cycle := func(name string, now time.Time) {
		var claimed []Due
		_, err := Update(ctx, st, func(s *Snapshot) error {
			claimed = nil
			for _, d := range s.Due([]string{"webhook"}, now) {
				if s.Claim(name, d, now, time.Hour) {
					claimed = append(claimed, d)
				}
			}
			if len(claimed) == 0 {
				return ErrNoChange
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range claimed {
			sent[d.Event.ID]++
		}
		if len(claimed) == 0 {
			return
		}
		if _, err := Update(ctx, st, func(s *Snapshot) error {
			for _, d := range claimed {
				s.Settle(name, d, nil, now)
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	}

	now := time.Now()
	cycle("while-held", now.Add(30*time.Minute))
	if len(sent) != 0 {
		t.Fatalf("sent under the dead cycle's live claim: %v", sent)
	}
	cycle("after-lease", now.Add(61*time.Minute))
	cycle("later", now.Add(3*time.Hour))
	want := map[string]int{event.NewID(sharedRef, "completed"): 1}
	if len(sent) != 1 || sent[event.NewID(sharedRef, "completed")] != 1 {
		t.Fatalf("sent %v, want %v", sent, want)
	}
	s, err := st.Load(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if d := s.Export(sharedRef).Event("completed").Delivery("webhook"); !d.Delivered() || d.Attempts != 1 {
		t.Fatalf("delivery record %+v", d)
	}
}

func TestCommitConflictsAndLoad(t *testing.T) {
	for _, backend := range []string{"file", "memory"} {
		t.Run(backend, func(t *testing.T) {
			ctx := context.Background()
			var st Store
			if backend == "file" {
				st = openFile(t, filepath.Join(t.TempDir(), "not", "yet"))
			} else {
				st = NewMemory()
			}
			s, err := st.Load(ctx)
			if err != nil || s.Version != 0 || len(s.Exports) != 0 {
				t.Fatalf("Load of an empty store = %+v, %v", s, err)
			}
			ref := event.Ref{Kind: event.HC, ID: 9}
			s.Watch(ref, t0)
			if err := st.Commit(ctx, s); err != nil || s.Version != 1 {
				t.Fatalf("first commit: version %d, %v", s.Version, err)
			}

			a, _ := st.Load(ctx)
			b, _ := st.Load(ctx)
			a.Watch(event.Ref{Kind: event.HC, ID: 10}, t0)
			b.Watch(event.Ref{Kind: event.HC, ID: 11}, t0)
			if err := st.Commit(ctx, a); err != nil {
				t.Fatal(err)
			}
			if err := st.Commit(ctx, b); !errors.Is(err, ErrConflict) || b.Version != 1 {
				t.Fatalf("stale commit: %v (version %d), want ErrConflict", err, b.Version)
			}
			if err := st.Commit(ctx, NewSnapshot()); !errors.Is(err, ErrConflict) {
				t.Fatalf("commit of a fresh snapshot over existing ones: %v", err)
			}
			got, err := st.Load(ctx)
			if err != nil || got.Version != 2 || got.Export(event.Ref{Kind: event.HC, ID: 10}) == nil || got.Export(event.Ref{Kind: event.HC, ID: 11}) != nil {
				t.Fatalf("Load = version %d %v, %v", got.Version, sortedKeys(got.Exports), err)
			}
		})
	}
}

func TestOldVersionsArePruned(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	st, err := Open(ctx, "file://"+dir, Options{Keep: 3})
	if err != nil {
		t.Fatal(err)
	}
	// A temporary file a crashed commit left long ago, and a fresh one a
	// commit in progress is writing.
	stale := filepath.Join(dir, ".snapshot-1.tmp")
	fresh := filepath.Join(dir, ".snapshot-2.tmp")
	for _, p := range []string{stale, fresh} {
		if err := os.WriteFile(p, []byte("{"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	old := time.Now().Add(-2 * time.Hour)
	os.Chtimes(stale, old, old)
	for i := range 10 {
		if _, err := Update(ctx, st, func(s *Snapshot) error {
			s.Watch(event.Ref{Kind: event.Asset, ID: int64(i + 1)}, t0)
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if names[0] != ".snapshot-2.tmp" {
		t.Fatalf("directory holds %v, want the fresh temporary file kept and the stale one deleted", names)
	}
	checkPruned(t, names[1:], 3, 10)
	s, err := st.Load(ctx)
	if err != nil || len(s.Exports) != 10 {
		t.Fatalf("newest snapshot: %v, %v", s, err)
	}
}

func TestDamagedSnapshotIsReportedAndKept(t *testing.T) {
	good := NewSnapshot()
	good.Version = 2
	good.Watch(event.Ref{Kind: event.Asset, ID: 7}, t0)
	goodData, err := Encode(good)
	if err != nil {
		t.Fatal(err)
	}
	future := bytes.Replace(goodData, []byte(fmt.Sprintf(`"schema":%d`, CurrentSchema)), []byte(fmt.Sprintf(`"schema":%d`, CurrentSchema+1)), 1)
	misnamed := bytes.Replace(goodData, []byte(`"version":2`), []byte(`"version":1`), 1)
	tests := []struct {
		name   string
		data   []byte
		reason string
	}{
		{"truncated", goodData[:len(goodData)/2], "truncated"},
		{"empty", nil, "empty"},
		{"not JSON", []byte("\x00\x01garbage"), "not JSON"},
		{"future schema", future, "newer export-notifier"},
		{"wrong version inside", misnamed, "holds version 1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			dir := t.TempDir()
			st := openFile(t, dir)
			s := NewSnapshot()
			s.Watch(event.Ref{Kind: event.Asset, ID: 6}, t0)
			if err := st.Commit(ctx, s); err != nil {
				t.Fatal(err)
			}
			damaged := filepath.Join(dir, checkpointName(2))
			if err := os.WriteFile(damaged, tt.data, 0o600); err != nil {
				t.Fatal(err)
			}
			before := listDir(t, dir)

			_, err := st.Load(ctx)
			var de *DamagedError
			if !errors.As(err, &de) {
				t.Fatalf("Load: %v, want a *DamagedError", err)
			}
			if de.Location != damaged || !strings.Contains(err.Error(), damaged) || !strings.Contains(err.Error(), tt.reason) || !strings.Contains(err.Error(), "move it aside") {
				t.Fatalf("error %q should name %s, say %q and how to recover", err, damaged, tt.reason)
			}
			// Neither a commit built on the older version nor Update writes.
			if err := st.Commit(ctx, s); !errors.Is(err, ErrConflict) {
				t.Fatalf("Commit over the damaged snapshot: %v", err)
			}
			if _, err := Update(ctx, st, func(*Snapshot) error { t.Fatal("Update ran fn over a damaged snapshot"); return nil }); !errors.As(err, &de) {
				t.Fatalf("Update: %v, want the *DamagedError", err)
			}
			if after := listDir(t, dir); !slices.Equal(before, after) {
				t.Fatalf("the directory changed:\n%v\n%v", before, after)
			}
			if data, _ := os.ReadFile(damaged); !bytes.Equal(data, tt.data) {
				t.Fatal("the damaged snapshot was changed")
			}

			// Moved aside as the error says, the previous version is used.
			if err := os.Rename(damaged, damaged+".damaged"); err != nil {
				t.Fatal(err)
			}
			got, err := st.Load(ctx)
			if err != nil || got.Version != 1 || got.Export(event.Ref{Kind: event.Asset, ID: 6}) == nil {
				t.Fatalf("after moving it aside: %+v, %v", got, err)
			}
			if err := st.Commit(ctx, got); err != nil || got.Version != 2 {
				t.Fatalf("commit after moving it aside: %v", err)
			}
		})
	}
}

func listDir(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		info, _ := e.Info()
		out = append(out, fmt.Sprintf("%s %d", e.Name(), info.Size()))
	}
	return out
}

func TestOpenURLs(t *testing.T) {
	ctx := context.Background()
	cwd, _ := os.Getwd()
	tests := []struct {
		url, location, bad string
	}{
		{"file:///var/lib/export-notifier", "file:///var/lib/export-notifier", ""},
		{"file://localhost/srv/x", "file:///srv/x", ""},
		{"file://./.export-notifier", "file://" + filepath.Join(cwd, ".export-notifier"), ""},
		{"file://../up", "file://" + filepath.Join(filepath.Dir(cwd), "up"), ""},
		{"file:///with%20space", "file:///with space", ""},
		{"memory://", "memory://", ""},
		{"", "", "want file:///dir"},
		{"/var/lib/x", "", "want file:///dir"},
		{"file://", "", "no directory"},
		{"file://server/share", "", "names a local directory"},
		{"file:///x?mode=1", "", "no query"},
		{"s3://bucket/x", "", `unknown scheme "s3"`},
		{"memory://x", "", "nothing after"},
		{"oss://AKID:SECRET@bucket/x", "", "takes no credentials"},
		{"oss://B/x", "", "bucket name"},
	}
	for _, tt := range tests {
		t.Run(tt.url, func(t *testing.T) {
			st, err := Open(ctx, tt.url, Options{})
			if tt.bad != "" {
				if !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), tt.bad) {
					t.Fatalf("Open(%q) = %v, want ErrConfig saying %q", tt.url, err, tt.bad)
				}
				if strings.Contains(err.Error(), "SECRET") {
					t.Fatalf("the error shows the secret: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if st.Location() != tt.location {
				t.Fatalf("Location = %q, want %q", st.Location(), tt.location)
			}
		})
	}
}

func TestStaleWriteIntoPrunedSlot(t *testing.T) {
	for _, kind := range []string{"file", "memory"} {
		t.Run(kind, func(t *testing.T) {
			ctx := context.Background()
			var b backend
			if kind == "file" {
				b = &fileBackend{dir: t.TempDir()}
			} else {
				b = newMemoryBackend()
			}
			opts := Options{Keep: 3, CheckpointEvery: 1}
			other := newLogStore(b, opts)
			watch := func(id int64) func(*Snapshot) error {
				return func(s *Snapshot) error { s.Watch(event.Ref{Kind: event.Asset, ID: id}, t0); return nil }
			}
			if _, err := Update(ctx, other, watch(1)); err != nil {
				t.Fatal(err)
			}

			// Between the slow commit's listing and its write, five others
			// land and prune its version's slot.
			once := false
			slow := newLogStore(&raceBackend{backend: b, before: func() {
				if once {
					return
				}
				once = true
				for id := int64(10); id < 15; id++ {
					if _, err := Update(ctx, other, watch(id)); err != nil {
						t.Error(err)
					}
				}
			}}, opts)
			s, err := slow.Load(ctx)
			if err != nil {
				t.Fatal(err)
			}
			s.Watch(event.Ref{Kind: event.Asset, ID: 99}, t0)
			if err := slow.Commit(ctx, s); !errors.Is(err, ErrConflict) {
				t.Fatalf("a stale write into a pruned slot: %v, want ErrConflict", err)
			}
			newest, err := other.Load(ctx)
			if err != nil || newest.Version != 6 || len(newest.Exports) != 6 || newest.Export(event.Ref{Kind: event.Asset, ID: 99}) != nil {
				t.Fatalf("newest is version %d holding %v (%v)", newest.Version, sortedKeys(newest.Exports), err)
			}
			// The update lands on a retry.
			if _, err := Update(ctx, slow, watch(99)); err != nil {
				t.Fatal(err)
			}

			// A commit that others build on at once is still a success.
			built := false
			fast := newLogStore(&raceBackend{backend: b, after: func() {
				if built {
					return
				}
				built = true
				if _, err := Update(ctx, other, watch(200)); err != nil {
					t.Error(err)
				}
			}}, opts)
			got, err := Update(ctx, fast, watch(100))
			if err != nil || got.Version != 8 {
				t.Fatalf("a commit built upon at once: version %d, %v; want version 8 and success", got.Version, err)
			}
			newest, _ = other.Load(ctx)
			if newest.Version != 9 || newest.Export(event.Ref{Kind: event.Asset, ID: 100}) == nil || newest.Export(event.Ref{Kind: event.Asset, ID: 200}) == nil {
				t.Fatalf("newest is version %d holding %v", newest.Version, sortedKeys(newest.Exports))
			}
		})
	}
}

// checkPruned checks that names, a store's files or objects after
// newest commits, are the newest keep checkpoints and every record after
// the oldest of them, up to newest.
func checkPruned(t *testing.T, names []string, keep int, newest int64) {
	t.Helper()
	var checkpoints, records []int64
	for _, n := range names {
		v, record, ok := parseName(n)
		switch {
		case !ok:
			t.Errorf("unexpected name %s", n)
		case record:
			records = append(records, v)
		default:
			checkpoints = append(checkpoints, v)
		}
	}
	if len(checkpoints) != keep || checkpoints[keep-1] > newest {
		t.Fatalf("%v: want the newest %d checkpoints", names, keep)
	}
	var want []int64
	for v := checkpoints[0] + 1; v <= newest; v++ {
		want = append(want, v)
	}
	if !slices.Equal(records, want) {
		t.Fatalf("%v: want the records after the oldest checkpoint kept, %v", names, want)
	}
}
