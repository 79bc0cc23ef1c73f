package myinfo

import (
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"sort"
	"strings"
)

// pkiSign is one signed request's PKI_SIGN parameters.
type pkiSign struct {
	method    string            // GET or POST
	url       string            // scheme://host/path, no query
	params    map[string]string // the query or form parameters actually sent, decoded
	appID     string
	nonce     string
	timestamp string // Unix milliseconds
}

// baseString is Myinfo's signing input: METHOD&URL&k=v&… over the request
// parameters plus app_id, nonce, signature_method and timestamp, sorted by
// key in byte order, values raw (not URL-encoded).
func (p pkiSign) baseString() string {
	all := make(map[string]string, len(p.params)+4)
	for k, v := range p.params {
		all[k] = v
	}
	all["app_id"] = p.appID
	all["nonce"] = p.nonce
	all["signature_method"] = "RS256"
	all["timestamp"] = p.timestamp
	keys := make([]string, 0, len(all))
	for k := range all {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	b.WriteString(strings.ToUpper(p.method))
	b.WriteByte('&')
	b.WriteString(p.url)
	for _, k := range keys {
		b.WriteByte('&')
		b.WriteString(k)
		b.WriteByte('=')
		b.WriteString(all[k])
	}
	return b.String()
}

// header signs the base string with key and renders the Authorization
// value. The field order is the one of Myinfo's published examples; the
// gateway does not depend on it, but MockPass needs no space after commas.
func (p pkiSign) header(key *rsa.PrivateKey) (string, error) {
	digest := sha256.Sum256([]byte(p.baseString()))
	sig, err := rsa.SignPKCS1v15(nil, key, crypto.SHA256, digest[:])
	if err != nil {
		return "", err
	}
	return `PKI_SIGN app_id="` + p.appID +
		`",nonce="` + p.nonce +
		`",signature_method="RS256",signature="` + base64.StdEncoding.EncodeToString(sig) +
		`",timestamp="` + p.timestamp + `"`, nil
}
