package backoff_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/export-notifier/export-notifier/internal/backoff"
)

func TestDelayStaysWithinItsBound(t *testing.T) {
	p := backoff.Policy{Base: 10 * time.Millisecond, Max: 40 * time.Millisecond, MaxServerWait: time.Second}
	tests := []struct {
		name       string
		attempt    int
		serverWait time.Duration
		lo, hi     time.Duration
	}{
		{name: "first failure", attempt: 1, lo: 1, hi: 10 * time.Millisecond},
		{name: "second failure doubles the bound", attempt: 2, lo: 1, hi: 20 * time.Millisecond},
		{name: "the bound stops at Max", attempt: 30, lo: 1, hi: 40 * time.Millisecond},
		{name: "a huge attempt number does not overflow", attempt: 200, lo: 1, hi: 40 * time.Millisecond},
		{name: "the server's wait is a floor", attempt: 1, serverWait: 500 * time.Millisecond, lo: 500 * time.Millisecond, hi: 500 * time.Millisecond},
		{name: "the server's wait is cut to MaxServerWait", attempt: 1, serverWait: time.Hour, lo: time.Second, hi: time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for range 200 {
				if d := p.Delay(tt.attempt, tt.serverWait); d < tt.lo || d > tt.hi {
					t.Fatalf("Delay(%d, %v) = %v, want within [%v, %v]", tt.attempt, tt.serverWait, d, tt.lo, tt.hi)
				}
			}
		})
	}
}

func TestDelayKeepsALongServerWaitWhenUncapped(t *testing.T) {
	p := backoff.Policy{Base: time.Millisecond, Max: time.Millisecond}
	if d := p.Delay(1, time.Minute); d != time.Minute {
		t.Fatalf("Delay = %v, want the server's minute", d)
	}
}

var errBusy = errors.New("busy")

func TestDoStopsAsSoonAsItMust(t *testing.T) {
	fast := backoff.Policy{MaxAttempts: 4, Base: time.Microsecond, Max: time.Microsecond}
	tests := []struct {
		name         string
		policy       backoff.Policy
		deadline     time.Duration // 0: none
		failures     int           // failed attempts before success
		verdict      backoff.Verdict
		wantAttempts int
		wantErr      bool
	}{
		{name: "success at once", policy: fast, failures: 0, verdict: backoff.Verdict{Retry: true}, wantAttempts: 1},
		{name: "success after retries", policy: fast, failures: 2, verdict: backoff.Verdict{Retry: true}, wantAttempts: 3},
		{name: "MaxAttempts reached", policy: fast, failures: 9, verdict: backoff.Verdict{Retry: true}, wantAttempts: 4, wantErr: true},
		{name: "permanent failure", policy: fast, failures: 9, verdict: backoff.Verdict{}, wantAttempts: 1, wantErr: true},
		{name: "zero policy tries once", failures: 9, verdict: backoff.Verdict{Retry: true}, wantAttempts: 1, wantErr: true},
		{name: "a server wait past the deadline is not slept", policy: fast, deadline: time.Second, failures: 9,
			verdict: backoff.Verdict{Retry: true, ServerWait: time.Hour}, wantAttempts: 1, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			if tt.deadline > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, tt.deadline)
				defer cancel()
			}
			began := time.Now()
			attempts, err := tt.policy.Do(ctx, "call failed", nil, func(attempt int) (backoff.Verdict, error) {
				if attempt <= tt.failures {
					return tt.verdict, errBusy
				}
				return backoff.Verdict{}, nil
			})
			if attempts != tt.wantAttempts || (err != nil) != tt.wantErr {
				t.Fatalf("Do = %d, %v; want %d attempts, error %v", attempts, err, tt.wantAttempts, tt.wantErr)
			}
			if tt.wantErr && !errors.Is(err, errBusy) {
				t.Fatalf("Do's error = %v, want op's last error", err)
			}
			if took := time.Since(began); took > 500*time.Millisecond {
				t.Fatalf("Do took %v, want no long sleep", took)
			}
		})
	}
}

func TestDoReturnsWhenTheContextEndsDuringAWait(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	p := backoff.Policy{MaxAttempts: 3, Base: time.Hour, Max: time.Hour}
	time.AfterFunc(20*time.Millisecond, cancel)
	attempts, err := p.Do(ctx, "call failed", nil, func(int) (backoff.Verdict, error) {
		return backoff.Verdict{Retry: true}, errBusy
	})
	if attempts != 1 || !errors.Is(err, errBusy) {
		t.Fatalf("Do = %d, %v; want 1 attempt and op's error", attempts, err)
	}
}

func TestDoLogsEachFailedAttemptOnce(t *testing.T) {
	var buf bytes.Buffer
	p := backoff.Policy{MaxAttempts: 2, Base: time.Microsecond, Max: time.Microsecond,
		Logger: slog.New(slog.NewTextHandler(&buf, nil))}
	_, _ = p.Do(context.Background(), "Security Center call failed", func() []slog.Attr { return []slog.Attr{slog.String("api", "DescribeExportInfo")} },
		func(int) (backoff.Verdict, error) { return backoff.Verdict{Retry: true}, errBusy })
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("logged %d lines, want one per failed attempt:\n%s", len(lines), buf.String())
	}
	for i, want := range []string{"attempt=1", "attempt=2"} {
		for _, part := range []string{"level=WARN", `msg="Security Center call failed"`, "api=DescribeExportInfo", want, "wait=", "error=busy"} {
			if !strings.Contains(lines[i], part) {
				t.Errorf("line %d = %q, want %q in it", i+1, lines[i], part)
			}
		}
	}
	if !strings.Contains(lines[1], "wait=0s") {
		t.Errorf("last line = %q, want wait=0s: no retry follows", lines[1])
	}
}
