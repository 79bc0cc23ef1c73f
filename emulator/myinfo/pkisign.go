package myinfo

import (
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"net/url"
	"sort"
	"strings"
	"sync"
	"time"
)

// SignatureMethod is the only PKI_SIGN signature method Myinfo v3 defines:
// RSASSA-PKCS1-v1_5 with SHA-256.
const SignatureMethod = "RS256"

// ErrPKISign is wrapped by every [ParsePKISign] error: the Authorization
// header is not a well-formed PKI_SIGN header. Error texts name the problem,
// never a value.
var ErrPKISign = errors.New("myinfo: malformed PKI_SIGN header")

// PKISign is a parsed Myinfo v3 PKI_SIGN Authorization header.
type PKISign struct {
	// AppID is the app_id field; Myinfo requires it to equal the client ID.
	AppID string
	// Nonce is the nonce field, a value the client never repeats.
	Nonce string
	// Timestamp is the timestamp field, Unix time in milliseconds, as sent.
	Timestamp string
	// SignatureMethod is the signature_method field; always [SignatureMethod].
	SignatureMethod string
	// Signature is the signature field: standard base64 of the RSASSA-PKCS1-v1_5
	// SHA-256 signature over the base string.
	Signature string
}

// String renders p as an Authorization header value, fields in the
// alphabetical order the Java and .NET connectors use:
//
//	PKI_SIGN app_id="…",nonce="…",signature_method="RS256",signature="…",timestamp="…"
//
// The person API appends ",Bearer <access token>" to it.
func (p PKISign) String() string {
	var b strings.Builder
	b.WriteString("PKI_SIGN ")
	for i, f := range [...][2]string{
		{"app_id", p.AppID},
		{"nonce", p.Nonce},
		{"signature_method", p.SignatureMethod},
		{"signature", p.Signature},
		{"timestamp", p.Timestamp},
	} {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(f[0])
		b.WriteString(`="`)
		b.WriteString(f[1])
		b.WriteByte('"')
	}
	return b.String()
}

// Params returns the header fields that take part in the base string:
// app_id, nonce, signature_method and timestamp.
func (p PKISign) Params() url.Values {
	return url.Values{
		"app_id":           {p.AppID},
		"nonce":            {p.Nonce},
		"signature_method": {p.SignatureMethod},
		"timestamp":        {p.Timestamp},
	}
}

// ParsePKISign parses an Authorization header of the form
//
//	PKI_SIGN timestamp="…",nonce="…",app_id="…",signature_method="RS256",signature="…"[,Bearer <token>]
//
// Fields may come in any order, separated by "," with optional spaces; values
// may be quoted or bare; unknown fields are ignored (one official client sends
// every base-string parameter in the header). The five known fields must each
// appear exactly once and be non-empty, and signature_method must be RS256.
// The optional trailing ",Bearer <token>" (the person API's form; one space
// after the comma is tolerated) is returned as bearer. The scheme names are
// matched case-insensitively.
func ParsePKISign(header string) (p PKISign, bearer string, err error) {
	s := strings.TrimSpace(header)
	scheme, rest, ok := strings.Cut(s, " ")
	if !ok || !asciiEqualFold(scheme, "PKI_SIGN") {
		return PKISign{}, "", pkiErr("scheme is not PKI_SIGN")
	}
	seen := map[string]bool{}
	for {
		rest = strings.TrimLeft(rest, " ")
		if rest == "" {
			break
		}
		if tok, ok := cutFold(rest, "Bearer "); ok {
			bearer = strings.TrimSpace(tok)
			if bearer == "" || strings.ContainsAny(bearer, " ,\"\t") {
				return PKISign{}, "", pkiErr("malformed bearer token")
			}
			break
		}
		key, after, ok := strings.Cut(rest, "=")
		if !ok || key == "" || strings.ContainsAny(key, " ,\"\t") {
			return PKISign{}, "", pkiErr("bad field syntax")
		}
		var val string
		if strings.HasPrefix(after, `"`) {
			end := strings.IndexByte(after[1:], '"')
			if end < 0 {
				return PKISign{}, "", pkiErr("unterminated quoted value")
			}
			val, rest = after[1:1+end], after[2+end:]
		} else {
			end := strings.IndexByte(after, ',')
			if end < 0 {
				end = len(after)
			}
			val, rest = strings.TrimRight(after[:end], " "), after[end:]
			if strings.ContainsAny(val, "\" \t") {
				return PKISign{}, "", pkiErr("bad field syntax")
			}
		}
		rest = strings.TrimLeft(rest, " ")
		if rest != "" {
			if rest[0] != ',' {
				return PKISign{}, "", pkiErr("bad field syntax")
			}
			rest = rest[1:]
			if strings.TrimSpace(rest) == "" {
				return PKISign{}, "", pkiErr("bad field syntax")
			}
		}
		var dst *string
		switch key {
		case "app_id":
			dst = &p.AppID
		case "nonce":
			dst = &p.Nonce
		case "timestamp":
			dst = &p.Timestamp
		case "signature_method":
			dst = &p.SignatureMethod
		case "signature":
			dst = &p.Signature
		default:
			continue
		}
		if seen[key] {
			return PKISign{}, "", pkiErr("repeated field " + key)
		}
		seen[key] = true
		*dst = val
	}
	for _, k := range [...]string{"app_id", "nonce", "timestamp", "signature_method", "signature"} {
		if !seen[k] {
			return PKISign{}, "", pkiErr("missing field " + k)
		}
	}
	if p.AppID == "" || p.Nonce == "" || p.Timestamp == "" || p.Signature == "" {
		return PKISign{}, "", pkiErr("empty field")
	}
	if p.SignatureMethod != SignatureMethod {
		return PKISign{}, "", pkiErr("unsupported signature_method")
	}
	return p, bearer, nil
}

