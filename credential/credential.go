// Package credential supplies the Alibaba Cloud credentials that the
// Security Center client and the OSS state store sign their requests with.
//
// On Function Compute each invocation carries the function role's STS
// credentials; the FC wiring puts them in the context with WithContext, and
// they take precedence. Elsewhere credentials-go's default chain applies
// (ALIBABA_CLOUD_ACCESS_KEY_ID and friends, the CLI profile, an ECS role).
package credential

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"

	"github.com/aliyun/credentials-go/credentials/providers"
)

// Credentials are an AccessKey pair and, for STS credentials, a security
// token. Their String and LogValue methods hide the secret and the token,
// so printing or logging them by mistake leaks nothing.
type Credentials struct {
	AccessKeyID     string
	AccessKeySecret string
	SecurityToken   string
}

// String names the AccessKey ID only.
func (c Credentials) String() string {
	if c.SecurityToken != "" {
		return "STS credentials " + c.AccessKeyID
	}
	return "AccessKey " + c.AccessKeyID
}

// GoString keeps %#v from printing the secret.
func (c Credentials) GoString() string { return c.String() }

// LogValue keeps slog from printing the secret.
func (c Credentials) LogValue() slog.Value { return slog.StringValue(c.String()) }

// Provider returns the credentials to sign one request with.
type Provider interface {
	Credentials(ctx context.Context) (Credentials, error)
}

// ErrMissing is returned (wrapped) when no credentials can be found.
// Its message names every place looked in, in one line.
var ErrMissing = errors.New("no Alibaba Cloud credentials found: looked for ALIBABA_CLOUD_ACCESS_KEY_ID and ALIBABA_CLOUD_ACCESS_KEY_SECRET (plus ALIBABA_CLOUD_SECURITY_TOKEN for STS credentials), an OIDC role (ALIBABA_CLOUD_ROLE_ARN), an aliyun CLI profile (~/.aliyun/config.json), a credentials file (~/.alibabacloud/credentials), ALIBABA_CLOUD_CREDENTIALS_URI and an ECS instance's RAM role")

type contextKey struct{}

// WithContext returns a context that carries c; a Provider from Default
// returns them in preference to anything else.
func WithContext(ctx context.Context, c Credentials) context.Context {
	return context.WithValue(ctx, contextKey{}, c)
}

// FromContext returns the credentials WithContext put in ctx.
func FromContext(ctx context.Context) (Credentials, bool) {
	c, ok := ctx.Value(contextKey{}).(Credentials)
	return c, ok && c.AccessKeyID != "" && c.AccessKeySecret != ""
}

// Static is a Provider that always returns the same credentials, unless
// the context carries others.
type Static Credentials

// Credentials implements Provider.
func (s Static) Credentials(ctx context.Context) (Credentials, error) {
	if c, ok := FromContext(ctx); ok {
		return c, nil
	}
	c := Credentials(s)
	if c.AccessKeyID == "" || c.AccessKeySecret == "" {
		return Credentials{}, ErrMissing
	}
	return c, nil
}

// Default returns the Provider that prefers the context's credentials and
// otherwise asks credentials-go's default chain, built on first use.
func Default() Provider { return &chain{} }

type chain struct {
	once     sync.Once
	provider *providers.DefaultCredentialsProvider
	mu       sync.Mutex // the default chain remembers its last provider without locking
}

func (c *chain) Credentials(ctx context.Context) (Credentials, error) {
	if creds, ok := FromContext(ctx); ok {
		return creds, nil
	}
	if err := ctx.Err(); err != nil {
		return Credentials{}, err
	}
	c.once.Do(func() { c.provider = providers.NewDefaultCredentialsProvider() })
	c.mu.Lock()
	got, err := c.provider.GetCredentials()
	c.mu.Unlock()
	if err != nil || got == nil || got.AccessKeyId == "" || got.AccessKeySecret == "" {
		// The chain's own message lists every provider it tried, with
		// details that may name files; the variables to set are what helps.
		return Credentials{}, fmt.Errorf("%w", ErrMissing)
	}
	return Credentials{AccessKeyID: got.AccessKeyId, AccessKeySecret: got.AccessKeySecret, SecurityToken: got.SecurityToken}, nil
}
