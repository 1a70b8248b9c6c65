package sassim

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/url"
	"slices"
	"strings"
)

// This file recomputes the ACS3-HMAC-SHA256 signature from the request as
// it arrived, following the published algorithm rather than the SDK's
// code, so that a client bug is caught rather than mirrored.

const signatureAlgorithm = "ACS3-HMAC-SHA256"

// authorization is the parsed Authorization header.
type authorization struct {
	accessKeyID   string
	signedHeaders []string
	signature     string
}

// parseAuthorization parses
// "ACS3-HMAC-SHA256 Credential=<id>,SignedHeaders=<a;b>,Signature=<hex>".
func parseAuthorization(h string) (authorization, bool) {
	algorithm, rest, ok := strings.Cut(h, " ")
	if !ok || algorithm != signatureAlgorithm {
		return authorization{}, false
	}
	var a authorization
	for part := range strings.SplitSeq(rest, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			return authorization{}, false
		}
		switch k {
		case "Credential":
			a.accessKeyID = v
		case "SignedHeaders":
			if v != "" {
				a.signedHeaders = strings.Split(v, ";")
			}
		case "Signature":
			a.signature = v
		}
	}
	if a.accessKeyID == "" || len(a.signedHeaders) == 0 || a.signature == "" {
		return authorization{}, false
	}
	return a, true
}

// missingSignedHeader returns the first header that must be signed but is
// not: host, the x-acs-* headers the algorithm requires, every x-acs-*
// header the request carries (an unsigned security token could be swapped)
// and content-type when present.
func missingSignedHeader(r *http.Request, signed []string) string {
	has := func(name string) bool { return slices.Contains(signed, name) }
	for _, name := range []string{"host", "x-acs-action", "x-acs-version", "x-acs-date", "x-acs-signature-nonce", "x-acs-content-sha256"} {
		if !has(name) {
			return name
		}
	}
	for name := range r.Header {
		lower := strings.ToLower(name)
		if (strings.HasPrefix(lower, "x-acs-") || lower == "content-type") && !has(lower) {
			return lower
		}
	}
	return ""
}

// expectedSignature is the hex signature of r under secret, over the
// headers the client says it signed.
func expectedSignature(r *http.Request, signed []string, payloadHash, secret string) string {
	var canonical strings.Builder
	canonical.WriteString(r.Method + "\n")
	path := r.URL.EscapedPath()
	if path == "" {
		path = "/"
	}
	canonical.WriteString(path + "\n")
	canonical.WriteString(canonicalQuery(r.URL.Query()) + "\n")
	names := slices.Clone(signed)
	slices.Sort(names)
	for _, name := range names {
		var value string
		if name == "host" {
			value = r.Host
		} else {
			vals := slices.Clone(r.Header.Values(name))
			for i := range vals {
				vals[i] = strings.TrimSpace(vals[i])
			}
			slices.Sort(vals)
			value = strings.Join(vals, ",")
		}
		canonical.WriteString(name + ":" + strings.TrimSpace(value) + "\n")
	}
	canonical.WriteString("\n" + strings.Join(names, ";") + "\n" + payloadHash)
	hashed := sha256.Sum256([]byte(canonical.String()))
	stringToSign := signatureAlgorithm + "\n" + hex.EncodeToString(hashed[:])
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(stringToSign))
	return hex.EncodeToString(mac.Sum(nil))
}

// canonicalQuery is the query sorted by key, each key and value
// percent-encoded per RFC 3986.
func canonicalQuery(q url.Values) string {
	keys := make([]string, 0, len(q))
	for k := range q {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var parts []string
	for _, k := range keys {
		vals := slices.Clone(q[k])
		slices.Sort(vals)
		for _, v := range vals {
			parts = append(parts, percentEncode(k)+"="+percentEncode(v))
		}
	}
	return strings.Join(parts, "&")
}

// percentEncode escapes everything but RFC 3986's unreserved characters.
func percentEncode(s string) string {
	const hexDigits = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.' || c == '~' {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hexDigits[c>>4])
		b.WriteByte(hexDigits[c&15])
	}
	return b.String()
}
