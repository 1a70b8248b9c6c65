package exports_test

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"

	"github.com/export-notifier/export-notifier/event"
	"github.com/export-notifier/export-notifier/exports"
	"github.com/export-notifier/export-notifier/internal/sassim"
)

func TestEveryFailedCallIsLoggedOnceWithItsAPI(t *testing.T) {
	tests := []struct {
		name string
		call func(*exports.Client) error
		api  string
	}{
		{name: "Get of a vul export", api: "DescribeVulExportInfo", call: func(c *exports.Client) error {
			_, err := c.Get(context.Background(), event.Ref{Kind: event.Vul, ID: 7})
			return err
		}},
		{name: "Start of an asset export", api: "ExportRecord", call: func(c *exports.Client) error {
			_, _, err := c.Start(context.Background(), event.StartSpec{Kind: event.Asset, ExportType: "assetInstance"})
			return err
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			sim, client := start(t, sassim.Options{}, exports.Config{MaxAttempts: 3, Logger: slog.New(slog.NewTextHandler(&buf, nil))})
			sim.Add(sassim.Export{Ref: event.Ref{Kind: event.Vul, ID: 7}, Fault: sassim.Fault{Code: "Throttling"}})
			sim.FailStarts(sassim.Fault{Code: "Throttling"})
			if err := tt.call(client); err == nil {
				t.Fatal("the call succeeded, want Throttling")
			}
			lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
			if len(lines) != 3 {
				t.Fatalf("logged %d lines, want one per attempt:\n%s", len(lines), buf.String())
			}
			for i, line := range lines {
				for _, want := range []string{"level=WARN", "api=" + tt.api, "attempt=" + string(rune('1'+i)), "wait=", "Throttling"} {
					if !strings.Contains(line, want) {
						t.Errorf("line %d = %q, want %q in it", i+1, line, want)
					}
				}
			}
		})
	}
}
