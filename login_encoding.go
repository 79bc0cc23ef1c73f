package idconnect

import (
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"slices"
	"time"
)

// A pending login waits in the store between the redirect and the callback,
// so its size is the service's memory per waiting person. It is stored in a
// compact binary form rather than JSON: under half the bytes, and no
// reflection on the way in or out.
//
// The form is a version byte, then the fields in the order of the Login
// struct. Strings are a tag and a length-prefixed body:
// the Flow's random values (base64url) and hashes (hex) are stored as the
// bytes they spell, anything else as is. Times are Unix seconds and
// nanoseconds. A stored value starting with '{' is a login written as JSON
// by an earlier version (a shared store outlives a rolling upgrade), and is
// still read.
//
// Version 2 (loginEncodingV2, written now) has version 1's layout; an
// empty attribute list, purpose or redirect URI in it means the provider's
// default (see Defaulter), which the Flow leaves out. A version 1 login is
// still read; an earlier binary refuses a version 2 one rather than run it
// without its attributes.
const (
	loginEncodingV1 = 0x01
	loginEncodingV2 = 0x02
)

// String tags.
const (
	tagRaw       = 0 // the string's bytes
	tagBase64URL = 1 // unpadded base64url, canonical: its decoded bytes
	tagHex       = 2 // lower-case hex of even length: its decoded bytes
)

var strictBase64URL = base64.RawURLEncoding.Strict()

func appendString(b []byte, s string) []byte {
	if len(s) >= 2 && len(s)%2 == 0 && isLowerHex(s) {
		b = append(b, tagHex)
		b = binary.AppendUvarint(b, uint64(len(s)/2))
		raw, _ := hex.AppendDecode(b, []byte(s)) // lower-case hex: cannot fail
		return raw
	}
	if len(s) >= 4 && isBase64URL(s) {
		if raw, err := strictBase64URL.DecodeString(s); err == nil && base64.RawURLEncoding.EncodedLen(len(raw)) == len(s) {
			b = append(b, tagBase64URL)
			b = binary.AppendUvarint(b, uint64(len(raw)))
			return append(b, raw...)
		}
	}
	b = append(b, tagRaw)
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

func isLowerHex(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

func isBase64URL(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; !('A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

func appendTime(b []byte, t time.Time) []byte {
	b = binary.AppendVarint(b, t.Unix())
	return binary.AppendUvarint(b, uint64(t.Nanosecond()))
}

// encodeLogin returns the stored form of l.
func encodeLogin(l *Login) []byte {
	b := make([]byte, 0, 320)
	b = append(b, loginEncodingV2)
	for _, s := range []string{l.ID, l.Provider, l.State, l.Nonce, l.Verifier} {
		b = appendString(b, s)
	}
	b = binary.AppendUvarint(b, uint64(len(l.Attributes)))
	for _, a := range l.Attributes {
		b = appendString(b, a)
	}
	for _, s := range []string{l.Purpose, l.RedirectURI, l.BrowserHash} {
		b = appendString(b, s)
	}
	b = appendTime(b, l.CreatedAt)
	b = appendTime(b, l.ExpiresAt)
	b = appendString(b, l.CallbackIssuer)
	keys := make([]string, 0, len(l.ProviderData))
	for k := range l.ProviderData {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	b = binary.AppendUvarint(b, uint64(len(keys)))
	for _, k := range keys {
		b = appendString(b, k)
		b = appendString(b, l.ProviderData[k])
	}
	return b
}

var errLoginEncoding = errors.New("malformed stored login")

// loginDecoder reads the stored form; the first error sticks.
type loginDecoder struct {
	b   []byte
	err error
}

func (d *loginDecoder) uvarint() uint64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.err = errLoginEncoding
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *loginDecoder) varint() int64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Varint(d.b)
	if n <= 0 {
		d.err = errLoginEncoding
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *loginDecoder) bytes() []byte {
	n := d.uvarint()
	if d.err != nil {
		return nil
	}
	if n > uint64(len(d.b)) {
		d.err = errLoginEncoding
		return nil
	}
	v := d.b[:n]
	d.b = d.b[n:]
	return v
}

func (d *loginDecoder) string() string {
	if d.err != nil {
		return ""
	}
	if len(d.b) == 0 {
		d.err = errLoginEncoding
		return ""
	}
	tag := d.b[0]
	d.b = d.b[1:]
	v := d.bytes()
	switch tag {
	case tagRaw:
		return string(v)
	case tagBase64URL:
		return base64.RawURLEncoding.EncodeToString(v)
	case tagHex:
		return hex.EncodeToString(v)
	}
	d.err = errLoginEncoding
	return ""
}

func (d *loginDecoder) time() time.Time {
	sec := d.varint()
	nsec := d.uvarint()
	if nsec >= uint64(time.Second) {
		d.err = errLoginEncoding
	}
	if d.err != nil {
		return time.Time{}
	}
	return time.Unix(sec, int64(nsec)).UTC()
}

// count reads a count of items, each at least min bytes long, so that a
// corrupt count cannot make the decoder allocate more than the input.
func (d *loginDecoder) count(min int) int {
	n := d.uvarint()
	if d.err == nil && n > uint64(len(d.b)/min) {
		d.err = errLoginEncoding
	}
	if d.err != nil {
		return 0
	}
	return int(n)
}

// decodeLogin reads a stored login: the compact form, or JSON from an
// earlier version.
func decodeLogin(b []byte) (*Login, error) {
	if len(b) > 0 && b[0] == '{' {
		var l Login
		if err := json.Unmarshal(b, &l); err != nil {
			return nil, err
		}
		return &l, nil
	}
	if len(b) == 0 || b[0] != loginEncodingV1 && b[0] != loginEncodingV2 {
		return nil, errLoginEncoding
	}
	d := &loginDecoder{b: b[1:]}
	l := &Login{ID: d.string(), Provider: d.string(), State: d.string(), Nonce: d.string(), Verifier: d.string()}
	if n := d.count(2); n > 0 {
		l.Attributes = make([]string, n)
		for i := range l.Attributes {
			l.Attributes[i] = d.string()
		}
	}
	l.Purpose, l.RedirectURI, l.BrowserHash = d.string(), d.string(), d.string()
	l.CreatedAt, l.ExpiresAt = d.time(), d.time()
	l.CallbackIssuer = d.string()
	if n := d.count(4); n > 0 {
		l.ProviderData = make(map[string]string, n)
		for range n {
			k := d.string()
			l.ProviderData[k] = d.string()
		}
	}
	if d.err == nil && len(d.b) != 0 {
		d.err = errLoginEncoding
	}
	if d.err != nil {
		return nil, d.err
	}
	return l, nil
}
