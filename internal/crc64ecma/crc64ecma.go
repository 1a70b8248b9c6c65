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
// (zlib's crc32_combine, for 64 bits): crcA moved past lenB zero bytes,
// that is times x^(8·lenB) modulo the polynomial, plus crcB.
func Combine(crcA, crcB uint64, lenB int64) uint64 {
	if lenB <= 0 {
		return crcA
	}
	return mulMod(crcA, xPow8(lenB)) ^ crcB
}

// Part is the CRC of the lenPart bytes that took a stream's CRC from
// before to after.
func Part(before, after uint64, lenPart int64) uint64 {
	return after ^ Combine(before, 0, lenPart)
}

// one is the polynomial 1, reflected: bit i is the coefficient of x^(63-i).
const one = uint64(1) << 63

// mulMod is a·b modulo the polynomial, both reflected.
func mulMod(a, b uint64) uint64 {
	var r uint64
	for i := range 64 { // Horner's rule, a's highest power first
		r = mulX(r)
		if a&(1<<i) != 0 { // bit i: x^(63-i)
			r ^= b
		}
	}
	return r
}

// mulX is a·x modulo the polynomial.
func mulX(a uint64) uint64 {
	if a&1 != 0 {
		return a>>1 ^ crc64.ECMA
	}
	return a >> 1
}

// xPow8 is x^(8n) modulo the polynomial, by squaring.
func xPow8(n int64) uint64 {
	pow := one >> 8 // x^8
	r := one
	for ; n > 0; n >>= 1 {
		if n&1 != 0 {
			r = mulMod(r, pow)
		}
		pow = mulMod(pow, pow)
	}
	return r
}
