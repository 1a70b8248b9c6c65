package chatbot

// Shrink renders with a budget (the characters of a group's list, of an
// error message) that halves from start until fits accepts the result or
// a budget below least was tried, and returns the last rendering: long
// messages lose detail rather than their end.
func Shrink[T any](start, least int, render func(budget int) T, fits func(T) bool) T {
	for budget := start; ; budget /= 2 {
		r := render(budget)
		if fits(r) || budget < least {
			return r
		}
	}
}
