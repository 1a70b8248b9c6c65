package archive

import (
	"strings"
	"testing"
	"time"
)

func TestKey(t *testing.T) {
	day := time.Date(2026, 12, 3, 23, 59, 0, 0, time.FixedZone("CST", 8*3600))
	tests := []struct {
		kind, account, file, want string
	}{
		{"asset", "", "asset_export_20261203.xlsx", "2026/12/03/asset-131231/asset_export_20261203.xlsx"},
		{"asset", "16670360956", "a.zip", "2026/12/03/asset-131231-16670360956/a.zip"},
		{"vul", "", "../../etc/passwd", "2026/12/03/vul-131231/_.._etc_passwd"},
		{"hc", "", "", "2026/12/03/hc-131231/export"},
		{"hc", "", "..", "2026/12/03/hc-131231/export"},
		{"warning", "", "告警 导出.xlsx", "2026/12/03/warning-131231/告警_导出.xlsx"},
		{"suspEvent", "", "a\x00b\nc", "2026/12/03/suspEvent-131231/a_b_c"},
	}
	for _, tt := range tests {
		if got := Key(day, tt.kind, 131231, tt.account, tt.file); got != tt.want {
			t.Errorf("Key(%q, %q, %q) = %q, want %q", tt.kind, tt.account, tt.file, got, tt.want)
		}
	}
}

// FuzzKey: whatever Security Center names a file, the key stays in its
// export's directory: four fixed levels, no empty, dot or dot-dot element,
// no control character, bounded.
func FuzzKey(f *testing.F) {
	for _, s := range []string{"asset_export.xlsx", "../x", "a/b\\c", "\x00", "告警.zip", strings.Repeat("x", 500)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		key := Key(time.Unix(0, 0), "asset", 1, "", name)
		parts := strings.Split(key, "/")
		if len(parts) != 5 || len(key) > 300 {
			t.Fatalf("Key(%q) = %q", name, key)
		}
		for _, p := range parts {
			if p == "" || p == "." || p == ".." || strings.ContainsFunc(p, func(r rune) bool { return r < 0x20 || r == 0x7f || r == '\\' }) {
				t.Fatalf("Key(%q) = %q has element %q", name, key, p)
			}
		}
	})
}

func TestSettingsFromEnv(t *testing.T) {
	tests := []struct {
		env     map[string]string
		want    Settings
		wantErr string
	}{
		{env: nil, want: Settings{MaxBytes: DefaultMaxBytes, LinkTTL: DefaultLinkTTL}},
		{env: map[string]string{"ARCHIVE_URL": "oss://b/p", "LINK_TTL": "24h", "ARCHIVE_MAX_BYTES": "2GiB"}, want: Settings{URL: "oss://b/p", MaxBytes: 2 << 30, LinkTTL: 24 * time.Hour}},
		{env: map[string]string{"ARCHIVE_MAX_BYTES": "1048576"}, want: Settings{MaxBytes: 1 << 20, LinkTTL: DefaultLinkTTL}},
		{env: map[string]string{"LINK_TTL": "169h"}, wantErr: "LINK_TTL"},
		{env: map[string]string{"LINK_TTL": "30s"}, wantErr: "LINK_TTL"},
		{env: map[string]string{"ARCHIVE_MAX_BYTES": "0"}, wantErr: "ARCHIVE_MAX_BYTES"},
		{env: map[string]string{"ARCHIVE_MAX_BYTES": "lots"}, wantErr: "ARCHIVE_MAX_BYTES"},
		{env: map[string]string{"ARCHIVE_MAX_BYTES": "99999999GiB"}, wantErr: "ARCHIVE_MAX_BYTES"},
	}
	for _, tt := range tests {
		got, err := SettingsFromEnv(func(k string) string { return tt.env[k] })
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("%v: %v, want an error naming %s", tt.env, err, tt.wantErr)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("%v: %+v, %v; want %+v", tt.env, got, err, tt.want)
		}
	}
}

// FuzzSettingsFromEnv: any values give settings within bounds or an
// error naming the variable, never a panic.
func FuzzSettingsFromEnv(f *testing.F) {
	f.Add("168h", "5GiB")
	f.Add("1m", "1")
	f.Add("-1h", "1125899906842624")
	f.Fuzz(func(t *testing.T, ttl, maxBytes string) {
		s, err := SettingsFromEnv(func(k string) string {
			return map[string]string{"LINK_TTL": ttl, "ARCHIVE_MAX_BYTES": maxBytes}[k]
		})
		if err == nil && (s.LinkTTL < time.Minute || s.LinkTTL > DefaultLinkTTL || s.MaxBytes <= 0) {
			t.Fatalf("LINK_TTL=%q ARCHIVE_MAX_BYTES=%q gave %+v", ttl, maxBytes, s)
		}
	})
}
