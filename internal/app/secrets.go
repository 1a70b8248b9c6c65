package app

import (
	"context"
	"slices"
	"strings"

	"github.com/export-notifier/export-notifier/credential"
	"github.com/export-notifier/export-notifier/scrub"
)

// Secrets lists the secret values the environment holds: those of every
// variable Variables or PlatformVariables marks Secret, with their parts
// (each URL's path, query and password, each header's value, and the
// credential of a header value such as "Bearer <token>").
func Secrets(getenv func(string) string) []string {
	var values []string
	for _, v := range slices.Concat(Variables(), PlatformVariables()) {
		if value := getenv(v.Name); v.Secret && value != "" {
			for _, part := range scrub.SettingSecrets(value) {
				values = append(values, part)
				if scheme, cred, ok := strings.Cut(part, " "); ok && !strings.Contains(scheme, "=") {
					values = append(values, strings.TrimSpace(cred))
				}
			}
		}
	}
	return values
}

// NewSecrets returns the set of secrets a process scrubs from what it
// writes, holding Secrets(getenv) to begin with; credentials fetched later
// join it through LearnCredentials.
func NewSecrets(getenv func(string) string) *scrub.Live {
	live := new(scrub.Live)
	live.Add(Secrets(getenv)...)
	return live
}

// LearnCredentials returns p adding every credential it hands out to
// secrets, so that a key or token fetched on demand (from an RAM role, a
// profile, the invocation) is scrubbed like one set in the environment. A
// nil secrets leaves p as it is.
func LearnCredentials(p credential.Provider, secrets *scrub.Live) credential.Provider {
	if secrets == nil || p == nil {
		return p
	}
	if l, ok := p.(learning); ok && l.secrets == secrets {
		return p
	}
	return learning{provider: p, secrets: secrets}
}

type learning struct {
	provider credential.Provider
	secrets  *scrub.Live
}

func (l learning) Credentials(ctx context.Context) (credential.Credentials, error) {
	c, err := l.provider.Credentials(ctx)
	if err == nil {
		AddCredentials(l.secrets, c)
	}
	return c, err
}

// AddCredentials adds c's key, secret and token to secrets (nil: none).
func AddCredentials(secrets *scrub.Live, c credential.Credentials) {
	if secrets != nil {
		secrets.Add(c.AccessKeyID, c.AccessKeySecret, c.SecurityToken)
	}
}
