package handler

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestExportIDsFromAFile reads EXPORT_IDS=@file with more IDs than the
// 128 KiB one variable may hold, and names the file and line of a bad one.
func TestExportIDsFromAFile(t *testing.T) {
	dir := t.TempDir()
	var many strings.Builder
	for i := range 20_000 {
		fmt.Fprintf(&many, "vul:%d\n", 1_000_000+i)
	}
	if many.Len() <= 128<<10 {
		t.Fatalf("the list is %d bytes, want more than one variable holds", many.Len())
	}
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	manyPath := write("many.txt", many.String())
	badPath := write("bad.txt", "131231, vul:52\n77\nasset:12x\n")
	tooMany := write("too-many.txt", strings.Repeat("1 ", MaxIDs+1))
	tests := []struct {
		name    string
		value   string
		want    int
		wantErr string
	}{
		{name: "long list", value: "@" + manyPath, want: 20_000},
		{name: "bad line", value: "@" + badPath, wantErr: `EXPORT_IDS: "` + badPath + `" line 3: export "asset:12x": the ID "12x" is not a number`},
		{name: "missing file", value: "@" + filepath.Join(dir, "none.txt"), wantErr: filepath.Join(dir, "none.txt")},
		{name: "no file named", value: "@", wantErr: "EXPORT_IDS: @ names no file"},
		{name: "too many", value: "@" + tooMany, wantErr: fmt.Sprintf("%d exports named, at most %d allowed", MaxIDs+1, MaxIDs)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := ConfigFromEnv(func(k string) string {
				if k == "EXPORT_IDS" {
					return tt.value
				}
				return ""
			})
			if tt.wantErr != "" {
				var inputErr *InputError
				if !errors.As(err, &inputErr) || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want an *InputError containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || len(c.ExportIDs) != tt.want {
				t.Fatalf("%d exports, err %v; want %d", len(c.ExportIDs), err, tt.want)
			}
			if got := c.ExportIDs[0].String(); got != "vul:1000000" {
				t.Errorf("first export %s, want vul:1000000", got)
			}
		})
	}
}
