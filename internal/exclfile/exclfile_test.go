package exclfile

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

func TestCreate(t *testing.T) {
	writeText := func(s string) func(io.Writer) error {
		return func(w io.Writer) error { _, err := io.WriteString(w, s); return err }
	}
	broken := errors.New("the download broke off")
	cases := []struct {
		name    string
		held    string // content already at the name; "" for none
		write   func(io.Writer) error
		wantErr error
		want    string // content at the name afterwards
	}{
		{name: "free name", write: writeText("new"), want: "new"},
		{name: "taken name", held: "old", write: writeText("new"), wantErr: fs.ErrExist, want: "old"},
		{name: "write fails", write: func(w io.Writer) error { io.WriteString(w, "half"); return broken }, wantErr: broken},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			final := filepath.Join(dir, "file")
			if c.held != "" {
				if err := os.WriteFile(final, []byte(c.held), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			err := Create(final, ".tmp-*", c.write)
			if !errors.Is(err, c.wantErr) || (c.wantErr == nil) != (err == nil) {
				t.Fatalf("Create: %v, want %v", err, c.wantErr)
			}
			got, rerr := os.ReadFile(final)
			if c.want == "" {
				if !errors.Is(rerr, fs.ErrNotExist) {
					t.Fatalf("a failed write left %q at the name", got)
				}
			} else if string(got) != c.want {
				t.Fatalf("the name holds %q, want %q", got, c.want)
			}
			if left, _ := filepath.Glob(filepath.Join(dir, ".tmp-*")); len(left) != 0 {
				t.Fatalf("temporary files left: %v", left)
			}
		})
	}
}
