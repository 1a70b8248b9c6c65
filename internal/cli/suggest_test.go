package cli

import "testing"

func TestEditDistance(t *testing.T) {
	tests := []struct {
		a, b string
		want int
	}{
		{"", "", 0},
		{"poll", "poll", 0},
		{"pol", "poll", 1},
		{"pool", "poll", 1},
		{"plol", "poll", 1}, // a swap of neighbours is one edit
		{"", "vul", 3},
		{"disk", "vul", 4},
		{"kitten", "sitting", 3},
	}
	for _, tt := range tests {
		if got := editDistance(tt.a, tt.b); got != tt.want {
			t.Errorf("editDistance(%q, %q) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
	}
}

func TestSuggest(t *testing.T) {
	kinds := []string{"asset", "vul", "hc", "warning", "suspEvent"}
	tests := []struct {
		word string
		want string
	}{
		{"vull", "vul"},
		{"SUSPEVENT", "suspEvent"},
		{"asets", "asset"},
		{"wraning", "warning"},
		{"disk", ""},
		{"", ""},
		{"events", ""},
	}
	for _, tt := range tests {
		if got := suggest(tt.word, kinds); got != tt.want {
			t.Errorf("suggest(%q) = %q, want %q", tt.word, got, tt.want)
		}
	}
}
