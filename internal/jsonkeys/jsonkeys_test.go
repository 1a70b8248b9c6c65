package jsonkeys

import (
	"strings"
	"testing"
)

func TestUnique(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{`{"exports":[1],"exports":[2]}`, `field "exports" is given twice`},
		{`{"exports":[{"id":1,"kind":"vul","kind":"asset"}]}`, `field "kind" is given twice in exports[0]`},
		{`{"triggerName":"t","payload":"1","payload":"2"}`, `field "payload" is given twice`},
		{`[{"a":{"b":1,"b":2}}]`, `field "b" is given twice in [0].a`},
		{`{"a":1,"b":{"a":2},"c":[{"a":3},{"a":4}]}`, ""},
		{`{"a":1,"a":`, ""}, // not JSON: its parser says so
		{`"a"`, ""},
		{``, ""},
		{`{"` + strings.Repeat("k", 1<<20) + `":1,"` + strings.Repeat("k", 1<<20) + `":2}`, `field "kkkk`},
	} {
		err := Unique([]byte(tc.in))
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%.60s: %v, want nil", tc.in, err)
		case tc.want != "" && (err == nil || !strings.HasPrefix(err.Error(), tc.want) || len(err.Error()) > 300):
			t.Errorf("%.60s: %v, want an error of at most 300 bytes starting %q", tc.in, err, tc.want)
		}
	}
}

func FuzzUnique(f *testing.F) {
	f.Add([]byte(`{"a":[{"b":1,"b":2}]}`))
	f.Add([]byte(`[[[{"":0,"":1}]]]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		if err := Unique(data); err != nil && !strings.Contains(err.Error(), "is given twice") {
			t.Fatal(err)
		}
	})
}
