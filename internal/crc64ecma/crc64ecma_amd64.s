//go:build amd64 && !purego

#include "textflag.h"

// Fold constants, each the reflected x^n mod P (bit i is the coefficient
// of x^(63-i)). PCLMULQDQ of two reflected values yields their product
// times x, hence n is one less than the distance folded: the first 64
// bits of a lane move by d+64 bits, the last 64 by d.
//
// fold2048: d = 2048 (four lanes of 512 bits, each as four of 128):
// x^2111, x^2047.
DATA fold2048<>+0(SB)/8, $0x8260adf2381ad81c
DATA fold2048<>+8(SB)/8, $0xf31fd9271e228b79
GLOBL fold2048<>(SB), RODATA|NOPTR, $16

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

// FOLDZ is FOLD on four 128-bit lanes at once, the three-way XOR in one.
#define FOLDZ(X, T, K, D) \
	VPCLMULQDQ $0x11, K, X, T; \
	VPCLMULQDQ $0x00, K, X, X; \
	VPTERNLOGQ $0x96, D, T, X

// func foldVPCLMUL(r uint64, p []byte) (lo, hi uint64)
TEXT ·foldVPCLMUL(SB), NOSPLIT, $0-48
	MOVQ  r+0(FP), AX
	MOVQ  p_base+8(FP), SI
	MOVQ  p_len+16(FP), CX

	// Four lanes from the first 256 bytes, the register added to the first.
	VMOVDQU64 0(SI), Z0
	VMOVDQU64 64(SI), Z1
	VMOVDQU64 128(SI), Z2
	VMOVDQU64 192(SI), Z3
	VMOVQ     AX, X4
	VPXORQ    Z4, Z0, Z0
	ADDQ      $256, SI
	SUBQ      $256, CX
	VBROADCASTI32X4 fold2048<>(SB), Z12

zloop:
	CMPQ CX, $256
	JB   zcombine
	VMOVDQU64 0(SI), Z8
	VMOVDQU64 64(SI), Z9
	VMOVDQU64 128(SI), Z10
	VMOVDQU64 192(SI), Z11
	FOLDZ(Z0, Z4, Z12, Z8)
	FOLDZ(Z1, Z5, Z12, Z9)
	FOLDZ(Z2, Z6, Z12, Z10)
	FOLDZ(Z3, Z7, Z12, Z11)
	ADDQ $256, SI
	SUBQ $256, CX
	JMP  zloop

zcombine:
	// Each lane onto the next (512 bits apart), then the four 128-bit
	// parts of the last one onto each other, as foldCLMUL ends.
	VBROADCASTI32X4 fold512<>(SB), Z12
	FOLDZ(Z0, Z4, Z12, Z1)
	FOLDZ(Z0, Z4, Z12, Z2)
	FOLDZ(Z0, Z4, Z12, Z3)
	VMOVDQU fold128<>(SB), X12
	VEXTRACTI32X4 $1, Z0, X1
	VEXTRACTI32X4 $2, Z0, X2
	VEXTRACTI32X4 $3, Z0, X3
	FOLDZ(X0, X4, X12, X1)
	FOLDZ(X0, X4, X12, X2)
	FOLDZ(X0, X4, X12, X3)
	VMOVQ   X0, lo+32(FP)
	VPEXTRQ $1, X0, hi+40(FP)
	VZEROUPPER
	RET

// func cpuid(leaf, subleaf uint32) (eax, ebx, ecx, edx uint32)
TEXT ·cpuid(SB), NOSPLIT, $0-24
	MOVL leaf+0(FP), AX
	MOVL subleaf+4(FP), CX
	CPUID
	MOVL AX, eax+8(FP)
	MOVL BX, ebx+12(FP)
	MOVL CX, ecx+16(FP)
	MOVL DX, edx+20(FP)
	RET

// func xgetbv0() uint32
TEXT ·xgetbv0(SB), NOSPLIT, $0-4
	XORL   CX, CX
	XGETBV
	MOVL   AX, ret+0(FP)
	RET
