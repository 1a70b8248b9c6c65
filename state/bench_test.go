package state

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/export-notifier/export-notifier/event"
)

// bigSnapshot watches n exports, most of them still exporting and one in
// ten finished with a completed event for two sinks.
func bigSnapshot(n int) *Snapshot {
	s := NewSnapshot()
	for i := range n {
		ref := event.Ref{Kind: event.Kinds()[i%5], ID: int64(100000 + i)}
		e := s.Watch(ref, t0)
		e.Observe(event.Status{State: event.Exporting, Progress: i % 100, CurrentCount: int64(i), TotalCount: 50000,
			FileName: fmt.Sprintf("export-%d.zip", i), RequestID: "7E3F9A2C-4B1D-4E6F-8A0B-1C2D3E4F5A6B"}, t0.Add(time.Minute))
		if i%10 == 0 {
			e.Finish(t0.Add(time.Hour))
			s.AddEvent(ref, completed(ref, t0.Add(time.Hour)), []string{"slack", "webhook"})
		}
	}
	for _, d := range s.Due([]string{"slack", "webhook"}, t0) {
		s.Settle("bench", d, nil, t0.Add(time.Hour))
	}
	return s
}

// BenchmarkCommit10000Exports measures one commit of a state watching
// 10,000 exports to the file store: encoding, the fsynced write, the link,
// and the check and pruning that follow.
func BenchmarkCommit10000Exports(b *testing.B) {
	ctx := context.Background()
	st, err := Open(ctx, "file://"+b.TempDir(), Options{})
	if err != nil {
		b.Fatal(err)
	}
	s := bigSnapshot(10000)
	data, err := Encode(s)
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if err := st.Commit(ctx, s); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(data)), "bytes/snapshot")
}

// BenchmarkLoad10000Exports measures a cold Load of a state watching
// 10,000 exports: finding and decoding the newest checkpoint.
func BenchmarkLoad10000Exports(b *testing.B) {
	url := committedState(b, 10000)
	for b.Loop() {
		st, err := Open(b.Context(), url, Options{})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := st.Load(b.Context()); err != nil {
			b.Fatal(err)
		}
	}
}

// committedState commits bigSnapshot(n) to a new file store and returns
// its URL.
func committedState(b *testing.B, n int) string {
	url := "file://" + b.TempDir()
	st, err := Open(b.Context(), url, Options{})
	if err != nil {
		b.Fatal(err)
	}
	if err := st.Commit(b.Context(), bigSnapshot(n)); err != nil {
		b.Fatal(err)
	}
	return url
}

// BenchmarkEncode10000Exports measures encoding a state watching 10,000
// exports; its allocations make up much of a cycle's peak memory.
func BenchmarkEncode10000Exports(b *testing.B) {
	s := bigSnapshot(10000)
	var size int
	for b.Loop() {
		data, err := Encode(s)
		if err != nil {
			b.Fatal(err)
		}
		size = len(data)
	}
	b.ReportMetric(float64(size), "bytes/snapshot")
}

// BenchmarkDecode10000Exports measures decoding a state watching 10,000
// exports; its allocations make up much of a cycle's peak memory.
func BenchmarkDecode10000Exports(b *testing.B) {
	data, err := Encode(bigSnapshot(10000))
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := Decode(data); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(data)), "bytes/snapshot")
}

// BenchmarkWarmLoad10000Exports measures a Load with nothing new by a
// store that read the state before: one listing and a copy of the state.
func BenchmarkWarmLoad10000Exports(b *testing.B) {
	st, err := Open(b.Context(), committedState(b, 10000), Options{})
	if err != nil {
		b.Fatal(err)
	}
	if _, err := st.Load(b.Context()); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := st.Load(b.Context()); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkShare10000Exports measures the snapshot a warm Load
// hands out.
func BenchmarkShare10000Exports(b *testing.B) {
	s := bigSnapshot(10000)
	for b.Loop() {
		s.share()
	}
}

// BenchmarkCommitOneChangeOf50000Exports measures a commit that watches
// one new export in a state of 50,000 to the file store: the record, its
// fsynced write and link, and the listings around it.
func BenchmarkCommitOneChangeOf50000Exports(b *testing.B) {
	ctx := context.Background()
	st, err := Open(ctx, "file://"+b.TempDir(), Options{CheckpointEvery: 1 << 30})
	if err != nil {
		b.Fatal(err)
	}
	if err := st.Commit(ctx, bigSnapshot(50000)); err != nil {
		b.Fatal(err)
	}
	s, err := st.Load(ctx)
	if err != nil {
		b.Fatal(err)
	}
	id := int64(0)
	for b.Loop() {
		id++
		s.Watch(event.Ref{Kind: event.Vul, ID: 900000 + id}, t0)
		if err := st.Commit(ctx, s); err != nil {
			b.Fatal(err)
		}
	}
}
