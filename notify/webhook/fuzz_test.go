package webhook

import (
	"strings"
	"testing"
)

// FuzzParseHeaders checks that every accepted header can be sent: a valid
// name and a value without line breaks.
func FuzzParseHeaders(f *testing.F) {
	f.Add("Authorization=Bearer x;X-Team=sec")
	f.Add("a=b=c; ;=;\x00=1")
	f.Fuzz(func(t *testing.T, in string) {
		h, err := ParseHeaders(in)
		if err != nil {
			return
		}
		for name, values := range h {
			if !isToken(name) {
				t.Errorf("accepted header name %q", name)
			}
			for _, v := range values {
				if strings.ContainsAny(v, "\r\n\x00") {
					t.Errorf("accepted header value %q", v)
				}
			}
		}
	})
}
