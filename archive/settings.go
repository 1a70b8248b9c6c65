package archive

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/export-notifier/export-notifier/setting"
)

// Settings are the archive's environment variables, read once.
type Settings struct {
	// URL is ARCHIVE_URL; "" turns archiving off.
	URL string
	// MaxBytes is ARCHIVE_MAX_BYTES.
	MaxBytes int64
	// LinkTTL is LINK_TTL.
	LinkTTL time.Duration
}

// Variables lists the variables SettingsFromEnv reads.
func Variables() []setting.Var {
	return []setting.Var{
		{Name: "ARCHIVE_URL", Meaning: "copy each completed export's file to oss://bucket/prefix (endpoint and region from OSS_ENDPOINT, OSS_REGION) or file:///dir, and link to the copy", Default: "none (off)"},
		{Name: "LINK_TTL", Meaning: "validity of the presigned link to an archived file; 1m to 168h (the most OSS allows)", Default: "168h"},
		{Name: "ARCHIVE_MAX_BYTES", Meaning: "largest file archived, in bytes (suffixes KiB, MiB, GiB accepted)", Default: "5GiB"},
	}
}

// SettingsFromEnv reads and checks the archive's variables.
func SettingsFromEnv(getenv func(string) string) (Settings, error) {
	s := Settings{URL: strings.TrimSpace(getenv("ARCHIVE_URL")), MaxBytes: DefaultMaxBytes, LinkTTL: DefaultLinkTTL}
	if v := strings.TrimSpace(getenv("LINK_TTL")); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < time.Minute || d > DefaultLinkTTL {
			return s, fmt.Errorf("%w: LINK_TTL %q: want a duration from 1m to 168h, such as 24h", ErrConfig, v)
		}
		s.LinkTTL = d
	}
	if v := strings.TrimSpace(getenv("ARCHIVE_MAX_BYTES")); v != "" {
		n, err := parseBytes(v)
		if err != nil {
			return s, fmt.Errorf("%w: ARCHIVE_MAX_BYTES %q: %w", ErrConfig, v, err)
		}
		s.MaxBytes = n
	}
	return s, nil
}

// parseBytes reads a positive byte count, optionally with KiB, MiB or GiB.
func parseBytes(v string) (int64, error) {
	units := []struct {
		suffix string
		shift  uint
	}{{"GiB", 30}, {"MiB", 20}, {"KiB", 10}, {"B", 0}}
	shift := uint(0)
	for _, u := range units {
		if rest, ok := strings.CutSuffix(v, u.suffix); ok {
			v, shift = strings.TrimSpace(rest), u.shift
			break
		}
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n <= 0 || n > (1<<50)>>shift {
		return 0, fmt.Errorf("want a positive number of bytes, such as 5368709120 or 5GiB")
	}
	return n << shift, nil
}
