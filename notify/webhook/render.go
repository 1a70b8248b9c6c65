package webhook

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"strings"
	"text/template"
	"time"

	"github.com/export-notifier/export-notifier/notify"
)

// Bounds on rendering WEBHOOK_TEMPLATE: the body's size, and how long
// trying it on the sample events at start and in a preview may take (a
// delivery is bounded by its attempt's deadline instead).
const (
	MaxBodySize   = 256 << 10
	sampleTimeout = 5 * time.Second
)

// errTooLarge is a body that outgrew MaxBodySize.
var errTooLarge = fmt.Errorf("the body exceeds %d KB", MaxBodySize>>10)

// boundedWriter collects a rendered body and fails the template's next
// write once the body outgrows MaxBodySize or ctx ends, which stops
// text/template, itself without a context, at its next output.
type boundedWriter struct {
	ctx context.Context
	buf bytes.Buffer
}

func (w *boundedWriter) Write(p []byte) (int, error) {
	if err := w.ctx.Err(); err != nil {
		return 0, err
	}
	if w.buf.Len()+len(p) > MaxBodySize {
		return 0, errTooLarge
	}
	return w.buf.Write(p)
}

// execute runs t on data within ctx and MaxBodySize. It runs t on its own
// goroutine and returns when ctx ends even if t is still busy without
// writing; refuseLoops keeps such templates out at start, so that
// goroutine is left with at most a loop over the event's own data.
func execute(ctx context.Context, t *template.Template, data any) ([]byte, error) {
	type result struct {
		body []byte
		err  error
	}
	done := make(chan result, 1)
	go func() {
		w := &boundedWriter{ctx: ctx}
		defer func() {
			if p := recover(); p != nil {
				done <- result{err: fmt.Errorf("panic: %v", p)}
			}
		}()
		err := t.Execute(w, data)
		done <- result{body: w.buf.Bytes(), err: err}
	}()
	select {
	case r := <-done:
		switch {
		case errors.Is(r.err, errTooLarge):
			return nil, errTooLarge
		case r.err != nil && ctx.Err() != nil:
			return nil, fmt.Errorf("rendering did not finish in time: %w", ctx.Err())
		}
		return r.body, r.err
	case <-ctx.Done():
		return nil, fmt.Errorf("rendering did not finish in time: %w", ctx.Err())
	}
}

// isJSON reports whether a Content-Type names JSON: application/json or a
// +json type such as application/cloudevents+json.
func isJSON(contentType string) bool {
	mt, _, err := mime.ParseMediaType(contentType)
	return err == nil && (mt == "application/json" || strings.HasSuffix(mt, "+json"))
}

// checkJSON refuses a templated body that is not the JSON its Content-Type
// promises.
func checkJSON(body []byte, contentType string) error {
	if !isJSON(contentType) {
		return nil
	}
	if err := json.Unmarshal(body, new(json.RawMessage)); err != nil {
		return fmt.Errorf("WEBHOOK_TEMPLATE produced invalid JSON: %s (WEBHOOK_HEADERS may set another Content-Type)", notify.Cut(notify.OneLine(err.Error()), 120, notify.Bytes))
	}
	return nil
}
