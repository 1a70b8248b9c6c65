package scrub

import (
	"strings"
	"testing"
)

// FuzzString checks the two promises of String: no secret of MinLen bytes
// or more is left in the output, and a text holding no form of any secret
// comes back unchanged.
func FuzzString(f *testing.F) {
	f.Add("token: "+stsToken, stsToken, akSecret)
	f.Add(`401 bad password "pa55-w0rd!"`, "pa55-w0rd!", "/hook/T0001")
	f.Add("x abcdefghijkl y abcdef z", "abcdef", "abcdefghijkl")
	f.Add("ABCDEF]tail-x", "ABCDEF", "]tail-x")
	f.Add("please verify", "/verify", "verify")
	f.Add(`{"e":"a\u003cb\u003ecdef"}`, "a<b>cdef", "short")
	f.Fuzz(func(t *testing.T, text, first, second string) {
		out := New(first, second).String(text)
		kept := false
		for _, secret := range []string{first, second} {
			if len(secret) < MinLen || strings.Contains(Redacted, secret) {
				continue
			}
			if strings.Contains(out, secret) {
				t.Fatalf("String(%q) with secrets %q, %q = %q: still holds %q", text, first, second, out, secret)
			}
			for _, form := range encodedForms(secret) {
				kept = kept || strings.Contains(text, form)
			}
		}
		if !kept && out != text {
			t.Fatalf("String(%q) with secrets %q, %q = %q: changed a text holding none", text, first, second, out)
		}
	})
}
