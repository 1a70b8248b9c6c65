package scrub

import (
	"net/url"
	"strings"
)

// SettingSecrets lists the secret values one setting holds: the value
// whole, each item of a comma- or semicolon-separated list (webhook URLs,
// Name=value headers), the value of each Name=value item, and the
// URLSecrets of each item that is a URL.
func SettingSecrets(value string) []string {
	parts := []string{value}
	for _, item := range strings.FieldsFunc(value, func(r rune) bool { return r == ',' || r == ';' }) {
		item = strings.TrimSpace(item)
		parts = append(parts, item)
		if strings.Contains(item, "://") {
			parts = append(parts, URLSecrets(item)...)
		} else if _, v, ok := strings.Cut(item, "="); ok {
			parts = append(parts, strings.TrimSpace(v))
		}
	}
	return parts
}

// URLSecrets lists the secret parts of a URL such as a webhook's: the
// userinfo password, the path as a whole, the query as a whole and each
// query value. The scheme, host and user name are not secret, nor is a
// single path segment: a path such as "/api/verify/abc123" is secret as a
// whole, but "verify" alone is an ordinary word. Pass the result to New or
// With; parts shorter than MinLen are dropped there. A string that does
// not parse as a URL is returned whole, as the secret it may be.
func URLSecrets(raw string) []string {
	raw = strings.TrimSpace(raw)
	u, err := url.Parse(raw)
	if err != nil {
		return []string{raw}
	}
	var parts []string
	if password, ok := u.User.Password(); ok {
		parts = append(parts, password)
	}
	if u.Opaque != "" {
		parts = append(parts, u.Opaque)
	}
	if u.Path != "" && u.Path != "/" {
		parts = append(parts, u.Path)
		if escaped := u.EscapedPath(); escaped != u.Path {
			parts = append(parts, escaped)
		}
	}
	if u.RawQuery != "" {
		parts = append(parts, u.RawQuery)
		for _, values := range u.Query() {
			parts = append(parts, values...)
		}
	}
	return parts
}
