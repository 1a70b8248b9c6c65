package scrub

import (
	"bytes"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
)

func TestLiveScrubsValuesLearntAfterTheLoggerWasBuilt(t *testing.T) {
	var live Live
	var buf bytes.Buffer
	logger := slog.New(live.Handler(slog.NewTextHandler(&buf, nil)))

	logger.Info("before: " + stsToken)
	live.Add(akSecret)
	live.Add(stsToken, "tiny")
	logger.Info("after: "+stsToken, "key", akSecret)

	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("want two lines, got %q", buf.String())
	}
	if !strings.Contains(lines[0], stsToken) {
		t.Fatalf("a value not yet known was scrubbed: %q", lines[0])
	}
	if want := `msg="after: [redacted]" key=[redacted]`; !strings.Contains(lines[1], want) {
		t.Fatalf("line %q, want it to hold %q", lines[1], want)
	}
	if live.Secrets().Len() != 2 {
		t.Fatalf("Len = %d, want 2 (the short value dropped)", live.Secrets().Len())
	}
}

func TestLiveConcurrentAdds(t *testing.T) {
	var live Live
	var wg sync.WaitGroup
	for i := range 16 {
		wg.Go(func() {
			live.Add(fmt.Sprintf("secret-number-%02d", i))
			_ = live.Secrets().String("secret-number-00")
		})
	}
	wg.Wait()
	if got := live.Secrets().Len(); got != 16 {
		t.Fatalf("Len = %d after 16 concurrent adds, want 16", got)
	}
}

func TestNilLiveScrubsNothing(t *testing.T) {
	var live *Live
	var buf bytes.Buffer
	slog.New(live.Handler(slog.NewTextHandler(&buf, nil))).Info(akSecret)
	if !strings.Contains(buf.String(), "msg="+akSecret) || live.Secrets().Len() != 0 {
		t.Fatalf("a nil Live changed the line: %q", buf.String())
	}
}

func TestLiveAddingKnownValuesKeepsTheSet(t *testing.T) {
	var live Live
	live.Add(akSecret, stsToken)
	before := live.Secrets()
	live.Add(stsToken, "tiny", akSecret)
	if live.Secrets() != before {
		t.Fatal("adding values the set holds built a new set")
	}
	live.Add("a-new-secret")
	if live.Secrets() == before || live.Secrets().Len() != 3 {
		t.Fatalf("adding a new value: Len %d, want a new set of 3", live.Secrets().Len())
	}
}
