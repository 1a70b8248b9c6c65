package event

import (
	"fmt"
	"strings"
	"testing"
)

func TestReadList(t *testing.T) {
	long := strings.Repeat("9", 5000) + "x"
	tests := []struct {
		name    string
		in      string
		want    int
		wantErr string
	}{
		{name: "lines and commas", in: "131231, vul:52\n\nhc:4 5\r\n6;7", want: 6},
		{name: "no final newline", in: "1\n2", want: 2},
		{name: "empty", in: "", want: 0},
		{name: "bad item names its line", in: "1\n2, 3\nvul:x\n4", wantErr: `line 3: export "vul:x": the ID "x" is not a number`},
		{name: "long item quoted short", in: "1\n" + long, wantErr: `line 2: export "99999`},
		{name: "too many", in: strings.Repeat("1\n", MaxRefs+1), wantErr: fmt.Sprintf("line %d: %d exports named, at most %d allowed", MaxRefs+1, MaxRefs+1, MaxRefs)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			refs, err := ReadList(strings.NewReader(tt.in))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("ReadList error = %v, want %q", err, tt.wantErr)
				}
				if len(err.Error()) > 3*MaxQuoted+60 {
					t.Errorf("error is %d bytes long: %.100q...", len(err.Error()), err.Error())
				}
				return
			}
			if err != nil || len(refs) != tt.want {
				t.Fatalf("ReadList = %d refs, %v; want %d", len(refs), err, tt.want)
			}
		})
	}
}

func TestParseListRefusesTooMany(t *testing.T) {
	_, err := ParseList(strings.Repeat("1,", MaxRefs+1))
	want := fmt.Sprintf("%d exports named, at most %d allowed", MaxRefs+1, MaxRefs)
	if err == nil || err.Error() != want {
		t.Fatalf("err = %v, want %q", err, want)
	}
}
