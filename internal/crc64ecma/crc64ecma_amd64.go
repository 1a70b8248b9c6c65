//go:build amd64 && !purego

package crc64ecma

import "encoding/binary"

// The CPU's carry-less multiplications, read once at start and never
// changed: PCLMULQDQ on 128 bits, and VPCLMULQDQ on 512 with the
// AVX-512 instructions the wide folding uses.
var hasCLMUL, hasVPCLMUL = cpuFeatures()

// What foldCLMUL and foldVPCLMUL consume at a time: four lanes of 16 and
// of 64 bytes.
const (
	foldBlock     = 64
	foldWideBlock = 256
)

// update adds p to crc, with carry-less multiplication where the CPU has it.
func update(crc uint64, p []byte) uint64 {
	switch {
	case hasVPCLMUL:
		return updateVPCLMUL(crc, p)
	case hasCLMUL:
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
	return updateTable(remainderCRC(foldCLMUL(^crc, p[:n])), p[n:])
}

// updateVPCLMUL is updateCLMUL four lanes of 512 bits at a time, leaving
// what is under 256 bytes to updateCLMUL.
func updateVPCLMUL(crc uint64, p []byte) uint64 {
	if len(p) < foldWideBlock {
		return updateCLMUL(crc, p)
	}
	n := len(p) &^ (foldWideBlock - 1)
	return updateCLMUL(remainderCRC(foldVPCLMUL(^crc, p[:n])), p[n:])
}

// remainderCRC is the CRC of what was folded into the remainder lo, hi.
// The remainder is congruent to it, the CRC register included, so it
// starts from a zero register (^0 before inversion).
func remainderCRC(lo, hi uint64) uint64 {
	var rem [16]byte
	binary.LittleEndian.PutUint64(rem[:8], lo)
	binary.LittleEndian.PutUint64(rem[8:], hi)
	return updateTable(^uint64(0), rem[:])
}

// cpuFeatures reads CPUID and, for the 512-bit registers, whether the
// operating system saves them (XCR0).
func cpuFeatures() (clmul, vpclmul bool) {
	maxLeaf, _, _, _ := cpuid(0, 0)
	_, _, ecx1, _ := cpuid(1, 0)
	clmul = ecx1&(1<<1) != 0
	if !clmul || maxLeaf < 7 || ecx1&(1<<27) == 0 { // 27: OSXSAVE, for XGETBV
		return clmul, false
	}
	_, ebx7, ecx7, _ := cpuid(7, 0)
	const (
		avx512F    = 1 << 16 // EBX
		avx512VL   = 1 << 31 // EBX
		vpclmulqdq = 1 << 10 // ECX
		zmmState   = 0xe6    // XCR0: SSE, AVX, opmask and both ZMM parts
	)
	vpclmul = ebx7&avx512F != 0 && ebx7&avx512VL != 0 && ecx7&vpclmulqdq != 0 && xgetbv0()&zmmState == zmmState
	return clmul, vpclmul
}

// foldCLMUL folds p, whose length is a non-zero multiple of foldBlock,
// with the CRC register r (the CRC before its final inversion) added to
// its first 8 bytes, into 128 bits that leave the same CRC register:
// lo holds the first 8 bytes, little-endian.
//
//go:noescape
func foldCLMUL(r uint64, p []byte) (lo, hi uint64)

// foldVPCLMUL is foldCLMUL for a length that is a non-zero multiple of
// foldWideBlock, with AVX-512 and VPCLMULQDQ.
//
//go:noescape
func foldVPCLMUL(r uint64, p []byte) (lo, hi uint64)

// cpuid is the CPUID instruction.
func cpuid(leaf, subleaf uint32) (eax, ebx, ecx, edx uint32)

// xgetbv0 is the low half of XCR0: the register state the OS saves.
func xgetbv0() uint32
