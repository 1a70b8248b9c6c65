package crc64ecma

import (
	"math/rand/v2"
	"testing"
)

func TestCombineAndPart(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	data := randomBytes(8, 3<<20)
	cuts := []int{0, 1, 7, 64, 2500, 4999, len(data) - 1, len(data)}
	for range 8 {
		cuts = append(cuts, r.IntN(len(data)+1))
	}
	for _, cut := range cuts {
		a, b := data[:cut], data[cut:]
		whole := Checksum(data)
		if got := Combine(Checksum(a), Checksum(b), int64(len(b))); got != whole {
			t.Errorf("cut %d: Combine = %d, want %d", cut, got, whole)
		}
		if got := Part(Checksum(a), whole, int64(len(b))); got != Checksum(b) {
			t.Errorf("cut %d: Part = %d, want %d", cut, got, Checksum(b))
		}
	}
}
