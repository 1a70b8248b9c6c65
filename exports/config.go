package exports

import (
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	openapiutil "github.com/alibabacloud-go/darabonba-openapi/v2/utils"
	sas "github.com/alibabacloud-go/sas-20181203/v8/client"

	"github.com/export-notifier/export-notifier/credential"
	"github.com/export-notifier/export-notifier/event"
	"github.com/export-notifier/export-notifier/internal/netguard"
	"github.com/export-notifier/export-notifier/scrub"
)

// DefaultRegion is the region used when neither SAS_REGION nor FC's region
// is set: Security Center's mainland endpoint lives there.
const DefaultRegion = "cn-shanghai"

// Defaults applied by New to the zero fields of a Config.
const (
	DefaultConnectTimeout = 5 * time.Second
	DefaultReadTimeout    = 10 * time.Second
	DefaultMaxAttempts    = 4
	DefaultBaseBackoff    = 200 * time.Millisecond
	DefaultMaxBackoff     = 5 * time.Second
)

// Config says which Security Center endpoint to ask, as whom, and how
// patiently. The zero value of every field but Region means its default.
type Config struct {
	// Region is the Security Center region, such as "cn-hangzhou"; the
	// endpoint comes from the SDK's region map. Empty means DefaultRegion.
	Region string
	// Endpoint overrides Region: "https://tds.cn-shanghai.aliyuncs.com", or
	// "http://127.0.0.1:8741" (plain http only for loopback hosts).
	Endpoint string
	// Account is the resource directory member account
	// (RESOURCE_DIRECTORY_ACCOUNT_ID) asked about for asset references that
	// name none.
	Account int64
	// Credentials sign each call; nil means credential.Default().
	Credentials credential.Provider
	// ConnectTimeout bounds connecting (TCP and TLS); ReadTimeout bounds
	// waiting for the response of one attempt.
	ConnectTimeout, ReadTimeout time.Duration
	// MaxAttempts is how many times Get tries one export, the first call
	// included; 1 turns retries off.
	MaxAttempts int
	// BaseBackoff is the wait before the first retry; each retry doubles it,
	// up to MaxBackoff, and waits a random part of it (full jitter).
	BaseBackoff, MaxBackoff time.Duration
	// Logger receives one warning per failed call, naming the API, the
	// attempt, the wait before the next one and the error; nil logs nothing.
	Logger *slog.Logger
	// Secrets are removed from every message Security Center sends back
	// (it may echo a token it was sent); nil removes none.
	Secrets *scrub.Live

	// resolver resolves the endpoint's name when it is plain http (nil:
	// the system's); tests point it elsewhere.
	resolver *net.Resolver
}

// ConfigFromEnv reads the client's configuration from the environment:
// SAS_REGION (else FC_REGION, else ALIBABA_CLOUD_REGION_ID, else
// cn-shanghai), SAS_ENDPOINT and RESOURCE_DIRECTORY_ACCOUNT_ID. The error
// names the variable and its bad value. Credentials are left nil (the
// default provider).
func ConfigFromEnv(getenv func(string) string) (Config, error) {
	var cfg Config
	regionVar := ""
	for _, name := range []string{"SAS_REGION", "FC_REGION", "ALIBABA_CLOUD_REGION_ID"} {
		if v := strings.TrimSpace(getenv(name)); v != "" {
			cfg.Region, regionVar = v, name
			break
		}
	}
	if cfg.Region == "" {
		cfg.Region = DefaultRegion
	}
	if regionVar != "" {
		if err := checkRegion(cfg.Region); err != nil {
			return Config{}, fmt.Errorf("%s %s: %w", regionVar, event.Quote(cfg.Region), err)
		}
	}
	if v := strings.TrimSpace(getenv("SAS_ENDPOINT")); v != "" {
		if _, _, err := parseEndpoint(v); err != nil {
			return Config{}, fmt.Errorf("SAS_ENDPOINT %s: %w", event.Quote(redacted(v)), err)
		}
		cfg.Endpoint = v
	}
	if v := strings.TrimSpace(getenv("RESOURCE_DIRECTORY_ACCOUNT_ID")); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n <= 0 {
			return Config{}, fmt.Errorf("RESOURCE_DIRECTORY_ACCOUNT_ID %s: not a positive account ID", event.Quote(v))
		}
		cfg.Account = n
	}
	return cfg, nil
}

