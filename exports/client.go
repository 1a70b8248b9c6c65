package exports

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	openapi "github.com/alibabacloud-go/darabonba-openapi/v2/client"
	openapiutil "github.com/alibabacloud-go/darabonba-openapi/v2/utils"
	sas "github.com/alibabacloud-go/sas-20181203/v8/client"
	"github.com/alibabacloud-go/tea/dara"

	"github.com/export-notifier/export-notifier/credential"
	"github.com/export-notifier/export-notifier/event"
	"github.com/export-notifier/export-notifier/internal/backoff"
)

// maxCredentials bounds the distinct credentials whose SDK clients are
// kept: STS credentials rotate, so old ones must not pile up.
const maxCredentials = 16

// maxIdleSDKClients bounds the idle SDK clients kept per credentials.
const maxIdleSDKClients = 256

// Client asks Security Center about exports. It is safe for concurrent
// use; make one and share it.
type Client struct {
	cfg      Config
	protocol string // "http" or "https"
	host     string // host[:port] of the endpoint
	doer     *httpDoer
	runtime  *dara.RuntimeOptions // shared: the SDK only reads it
	retry    backoff.Policy

	mu    sync.Mutex
	pools map[credential.Credentials]*sdkPool
}

// sdkPool holds idle SDK clients that sign with one set of credentials.
// The SDK's client is not safe for concurrent use (every call clears its
// debug headers, GetRpcHeaders, without a lock), so each call borrows one;
// they are cheap, and all share one HTTP connection pool.
//
// Each SDK client is held inside its caller, a closure, never as a
// *sas.Client field: a *sas.Client reachable from the type of a value
// stored in an interface (the handler holds *Client as a Checker) makes
// the linker keep all of its 2,700 API methods, because the SDK's JSON
// library calls reflect's Method; that was two thirds of the binary.
type sdkPool struct {
	build func() (caller, error)
	mu    sync.Mutex
	idle  []caller
}

// caller makes one Describe*ExportInfo call with one SDK client.
type caller func(ctx context.Context, ref event.Ref, account int64) (*response, error)

func (p *sdkPool) get() (caller, error) {
	p.mu.Lock()
	if n := len(p.idle); n > 0 {
		sdk := p.idle[n-1]
		p.idle = p.idle[:n-1]
		p.mu.Unlock()
		return sdk, nil
	}
	p.mu.Unlock()
	return p.build()
}

func (p *sdkPool) put(sdk caller) {
	p.mu.Lock()
	if len(p.idle) < maxIdleSDKClients {
		p.idle = append(p.idle, sdk)
	}
	p.mu.Unlock()
}

// New checks cfg and returns a client for it. No request is made.
func New(cfg Config) (*Client, error) {
	cfg = cfg.withDefaults()
	c := &Client{cfg: cfg, pools: make(map[credential.Credentials]*sdkPool)}
	if cfg.Endpoint != "" {
		protocol, host, err := parseEndpoint(cfg.Endpoint)
		if err != nil {
			return nil, fmt.Errorf("endpoint %q: %w", redacted(cfg.Endpoint), err)
		}
		c.protocol, c.host = protocol, host
	} else {
		host, err := regionEndpoint(cfg.Region)
		if err != nil {
			return nil, fmt.Errorf("region %q: %w", cfg.Region, err)
		}
		c.protocol, c.host = "https", host
	}
	if cfg.Account < 0 {
		return nil, fmt.Errorf("resource directory account %d: not a positive account ID", cfg.Account)
	}
	// Throttling windows are short: a longer wait is cut to MaxBackoff.
	c.retry = backoff.Policy{MaxAttempts: cfg.MaxAttempts, Base: cfg.BaseBackoff, Max: cfg.MaxBackoff,
		MaxServerWait: cfg.MaxBackoff, Logger: cfg.Logger}
	c.doer = newHTTPDoer(cfg.ConnectTimeout, cfg.ReadTimeout, cfg.resolver)
	c.runtime = &dara.RuntimeOptions{
		Autoretry:      new(false), // Get retries, knowing the context's deadline
		ConnectTimeout: new(int(cfg.ConnectTimeout / time.Millisecond)),
		ReadTimeout:    new(int(cfg.ReadTimeout / time.Millisecond)),
	}
	return c, nil
}

// Region is the configured Security Center region.
func (c *Client) Region() string { return c.cfg.Region }

// Endpoint is the URL requests go to, such as
// "https://tds.cn-shanghai.aliyuncs.com".
func (c *Client) Endpoint() string { return c.protocol + "://" + c.host }

// Close releases idle connections.
func (c *Client) Close() { c.doer.close() }

