package crc64ecma

import (
	"bytes"
	"hash/crc64"
	"math/rand/v2"
	"testing"
)

// updaters are the ways this CPU can compute the CRC: the table every CPU
// runs, the one New and Checksum choose, and the architecture's own.
func updaters(t testing.TB) map[string]updater {
	u := map[string]updater{"table": updateTable, "chosen": update}
	for name, f := range archUpdaters(t) {
		u[name] = f
	}
	return u
}

func randomBytes(seed uint64, n int) []byte {
	b := make([]byte, n)
	r := rand.NewChaCha8([32]byte{byte(seed), byte(seed >> 8)})
	_, _ = r.Read(b)
	return b
}

func want(crc uint64, p []byte) uint64 { return crc64.Update(crc, crc64.MakeTable(crc64.ECMA), p) }

func TestChecksumKnownValues(t *testing.T) {
	tests := []struct {
		name string
		in   []byte
		want uint64
	}{
		// Computed bit by bit from the reflected polynomial, apart from any table.
		{"empty", nil, 0},
		{"check string", []byte("123456789"), 0x995dc9bbdf1939fa}, // CRC-64/XZ's check value
		{"one byte", []byte("a"), 0x330284772e652b05},
		{"1 KiB of zeros", make([]byte, 1024), 0xc37863972069270c},
		{"1 KiB of 0xff", bytes.Repeat([]byte{0xff}, 1024), 0x389a86eca26c62df},
	}
	for name, u := range updaters(t) {
		for _, tt := range tests {
			if got := u(0, tt.in); got != tt.want {
				t.Errorf("%s: CRC of %s = %#x, want %#x", name, tt.name, got, tt.want)
			}
		}
	}
	for _, tt := range tests {
		if got := Checksum(tt.in); got != tt.want {
			t.Errorf("Checksum of %s = %#x, want %#x", tt.name, got, tt.want)
		}
	}
}

// TestMatchesHashCRC64 compares every length up to 600 at every alignment
// within 16 bytes, and random large lengths, from a zero and a running CRC.
func TestMatchesHashCRC64(t *testing.T) {
	data := randomBytes(1, 1<<20+64)
	r := rand.New(rand.NewPCG(3, 4))
	type input struct{ off, n int }
	var inputs []input
	for n := 0; n <= 600; n++ {
		for off := 0; off < 16; off++ {
			inputs = append(inputs, input{off, n})
		}
	}
	for range 40 {
		inputs = append(inputs, input{r.IntN(64), r.IntN(1 << 20)})
	}
	inputs = append(inputs, input{0, 1 << 20}, input{1, 1<<20 - 1}, input{3, 32<<10 + 63})
	for name, u := range updaters(t) {
		for _, in := range inputs {
			p := data[in.off : in.off+in.n]
			for _, start := range []uint64{0, 0x0123456789abcdef} {
				if got, want := u(start, p), want(start, p); got != want {
					t.Fatalf("%s: %d bytes at offset %d from %#x: %#x, want %#x", name, in.n, in.off, start, got, want)
				}
			}
		}
	}
}

func TestChainedWrites(t *testing.T) {
	data := randomBytes(2, 300_000)
	sizes := []int{1, 3, 63, 64, 65, 127, 128, 129, 1000, 4097, 32 << 10, 65537}
	for name, u := range updaters(t) {
		d := newDigest(u)
		written := 0
		for i := 0; written < len(data); i++ {
			n := min(sizes[i%len(sizes)], len(data)-written)
			if m, err := d.Write(data[written : written+n]); m != n || err != nil {
				t.Fatalf("%s: Write(%d bytes) = %d, %v", name, n, m, err)
			}
			written += n
			if got, want := d.Sum64(), want(0, data[:written]); got != want {
				t.Fatalf("%s: after %d bytes in writes of odd sizes: %#x, want %#x", name, written, got, want)
			}
		}
	}
}

// TestNewMatchesHashCRC64 checks the hash.Hash64 as callers see it.
func TestNewMatchesHashCRC64(t *testing.T) {
	data := randomBytes(5, 5000)
	h, ref := New(), crc64.New(crc64.MakeTable(crc64.ECMA))
	for _, p := range [][]byte{data[:7], data[7:4000], data[4000:]} {
		h.Write(p)
		ref.Write(p)
	}
	if h.Sum64() != ref.Sum64() || !bytes.Equal(h.Sum([]byte("x")), ref.Sum([]byte("x"))) {
		t.Fatalf("New: Sum64 %#x, Sum %x; hash/crc64: %#x, %x", h.Sum64(), h.Sum(nil), ref.Sum64(), ref.Sum(nil))
	}
	if h.Size() != ref.Size() || h.BlockSize() != ref.BlockSize() {
		t.Errorf("Size, BlockSize = %d, %d; hash/crc64: %d, %d", h.Size(), h.BlockSize(), ref.Size(), ref.BlockSize())
	}
	h.Reset()
	h.Write(data[:100])
	if got, want := h.Sum64(), Checksum(data[:100]); got != want {
		t.Errorf("after Reset: %#x, want %#x", got, want)
	}
}

func FuzzChecksum(f *testing.F) {
	f.Add([]byte("123456789"), uint16(4))
	f.Add(randomBytes(6, 700), uint16(129))
	f.Fuzz(func(t *testing.T, data []byte, cut uint16) {
		want := want(0, data)
		if got := Checksum(data); got != want {
			t.Fatalf("Checksum of %d bytes = %#x, want %#x", len(data), got, want)
		}
		at := int(cut) % (len(data) + 1)
		for name, u := range updaters(t) {
			d := newDigest(u)
			d.Write(data[:at])
			d.Write(data[at:])
			if got := d.Sum64(); got != want {
				t.Fatalf("%s: %d bytes written as %d and %d: %#x, want %#x", name, len(data), at, len(data)-at, got, want)
			}
		}
	})
}

func BenchmarkChecksum(b *testing.B) {
	for _, size := range []struct {
		name string
		n    int
	}{{"32KiB", 32 << 10}, {"8MiB", 8 << 20}} {
		data := randomBytes(7, size.n)
		tab := crc64.MakeTable(crc64.ECMA)
		b.Run("hash-crc64/"+size.name, func(b *testing.B) {
			b.SetBytes(int64(size.n))
			for b.Loop() {
				crc64.Checksum(data, tab)
			}
		})
		b.Run("crc64ecma/"+size.name, func(b *testing.B) {
			b.SetBytes(int64(size.n))
			for b.Loop() {
				Checksum(data)
			}
		})
	}
}