var regionSyntax = regexp.MustCompile(`^[a-z]{2,}(-[a-z0-9]+)+$`)

// sdkEndpointMap is the SAS SDK's own region-to-endpoint map, read from a
// client it initialises, so that the map stays the SDK's.
func sdkEndpointMap() map[string]*string {
	var probe sas.Client
	if err := probe.Init(&openapiutil.Config{RegionId: new(DefaultRegion)}); err != nil {
		return nil
	}
	return probe.EndpointMap
}

// Regions lists the regions the SDK maps to a Security Center endpoint.
func Regions() []string {
	m := sdkEndpointMap()
	out := make([]string, 0, len(m))
	for r := range m {
		out = append(out, r)
	}
	slices.Sort(out)
	return out
}

func checkRegion(region string) error {
	if !regionSyntax.MatchString(region) {
		return fmt.Errorf("not a region ID (like cn-hangzhou or ap-southeast-1)")
	}
	if _, ok := sdkEndpointMap()[region]; !ok {
		return fmt.Errorf("no Security Center endpoint for this region (known: %s)", event.Choices(Regions()))
	}
	return nil
}

// regionEndpoint is the host the SDK's map gives for region.
func regionEndpoint(region string) (string, error) {
	if err := checkRegion(region); err != nil {
		return "", err
	}
	return *sdkEndpointMap()[region], nil
}

// parseEndpoint checks an endpoint override and returns its protocol and
// host[:port].
func parseEndpoint(raw string) (protocol, host string, err error) {
	u, err := url.Parse(raw)
	if err != nil {
		return "", "", fmt.Errorf("not a URL")
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return "", "", fmt.Errorf("want https://host (or http://host for a loopback host)")
	}
	if u.Host == "" || u.Hostname() == "" {
		return "", "", fmt.Errorf("no host")
	}
	if u.User != nil {
		return "", "", fmt.Errorf("user information is not allowed")
	}
	if (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" {
		return "", "", fmt.Errorf("want only a scheme and a host, no path or query")
	}
	if p := u.Port(); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n <= 0 || n > 65535 {
			return "", "", fmt.Errorf("bad port %s", event.Quote(p))
		}
	}
	if err := netguard.CheckURL(u); err != nil {
		return "", "", err
	}
	return u.Scheme, u.Host, nil
}

// redacted hides the password of a URL, so that an error may quote it.
func redacted(raw string) string {
	if u, err := url.Parse(raw); err == nil && u.User != nil {
		return u.Redacted()
	}
	return raw
}

// withDefaults fills the zero fields of cfg.
func (cfg Config) withDefaults() Config {
	if cfg.Region == "" {
		cfg.Region = DefaultRegion
	}
	if cfg.Credentials == nil {
		cfg.Credentials = credential.Default()
	}
	if cfg.ConnectTimeout <= 0 {
		cfg.ConnectTimeout = DefaultConnectTimeout
	}
	if cfg.ReadTimeout <= 0 {
		cfg.ReadTimeout = DefaultReadTimeout
	}
	if cfg.MaxAttempts <= 0 {
		cfg.MaxAttempts = DefaultMaxAttempts
	}
	if cfg.BaseBackoff <= 0 {
		cfg.BaseBackoff = DefaultBaseBackoff
	}
	if cfg.MaxBackoff <= 0 {
		cfg.MaxBackoff = DefaultMaxBackoff
	}
	if cfg.MaxBackoff < cfg.BaseBackoff {
		cfg.MaxBackoff = cfg.BaseBackoff
	}
	return cfg
}
