// Package crc64ecma is the CRC-64 that OSS reports
// (x-oss-hash-crc64ecma): hash/crc64's with the ECMA table, computed with
// carry-less multiplication where the CPU has it (amd64 with PCLMULQDQ),
// and the combination of two CRCs, so that the CRC of a part of a stream
// follows from the stream's CRC before and after it without hashing it
// twice.
package crc64ecma

import (
	"encoding/binary"
	"hash"
	"hash/crc64"
)

// Table is the ECMA table.
var Table = crc64.MakeTable(crc64.ECMA)

// New is a hash computing the CRC.
func New() hash.Hash64 { return newDigest(update) }

// Checksum is the CRC of b.
func Checksum(b []byte) uint64 { return update(0, b) }

// updater adds p to a CRC, as crc64.Update does.
type updater func(crc uint64, p []byte) uint64

// updateTable is hash/crc64's table-driven update, which every CPU runs.
func updateTable(crc uint64, p []byte) uint64 { return crc64.Update(crc, Table, p) }

// digest is a hash.Hash64 over an updater, as hash/crc64's.
type digest struct {
	crc    uint64
	update updater
}

func newDigest(u updater) *digest { return &digest{update: u} }

func (d *digest) Size() int      { return crc64.Size }
func (d *digest) BlockSize() int { return 1 }
func (d *digest) Reset()         { d.crc = 0 }
func (d *digest) Sum64() uint64  { return d.crc }

func (d *digest) Write(p []byte) (int, error) {
	d.crc = d.update(d.crc, p)
	return len(p), nil
}

// Sum appends the CRC big-endian, as hash/crc64 does.
func (d *digest) Sum(in []byte) []byte { return binary.BigEndian.AppendUint64(in, d.crc) }

// Combine is the CRC of a followed by b, from crcA, crcB and b's length
// (zlib's crc32_combine, for 64 bits).
func Combine(crcA, crcB uint64, lenB int64) uint64 {
	if lenB <= 0 {
		return crcA
	}
	var even, odd [64]uint64
	odd[0] = crc64.ECMA // the operator for one zero bit
	row := uint64(1)
	for n := 1; n < 64; n++ {
		odd[n] = row
		row <<= 1
	}
	square(&even, &odd) // two zero bits
	square(&odd, &even) // four
	for {
		square(&even, &odd)
		if lenB&1 != 0 {
			crcA = times(&even, crcA)
		}
		if lenB >>= 1; lenB == 0 {
			break
		}
		square(&odd, &even)
		if lenB&1 != 0 {
			crcA = times(&odd, crcA)
		}
		if lenB >>= 1; lenB == 0 {
			break
		}
	}
	return crcA ^ crcB
}

// Part is the CRC of the lenPart bytes that took a stream's CRC from
// before to after.
func Part(before, after uint64, lenPart int64) uint64 {
	return after ^ Combine(before, 0, lenPart)
}

func times(mat *[64]uint64, vec uint64) uint64 {
	var sum uint64
	for i := 0; vec != 0; i, vec = i+1, vec>>1 {
		if vec&1 != 0 {
			sum ^= mat[i]
		}
	}
	return sum
}

func square(sq, mat *[64]uint64) {
	for n := range 64 {
		sq[n] = times(mat, mat[n])
	}
}
