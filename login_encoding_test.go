package idconnect

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"reflect"
	"testing"
	"time"
)

func sampleLogin() *Login {
	created := time.Unix(1_700_000_000, 123_456_789).UTC()
	return &Login{
		ID:             "AAECAwQFBgcICQoLDA0ODw",
		Provider:       "singpass",
		State:          "q83vASNFZ4mrze8BI0VniavN7wEjRWeJq83vASNFZ4k",
		Nonce:          "n-0S6_WzA2Mj",
		Verifier:       "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk",
		Attributes:     []string{"name", "dob", "uinfin", "regadd"},
		Purpose:        "idconnect-myinfo-connector",
		RedirectURI:    "http://localhost:3001/callback",
		BrowserHash:    "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
		CreatedAt:      created,
		ExpiresAt:      created.Add(10 * time.Minute),
		CallbackIssuer: "https://stg-id.singpass.gov.sg",
		ProviderData:   map[string]string{"dpop_key": `{"kty":"EC","d":"x"}`, "b": "", "ABCD": "0a0b"},
	}
}

// Every field survives the compact form, and the form is much smaller than
// JSON.
func TestLoginEncodingRoundTrip(t *testing.T) {
	for _, l := range []*Login{sampleLogin(), {}, {State: "x", Attributes: []string{""}, ProviderData: map[string]string{"": ""}}} {
		got, err := decodeLogin(encodeLogin(l))
		if err != nil {
			t.Fatalf("%+v: %v", l, err)
		}
		if want := utcTimes(l); !reflect.DeepEqual(got, want) {
			t.Fatalf("round trip:\n got %+v\nwant %+v", got, want)
		}
	}
	l := sampleLogin()
	j, _ := json.Marshal(l)
	if b := encodeLogin(l); len(b) > len(j)*6/10 {
		t.Errorf("compact form %d bytes, JSON %d: want well under JSON's size", len(b), len(j))
	}
}

// utcTimes gives l's times the UTC location the decoder gives them.
func utcTimes(l *Login) *Login {
	c := *l
	c.CreatedAt, c.ExpiresAt = c.CreatedAt.UTC(), c.ExpiresAt.UTC()
	return &c
}

// A login stored as JSON by an earlier version is still read.
func TestLoginEncodingReadsJSON(t *testing.T) {
	l := sampleLogin()
	j, err := json.Marshal(l)
	if err != nil {
		t.Fatal(err)
	}
	got, err := decodeLogin(j)
	if err != nil || !reflect.DeepEqual(got, l) {
		t.Fatalf("JSON login: %v\n got %+v\nwant %+v", err, got, l)
	}
}

// sampleLoginV1 is sampleLogin as the previous binary stored it (version
// 1 of the compact form), kept as it was written.
const sampleLoginV1 = "010110000102030405060708090a0b0c0d0e0f0106b229e0a5ab2c0120abcdef0123456789abcdef0123456789abcdef0123456789abcdef012345678901099fed12ebf5b303632301207418dfb49799e0254ffa607dd8adbbba16d4254d69d6bff05b58055853848d790401039da99e0003646f62000675696e66696e0006726567616464001a6964636f6e6e6563742d6d79696e666f2d636f6e6e6563746f72001e687474703a2f2f6c6f63616c686f73743a333030312f63616c6c6261636b02209f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a0880c49fd50c959aef3ab0cd9fd50c959aef3a001e68747470733a2f2f7374672d69642e73696e67706173732e676f762e736703010300108302020a0b00016200000106769a29fe47b200147b226b7479223a224543222c2264223a2278227d"

// A login stored by the previous binary (version 1) is still read; the
// current form is version 2, with the same layout.
func TestLoginEncodingReadsV1(t *testing.T) {
	b, err := hex.DecodeString(sampleLoginV1)
	if err != nil {
		t.Fatal(err)
	}
	got, err := decodeLogin(b)
	if want := utcTimes(sampleLogin()); err != nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("version 1 login: %v\n got %+v\nwant %+v", err, got, want)
	}
	if v2 := encodeLogin(sampleLogin()); v2[0] != loginEncodingV2 || !bytes.Equal(v2[1:], b[1:]) {
		t.Errorf("version 2 form %x, want version 1's layout after its version byte", v2)
	}
}

// Every truncation, a trailing byte and an unknown version are refused,
// never misread.
func TestLoginEncodingRefusesDamage(t *testing.T) {
	b := encodeLogin(sampleLogin())
	for i := range len(b) {
		if _, err := decodeLogin(b[:i]); err == nil {
			t.Fatalf("truncated to %d of %d bytes: accepted", i, len(b))
		}
	}
	if _, err := decodeLogin(append(b, 0)); err == nil {
		t.Fatal("a trailing byte was accepted")
	}
	if _, err := decodeLogin(append([]byte{0x7f}, b[1:]...)); err == nil {
		t.Fatal("an unknown version was accepted")
	}
}

// FuzzDecodeLogin: any stored bytes decode to an error or to a login that
// encodes and decodes to itself.
func FuzzDecodeLogin(f *testing.F) {
	f.Add(encodeLogin(sampleLogin()))
	f.Add(encodeLogin(&Login{}))
	f.Fuzz(func(t *testing.T, b []byte) {
		l, err := decodeLogin(b)
		if err != nil || b[0] == '{' {
			return
		}
		again, err := decodeLogin(encodeLogin(l))
		if err != nil || !reflect.DeepEqual(again, l) {
			t.Fatalf("re-encoding changed the login: %v\n got %+v\nwant %+v", err, again, l)
		}
	})
}
