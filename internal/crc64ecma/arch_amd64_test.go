//go:build amd64 && !purego

package crc64ecma

import "testing"

func archUpdaters(t testing.TB) map[string]updater {
	u := map[string]updater{}
	if hasCLMUL {
		u["clmul"] = updateCLMUL
	} else {
		t.Log("this CPU has no PCLMULQDQ: only the table is tested")
	}
	if hasVPCLMUL {
		u["vpclmul"] = updateVPCLMUL
	} else {
		t.Log("this CPU has no VPCLMULQDQ with AVX-512: the 512-bit folding is not tested")
	}
	return u
}
