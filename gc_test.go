package main

import (
	"runtime/debug"
	"testing"
)

// The command line collects at GOGC=50 unless the user set GOGC or
// GOMEMLIMIT, whose choice then stands.
func TestCLIGarbageCollection(t *testing.T) {
	before := debug.SetGCPercent(100)
	defer debug.SetGCPercent(before)
	tests := []struct {
		name string
		env  map[string]string
		want int
	}{
		{"neither set", nil, cliGCPercent},
		{"GOGC set", map[string]string{"GOGC": "200"}, 100},
		{"GOMEMLIMIT set", map[string]string{"GOMEMLIMIT": "64MiB"}, 100},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			debug.SetGCPercent(100) // the runtime's, as a user's GOGC would have set it
			setCLIGarbageCollection(func(k string) string { return tt.env[k] })
			if got := debug.SetGCPercent(100); got != tt.want {
				t.Errorf("GC percent %d, want %d", got, tt.want)
			}
		})
	}
}
