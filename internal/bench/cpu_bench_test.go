package main

import (
	"os"
	"testing"
)

func TestMain(m *testing.M) {
	if serveSimulatorIfChild() {
		return
	}
	os.Exit(m.Run())
}

// BenchmarkExport is the CPU per export that make bench prints:
//
//	go test -run=^$ -bench=Export ./internal/bench
func BenchmarkExport(b *testing.B) {
	child, err := startSimulatorChild(simulatorScript{})
	if err != nil {
		b.Fatal(err)
	}
	defer child.stop()
	if err := benchmarkExport(b, child.URL); err != nil {
		b.Fatal(err)
	}
}
