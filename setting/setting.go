// Package setting describes the environment variables export-notifier
// reads. Each package that reads variables lists them as []Var; one
// combined list then drives the readers' documentation, the README check
// and the s.yaml check, so that a variable cannot be read without being
// documented and deployable.
package setting

// Var is one environment variable.
type Var struct {
	// Name is the variable, e.g. "SLACK_WEBHOOK_URL".
	Name string
	// Meaning says in one line what it sets.
	Meaning string
	// Default is what applies when it is unset, in words; "" when nothing
	// does (the feature is off).
	Default string
	// Secret marks a value that is, or holds, a credential: it is never
	// logged, and s.yaml must take it from the deployer's environment
	// rather than spell it out.
	Secret bool
}

// Names returns the names of vars, in order.
func Names(vars []Var) []string {
	names := make([]string, len(vars))
	for i, v := range vars {
		names[i] = v.Name
	}
	return names
}
