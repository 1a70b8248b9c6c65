package app

import (
	"context"
	"strings"
	"testing"
)

func TestOpenArchive(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		env     map[string]string
		on      bool
		wantErr string
	}{
		{env: map[string]string{}},
		{env: map[string]string{"ARCHIVE_URL": "file://" + dir}, on: true},
		{env: map[string]string{"ARCHIVE_URL": "s3://bucket/x"}, wantErr: "ARCHIVE_URL"},
		{env: map[string]string{"ARCHIVE_URL": "file://" + dir, "LINK_TTL": "8d"}, wantErr: "LINK_TTL"},
		{env: map[string]string{"ARCHIVE_URL": "oss://Bad_Bucket/x"}, wantErr: "bucket name"},
	}
	for _, tt := range tests {
		a, err := OpenArchive(context.Background(), Setup{Getenv: func(k string) string { return tt.env[k] }})
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("%v: %v, want an error naming %s", tt.env, err, tt.wantErr)
			}
			continue
		}
		if err != nil || (a != nil) != tt.on {
			t.Errorf("%v: archiver %v, %v; want on=%v", tt.env, a, err, tt.on)
		}
	}
}
