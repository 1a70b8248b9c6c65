//go:build amd64 && !purego

package crc64ecma

import "testing"

func archUpdaters(t testing.TB) map[string]updater {
	if !hasCLMUL {
		t.Log("this CPU has no PCLMULQDQ: only the table is tested")
		return nil
	}
	return map[string]updater{"clmul": updateCLMUL}
}