// Get asks Security Center about one export and returns its normalised
// status. Asset references that name no member account are asked about
// Config.Account; the returned Status.Ref is ref as given.
//
// Throttling, 5xx answers and transport failures are retried with
// exponential backoff and full jitter, never past ctx's deadline: when the
// next wait would end after it, Get returns the last failure instead. Every
// failure is an *Error.
func (c *Client) Get(ctx context.Context, ref event.Ref) (event.Status, error) {
	if err := ref.Validate(); err != nil {
		return event.Status{}, &Error{Ref: ref, Code: CodeInvalidExportRef, Message: err.Error(), Err: err}
	}
	creds, err := c.cfg.Credentials.Credentials(ctx)
	if err != nil {
		e := &Error{Ref: ref, Code: CodeMissingCredentials, Message: err.Error(), Err: err}
		if ctxErr := ctx.Err(); ctxErr != nil && !errors.Is(err, credential.ErrMissing) {
			e = contextError(ref, ctxErr)
		}
		return event.Status{}, e
	}
	pool := c.poolFor(creds)
	sdk, err := pool.get()
	if err != nil {
		return event.Status{}, &Error{Ref: ref, Code: CodeMissingCredentials, Message: "the SDK refused the credentials: " + err.Error(), Err: err}
	}
	defer pool.put(sdk)
	account := ref.Account
	if account == 0 && ref.Kind == event.Asset {
		account = c.cfg.Account
	}
	var st event.Status
	describe := func() []slog.Attr {
		return []slog.Attr{slog.String("api", describeAPI(ref.Kind)), slog.String("export", ref.String())}
	}
	_, err = c.retry.Do(ctx, "Security Center call failed", describe, func(attempt int) (backoff.Verdict, error) {
		var e *Error
		if st, e = c.attempt(ctx, sdk, ref, account); e != nil {
			e.Attempts = attempt
			return verdict(e), e
		}
		return backoff.Verdict{}, nil
	})
	if err != nil {
		return event.Status{}, err
	}
	return st, nil
}

// verdict says whether e may be retried and how long Security Center said
// its throttling lasts.
func verdict(e *Error) backoff.Verdict {
	v := backoff.Verdict{Retry: e.Retryable}
	var te *openapi.ThrottlingError
	if errors.As(e.Err, &te) && te.RetryAfter != nil && *te.RetryAfter > 0 {
		v.ServerWait = time.Duration(*te.RetryAfter) * time.Millisecond
	}
	return v
}

// poolFor returns the pool of SDK clients that sign with creds.
func (c *Client) poolFor(creds credential.Credentials) *sdkPool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if p, ok := c.pools[creds]; ok {
		return p
	}
	if len(c.pools) >= maxCredentials {
		clear(c.pools) // clients still borrowed go back to a pool no one asks
	}
	p := &sdkPool{build: func() (caller, error) { return c.newSDK(creds) }}
	c.pools[creds] = p
	return p
}

// newSDK builds an SDK client that signs with creds and returns its caller.
func (c *Client) newSDK(creds credential.Credentials) (caller, error) {
	sdk, err := c.newSAS(creds)
	if err != nil {
		return nil, err
	}
	return func(ctx context.Context, ref event.Ref, account int64) (*response, error) {
		return c.call(ctx, sdk, ref, account)
	}, nil
}

// newSAS builds an SDK client of c's endpoint that signs with creds and
// sends through c's HTTP client. Keep what it returns in a closure or a
// local variable, never in a field (see sdkPool).
func (c *Client) newSAS(creds credential.Credentials) (*sas.Client, error) {
	config := &openapiutil.Config{
		AccessKeyId:     new(creds.AccessKeyID),
		AccessKeySecret: new(creds.AccessKeySecret),
		RegionId:        new(c.cfg.Region),
		Endpoint:        new(c.host),
		Protocol:        new(c.protocol),
		ConnectTimeout:  c.runtime.ConnectTimeout,
		ReadTimeout:     c.runtime.ReadTimeout,
		HttpClient:      c.doer,
	}
	if creds.SecurityToken != "" {
		config.SecurityToken = new(creds.SecurityToken) // sent as x-acs-security-token
	}
	sdk, err := sas.NewClient(config)
	if err != nil {
		return nil, err
	}
	// Typed errors (ClientError, ServerError, ThrottlingError) keep the
	// HTTP status and request ID apart; the default SDKError flattens them.
	sdk.Client.DisableSDKError = new(true)
	return sdk, nil
}

// attempt makes one call, bounded by the read timeout on top of ctx.
func (c *Client) attempt(ctx context.Context, sdk caller, ref event.Ref, account int64) (event.Status, *Error) {
	var rec recording
	callCtx, cancel := context.WithTimeout(withRecording(ctx, &rec), c.cfg.ConnectTimeout+c.cfg.ReadTimeout)
	defer cancel()
	secrets := c.cfg.Secrets.Secrets()
	resp, err := sdk(callCtx, ref, account)
	if err != nil {
		return event.Status{}, scrubbed(classify(ctx, callCtx, ref, &rec, err), secrets)
	}
	st, e := normalise(ref, resp, &rec)
	st.Message = secrets.String(st.Message)
	if e = scrubbed(e, secrets); e != nil {
		e.HTTPStatus = rec.status
		if e.RequestID == "" {
			e.RequestID = rec.requestID
		}
	}
	return st, e
}
