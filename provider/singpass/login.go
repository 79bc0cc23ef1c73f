package singpass

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/idconnect/idconnect"
	"github.com/idconnect/idconnect/internal/oidc"
)

// IDToken is the Result.Model of a Login app: the verified ID token's
// Singpass claims.
type IDToken struct {
	Subject string `json:"sub"`
	// SubType is "user" for Singpass.
	SubType string `json:"sub_type,omitempty"`
	// SubAttributes is present when user.identity, name, email or
	// mobileno was asked for.
	SubAttributes *SubAttributes `json:"sub_attributes,omitempty"`
	AMR           []string       `json:"amr,omitempty"`
	ACR           string         `json:"acr,omitempty"`
}

// SubAttributes is the ID token's sub_attributes claim.
type SubAttributes struct {
	// AccountType is "standard" or "foreign".
	AccountType string `json:"account_type,omitempty"`
	// IdentityNumber is the NRIC, FIN or foreign identity number.
	IdentityNumber string `json:"identity_number,omitempty"`
	// IdentityCOI is the identity document's two-letter country of issue.
	IdentityCOI string `json:"identity_coi,omitempty"`
	Name        string `json:"name,omitempty"`
	Email       string `json:"email,omitempty"`
	MobileNo    string `json:"mobileno,omitempty"`
	// CorppassEmail is the Corppass account's email in a Corppass ID
	// token's act, which one Corppass client reads (scope
	// user.corppass.email on an older docs page); whether Corppass sends
	// it today is unconfirmed. It fills the person's email when Email is
	// absent.
	CorppassEmail string `json:"corppass_email,omitempty"`
}

func (c *Client) loginResult(claims *oidc.IDClaims) (*idconnect.Result, error) {
	m := &IDToken{Subject: claims.Subject}
	for name, dst := range map[string]any{"sub_type": &m.SubType, "amr": &m.AMR, "acr": &m.ACR} {
		if v, ok := claims.Raw[name]; ok && json.Unmarshal(v, dst) != nil {
			return nil, c.errorf("id_token", "%w: %s has the wrong type", idconnect.ErrMalformed, name)
		}
	}
	raw := json.RawMessage(`{}`)
	if v, ok := claims.Raw["sub_attributes"]; ok && !bytes.Equal(bytes.TrimSpace(v), []byte("null")) {
		m.SubAttributes = new(SubAttributes)
		if bytes.TrimSpace(v)[0] != '{' || json.Unmarshal(v, m.SubAttributes) != nil {
			return nil, c.errorf("id_token", "%w: sub_attributes is not the expected object", idconnect.ErrMalformed)
		}
		raw = v
	}
	return &idconnect.Result{
		Provider: c.cfg.Name,
		Subject:  claims.Subject,
		Raw:      raw,
		Model:    m,
		Person:   m.SubAttributes.person(),
	}, nil
}

// person is the normalised view of sub_attributes.
func (a *SubAttributes) person() *idconnect.Person {
	p := new(idconnect.Person)
	if a == nil {
		return p
	}
	field := func(v string) *idconnect.Field {
		if v == "" {
			return nil
		}
		return &idconnect.Field{Value: v}
	}
	p.IDNumber = field(a.IdentityNumber)
	p.Name = field(a.Name)
	p.Email = field(a.Email)
	if p.Email == nil {
		p.Email = field(a.CorppassEmail)
	}
	if a.MobileNo != "" {
		p.Phones = []idconnect.Phone{{Kind: "mobile", Number: a.MobileNo}}
	}
	return p
}

// loginItems maps Login-app scopes to the sodata names Flatten gives them
// (Myinfo v3's names, where there is one) and to sub_attributes members.
var loginItems = map[string]struct{ item, member string }{
	"user.identity": {"uinfin", "identity_number"},
	"name":          {"name", "name"},
	"email":         {"email", "email"},
	"mobileno":      {"mobileno", "mobileno"},
}

// flattenLogin builds sodata from sub_attributes: each asked-for scope
// with a value, under its Myinfo name, as a plain string.
func flattenLogin(scopes []string, raw json.RawMessage) (json.RawMessage, error) {
	var attrs map[string]json.RawMessage
	if err := json.Unmarshal(raw, &attrs); err != nil {
		return nil, fmt.Errorf("singpass: sub_attributes: %w", err)
	}
	var buf bytes.Buffer
	buf.WriteByte('{')
	seen := map[string]bool{}
	for _, s := range scopes {
		it, ok := loginItems[s]
		v, has := attrs[it.member]
		if !ok || !has || seen[it.item] {
			continue
		}
		if len(seen) > 0 {
			buf.WriteByte(',')
		}
		seen[it.item] = true
		k, _ := json.Marshal(it.item)
		buf.Write(k)
		buf.WriteByte(':')
		if err := json.Compact(&buf, v); err != nil {
			return nil, fmt.Errorf("singpass: sub_attributes: %w", err)
		}
	}
	buf.WriteByte('}')
	return buf.Bytes(), nil
}
