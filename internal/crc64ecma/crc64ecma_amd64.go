//go:build amd64 && !purego

package crc64ecma

import "encoding/binary"

// hasCLMUL says whether the CPU has PCLMULQDQ (CPUID.1:ECX bit 1); read
// once at start and never changed.
var hasCLMUL = cpuid1ECX()&(1<<1) != 0

// foldBlock is what foldCLMUL consumes at a time: four lanes of 16 bytes.
const foldBlock = 64

// update adds p to crc, with carry-less multiplication where the CPU has it.
func update(crc uint64, p []byte) uint64 {
	if hasCLMUL {
		return updateCLMUL(crc, p)
	}
	return updateTable(crc, p)
}

// updateCLMUL folds the whole 64-byte blocks of p into one 128-bit
// remainder (Intel's "Fast CRC Computation for Generic Polynomials Using
// PCLMULQDQ"), then runs the remainder and the tail through the table
// instead of a Barrett reduction.
func updateCLMUL(crc uint64, p []byte) uint64 {
	if len(p) < foldBlock { // one block already folds faster than the table runs it

		return updateTable(crc, p)
	}
	n := len(p) &^ (foldBlock - 1)
	lo, hi := foldCLMUL(^crc, p[:n])
	var rem [16]byte
	binary.LittleEndian.PutUint64(rem[:8], lo)
	binary.LittleEndian.PutUint64(rem[8:], hi)
	// The remainder is congruent to everything so far, the register
	// included, so it starts from a zero register (^0 before inversion).
	crc = updateTable(^uint64(0), rem[:])
	return updateTable(crc, p[n:])
}

// foldCLMUL folds p, whose length is a non-zero multiple of foldBlock,
// with the CRC register r (the CRC before its final inversion) added to
// its first 8 bytes, into 128 bits that leave the same CRC register:
// lo holds the first 8 bytes, little-endian.
//
//go:noescape
func foldCLMUL(r uint64, p []byte) (lo, hi uint64)

// cpuid1ECX is ECX of CPUID leaf 1.
func cpuid1ECX() uint32
