package handler

import (
	"errors"
	"strings"
	"testing"
)

// TestConfigBounds: a setting past its documented bounds, or a number that
// is not finite, is refused with one line naming the variable and the
// bound, rather than overflowing a lease or turning the rate cap off.
func TestConfigBounds(t *testing.T) {
	for _, tc := range []struct{ name, value, want string }{
		{"CLAIM_LEASE", "1500000h", `CLAIM_LEASE: "1500000h" is more than the maximum, 24h`},
		{"CLAIM_LEASE", "10ms", `CLAIM_LEASE: "10ms" is less than the minimum, 1s`},
		{"STALL_AFTER", "721h", `STALL_AFTER: "721h" is more than the maximum, 720h (30 days)`},
		{"STALL_AFTER", "5s", `STALL_AFTER: "5s" is less than the minimum, 1m`},
		{"POLL_QPS", "NaN", `POLL_QPS: "NaN" is not a rate above 0`},
		{"POLL_QPS", "Inf", `POLL_QPS: "Inf" is not a rate above 0`},
		{"POLL_QPS", "-Inf", `POLL_QPS: "-Inf" is not a rate above 0`},
		{"POLL_QPS", "-1", `POLL_QPS: "-1" is not a rate above 0`},
		{"POLL_CONCURRENCY", "-1", `POLL_CONCURRENCY: "-1" is not a whole number`},
	} {
		t.Run(tc.name+"="+tc.value, func(t *testing.T) {
			_, err := ConfigFromEnv(func(k string) string {
				if k == tc.name {
					return tc.value
				}
				return ""
			})
			var inputErr *InputError
			if !errors.As(err, &inputErr) || !strings.HasPrefix(err.Error(), tc.want) || strings.Contains(err.Error(), "\n") {
				t.Errorf("err = %v, want one line starting %q", err, tc.want)
			}
		})
	}
	c, err := ConfigFromEnv(func(k string) string {
		return map[string]string{"CLAIM_LEASE": "24h", "STALL_AFTER": "720h"}[k]
	})
	if err != nil || c.Lease != MaxLease || c.StallAfter != MaxStallAfter {
		t.Errorf("the maxima themselves: %+v, %v", c, err)
	}
}

// TestInputErrorsAreShort: whatever the payload or a setting holds, the
// error is one line of at most 300 bytes, quoting a bounded part of the
// bad item.
func TestInputErrorsAreShort(t *testing.T) {
	huge := strings.Repeat("x", 3<<20)
	lines := "vul:\n1\n2\r\n3"
	payloads := map[string]string{
		"a huge list item":            "1, vul:" + huge,
		"a huge kind":                 huge + ":1",
		"a huge string item":          `{"exports": ["` + huge + `"]}`,
		"a huge number item":          `{"exports": [1` + strings.Repeat("0", 3<<20) + `]}`,
		"a huge kind in an object":    `{"exports": [{"id": 1, "kind": "` + huge + `"}]}`,
		"a huge unknown field":        `{"exports": [{"id": 1, "` + huge + `": 1}]}`,
		"a huge top-level field":      `{"` + huge + `": 1}`,
		"a huge start field":          `{"start": [{"kind": "vul", "` + huge + `": "x"}]}`,
		"a huge start value":          `{"start": [{"kind": "vul", "type": "` + huge + `"}]}`,
		"a huge export type":          `{"start": [{"kind": "asset", "exportType": "` + huge + `"}]}`,
		"a huge account":              `{"exports": [{"id": 1, "resourceDirectoryAccountId": -1` + strings.Repeat("0", 3<<20) + `}]}`,
		"newlines in a string item":   `{"exports": ["` + strings.ReplaceAll(lines, "\n", `\n`) + `"]}`,
		"newlines in an object item":  "{\"exports\": [{\"id\": 1,\n\"kind\":\n\"nope\"\n}]}",
		"newlines in a start item":    "{\"start\": [{\"kind\": \"vul\",\n\"type\": \"a\\nb\\nc\"}]}",
		"newlines in the timer event": `{"triggerName": "t", "triggerTime": "x", "payload": "` + strings.ReplaceAll(lines, "\n", `\n`) + `"}`,
	}
	for name, payload := range payloads {
		t.Run(name, func(t *testing.T) {
			_, err := ParseInvocation([]byte(payload))
			assertShort(t, err, 0)
		})
	}
	for _, v := range []string{"EXPORT_IDS", "NOTIFY_ON", "STALL_AFTER", "POLL_QPS"} {
		for _, value := range []string{huge, lines} {
			_, err := ConfigFromEnv(func(k string) string {
				if k == v {
					return value
				}
				return ""
			})
			assertShort(t, err, 0)
		}
	}
}

// assertShort checks that err is one line of at most 300 bytes, or of
// at most limit when that is more.
func assertShort(t *testing.T, err error, limit int) {
	t.Helper()
	if err == nil {
		t.Fatal("accepted")
	}
	limit = max(limit, 300)
	if msg := err.Error(); len(msg) > limit || strings.ContainsAny(msg, "\r\n") {
		t.Errorf("error of %d bytes over %d lines, want one line of at most %d: %.400q", len(msg), strings.Count(msg, "\n")+1, limit, msg)
	}
}

// TestDuplicateKeysRefused: encoding/json keeps the last of two members
// of one name; a payload that names one twice is refused instead, the
// error naming it.
func TestDuplicateKeysRefused(t *testing.T) {
	for _, tc := range []struct{ name, raw, want string }{
		{"exports twice", `{"exports":[1],"exports":[2]}`, `payload: field "exports" is given twice`},
		{"kind twice in an item", `{"exports":[{"id":1,"kind":"vul","kind":"asset"}]}`, `payload: field "kind" is given twice in exports[0]`},
		{"payload twice in the timer event", `{"triggerTime":"t","triggerName":"n","payload":"1","payload":"2"}`, `timer event: field "payload" is given twice`},
		{"inside the timer's payload", `{"triggerTime":"t","triggerName":"n","payload":"{\"exports\":[1],\"exports\":[2]}"}`, `payload: field "exports" is given twice`},
		{"a start item's field", `{"start":[{"kind":"vul","type":"cve","type":"sys"}]}`, `field "type" is given twice`},
		{"inside a start item's params", `{"start":[{"kind":"asset","exportType":"assetInstance","params":{"a":"1","a":"2"}}]}`, `field "a" is given twice in start[0].params`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseInvocation([]byte(tc.raw))
			var inputErr *InputError
			if !errors.As(err, &inputErr) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want an *InputError containing %q", err, tc.want)
			}
		})
	}
}
