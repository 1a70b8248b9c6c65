package state

import (
	"context"
	"errors"
	"strings"
	"testing"
)

// TestOSSSettingsAreConfiguration: a malformed OSS_REGION or OSS_ENDPOINT
// is a configuration error naming the variable, found before any request,
// not a state store that could not be reached.
func TestOSSSettingsAreConfiguration(t *testing.T) {
	type refusal struct {
		name string
		env  map[string]string
		want string // in the error
	}
	for _, tc := range []refusal{
		{"a path for a region", map[string]string{"OSS_REGION": "../x"}, `OSS_REGION: "../x" is not a region ID`},
		{"upper case", map[string]string{"OSS_REGION": "CN-Hangzhou"}, `OSS_REGION: "CN-Hangzhou"`},
		{"a region with a newline", map[string]string{"OSS_REGION": "cn-hangzhou\nx"}, `OSS_REGION: "cn-hangzhou x"`},
		{"a path for an endpoint", map[string]string{"OSS_REGION": "cn-hangzhou", "OSS_ENDPOINT": "../x"}, `OSS_ENDPOINT "../x" is not an https URL or a host name`},
		{"a host and a path", map[string]string{"OSS_REGION": "cn-hangzhou", "OSS_ENDPOINT": "oss.example.com/elsewhere"}, `OSS_ENDPOINT "oss.example.com/elsewhere"`},
		{"a URL with a path", map[string]string{"OSS_REGION": "cn-hangzhou", "OSS_ENDPOINT": "https://oss.example.com/x?y=1"}, "no user, path or query"},
		{"a URL with a password", map[string]string{"OSS_REGION": "cn-hangzhou", "OSS_ENDPOINT": "https://u:hunter2@oss.example.com"}, "no user, path or query"},
		{"an endpoint naming a bad region", map[string]string{"OSS_ENDPOINT": "https://oss-CN_x.example.com"}, "OSS_ENDPOINT"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			opts := Options{Credentials: testCreds, Getenv: func(k string) string { return tc.env[k] }}
			_, err := Open(context.Background(), "oss://bucket/prefix", opts)
			if !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Open = %v, want ErrConfig saying %q", err, tc.want)
			}
			if msg := err.Error(); strings.Contains(msg, "\n") || len(msg) > 300 || strings.Contains(msg, "hunter2") {
				t.Errorf("error %q: want one line of at most 300 bytes without the password", msg)
			}
		})
	}
}
