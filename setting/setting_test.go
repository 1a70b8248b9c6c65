package setting

import (
	"slices"
	"testing"
)

func TestNamesKeepsOrder(t *testing.T) {
	vars := []Var{{Name: "B"}, {Name: "A", Secret: true}, {Name: "C"}}
	if got, want := Names(vars), []string{"B", "A", "C"}; !slices.Equal(got, want) {
		t.Fatalf("Names = %v, want %v", got, want)
	}
}
