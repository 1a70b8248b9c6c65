package event

import (
	"fmt"
	"strings"
	"testing"
)

func TestChoicesListsShortListsWholeAndCutsLongOnes(t *testing.T) {
	long := make([]string, 40)
	for i := range long {
		long[i] = fmt.Sprintf("exportType%02d", i)
	}
	tests := []struct {
		name   string
		values []string
		want   string
	}{
		{"one", []string{"zh"}, "zh"},
		{"two", []string{"zh", "en"}, "zh, en"},
		{"three", []string{"cve", "sys", "cms"}, "cve, sys, cms"},
		{"long", long, "exportType00, exportType01, exportType02, exportType03, exportType04, … (40 in all)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Choices(tt.values)
			if got != tt.want {
				t.Fatalf("Choices = %q, want %q", got, tt.want)
			}
			if len(got) > maxChoices+20 || strings.Contains(got, "\n") {
				t.Fatalf("Choices = %q: longer than %d bytes or not one line", got, maxChoices+20)
			}
		})
	}
}
