//go:build amd64 && !purego

#include "textflag.h"

// Fold constants, each the reflected x^n mod P (bit i is the coefficient
// of x^(63-i)). PCLMULQDQ of two reflected values yields their product
// times x, hence n is one less than the distance folded: the first 64
// bits of a lane move by d+64 bits, the last 64 by d.
//
// fold512: d = 512 (four lanes of 128 bits): x^575, x^511.
DATA fold512<>+0(SB)/8, $0x6ae3efbb9dd441f3
DATA fold512<>+8(SB)/8, $0x081f6054a7842df4
GLOBL fold512<>(SB), RODATA|NOPTR, $16

// fold128: d = 128 (one lane onto the next): x^191, x^127.
DATA fold128<>+0(SB)/8, $0xe05dd497ca393ae4
DATA fold128<>+8(SB)/8, $0xdabe95afc7875f40
GLOBL fold128<>(SB), RODATA|NOPTR, $16

// FOLD folds lane X by the distance in K onto the data in D:
// X = lo(X)*lo(K) ^ hi(X)*hi(K) ^ D, with T clobbered.
#define FOLD(X, T, K, D) \
	MOVOU     X, T; \
	PCLMULQDQ $0x00, K, X; \
	PCLMULQDQ $0x11, K, T; \
	PXOR      T, X; \
	PXOR      D, X

// func foldCLMUL(r uint64, p []byte) (lo, hi uint64)
TEXT ·foldCLMUL(SB), NOSPLIT, $0-48
	MOVQ  r+0(FP), AX
	MOVQ  p_base+8(FP), SI
	MOVQ  p_len+16(FP), CX

	// Four lanes from the first 64 bytes, the register added to the first.
	MOVOU 0(SI), X0
	MOVOU 16(SI), X1
	MOVOU 32(SI), X2
	MOVOU 48(SI), X3
	MOVQ  AX, X4
	PXOR  X4, X0
	ADDQ  $64, SI
	SUBQ  $64, CX
	MOVOU fold512<>(SB), X12

loop:
	CMPQ  CX, $64
	JB    combine
	MOVOU 0(SI), X8
	MOVOU 16(SI), X9
	MOVOU 32(SI), X10
	MOVOU 48(SI), X11
	FOLD(X0, X4, X12, X8)
	FOLD(X1, X5, X12, X9)
	FOLD(X2, X6, X12, X10)
	FOLD(X3, X7, X12, X11)
	ADDQ  $64, SI
	SUBQ  $64, CX
	JMP   loop

combine:
	// Each lane onto the next, leaving one 128-bit remainder in X0.
	MOVOU fold128<>(SB), X12
	FOLD(X0, X4, X12, X1)
	FOLD(X0, X4, X12, X2)
	FOLD(X0, X4, X12, X3)
	MOVQ   X0, lo+32(FP)
	PSHUFD $0xee, X0, X0
	MOVQ   X0, hi+40(FP)
	RET

// func cpuid1ECX() uint32
TEXT ·cpuid1ECX(SB), NOSPLIT, $0-4
	MOVL  $1, AX
	XORL  CX, CX
	CPUID
	MOVL  CX, ret+0(FP)
	RET