// pkiErr wraps ErrPKISign with the problem (never a value).
func pkiErr(problem string) error { return fmt.Errorf("%w: %s", ErrPKISign, problem) }

// cutFold is strings.CutPrefix with an ASCII case-insensitive prefix.
func cutFold(s, prefix string) (string, bool) {
	if len(s) < len(prefix) || !asciiEqualFold(s[:len(prefix)], prefix) {
		return s, false
	}
	return s[len(prefix):], true
}

// asciiEqualFold reports whether a and b are equal under ASCII case folding
// (unlike strings.EqualFold, no Unicode folding such as K → k).
func asciiEqualFold(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		x, y := a[i], b[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}

// BaseString returns the Myinfo v3 signature base string:
//
//	METHOD&URL&k1=v1&k2=v2…
//
// with the method upper-cased, url as given (scheme, host and path, no query),
// and every parameter (the query or form parameters plus app_id, nonce,
// signature_method and timestamp) sorted by key in byte order, values raw
// (decoded, not re-encoded). A key with several values contributes one pair
// per value, in the order given.
func BaseString(method, rawURL string, params url.Values) string {
	keys := make([]string, 0, len(params))
	for k := range params {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	b.WriteString(strings.ToUpper(method))
	b.WriteByte('&')
	b.WriteString(rawURL)
	for _, k := range keys {
		for _, v := range params[k] {
			b.WriteByte('&')
			b.WriteString(k)
			b.WriteByte('=')
			b.WriteString(v)
		}
	}
	return b.String()
}

// Verify checks p's signature over the base string of a request with the
// given method, URL and parameters (the header fields are added to params, a
// copy; they override parameters of the same name), using the client's public
// key. It checks neither the timestamp nor the nonce. The error never
// contains the base string, which may hold the client secret.
func (p PKISign) Verify(pub *rsa.PublicKey, method, rawURL string, params url.Values) error {
	if pub == nil {
		return errors.New("myinfo: no client public key")
	}
	if p.SignatureMethod != SignatureMethod {
		return errors.New("myinfo: unsupported signature_method")
	}
	all := make(url.Values, len(params)+4)
	for k, v := range params {
		all[k] = v
	}
	for k, v := range p.Params() {
		all[k] = v
	}
	sig, err := base64.StdEncoding.DecodeString(p.Signature)
	if err != nil {
		if sig, err = base64.RawStdEncoding.DecodeString(p.Signature); err != nil {
			return errors.New("myinfo: PKI_SIGN signature is not base64")
		}
	}
	sum := sha256.Sum256([]byte(BaseString(method, rawURL, all)))
	if err := rsa.VerifyPKCS1v15(pub, crypto.SHA256, sum[:], sig); err != nil {
		return errors.New("myinfo: PKI_SIGN signature verification failed")
	}
	return nil
}

// nonceCache remembers nonces for a time window, with bounded memory.
type nonceCache struct {
	mu   sync.Mutex
	seen map[string]time.Time // nonce → forget after
	max  int
}

// Results of nonceCache.add.
const (
	nonceFresh = iota
	nonceRepeated
	nonceFull
)

// add records nonce until expires. It fails with nonceRepeated if the nonce
// is still remembered, or nonceFull if the cache is full of live nonces.
func (c *nonceCache) add(nonce string, now, expires time.Time) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	if until, ok := c.seen[nonce]; ok && now.Before(until) {
		return nonceRepeated
	}
	if len(c.seen) >= c.max {
		for k, until := range c.seen {
			if !now.Before(until) {
				delete(c.seen, k)
			}
		}
		if len(c.seen) >= c.max {
			return nonceFull
		}
	}
	c.seen[nonce] = expires
	return nonceFresh
}
