package singpass

import (
	"bytes"
	"context"
	"crypto"
	"encoding/json"
	"errors"
	"slices"
	"strings"

	"github.com/idconnect/idconnect"
	"github.com/idconnect/idconnect/internal/oidc"
	"github.com/idconnect/idconnect/provider/myinfo"
)

// Scopes of Corppass that ask userinfo for roles.
const (
	ScopeAuthInfo   = "authinfo"
	ScopeTPAuthInfo = "tpauthinfo"
)

// entityResult finishes a Corppass exchange: the entity and the acting
// person from the ID token, then for a Myinfo Business app (or a Login app
// that asked for roles) userinfo's blocks.
func (c *Client) entityResult(ctx context.Context, login *idconnect.Login, endpoint string, key crypto.Signer, accessToken, nonce string, claims *oidc.IDClaims) (*idconnect.Result, error) {
	tok, err := c.parseEntityIDToken(claims)
	if err != nil {
		return nil, err
	}
	raw, err := entityRaw(claims)
	if err != nil {
		return nil, c.errorf("id_token", "%w: %v", idconnect.ErrMalformed, err)
	}
	res := &idconnect.Result{Provider: c.cfg.Name, Subject: tok.Subject, Raw: raw, Model: tok}
	wantsRoles := slices.Contains(login.Attributes, ScopeAuthInfo) || slices.Contains(login.Attributes, ScopeTPAuthInfo)
	if c.cfg.App == Login && !wantsRoles {
		res.Person, res.Entity = tok.Act.SubAttributes.person(), tok.Entity()
		return res, nil
	}
	payload, err := c.fetchUserinfo(ctx, endpoint, key, accessToken, nonce, tok.Subject)
	if err != nil {
		return nil, err
	}
	biz, err := ParseBusinessUserinfo(payload)
	if err != nil {
		return nil, c.errorf(oidc.OpUserinfo, "%w: %v", idconnect.ErrMalformed, err)
	}
	biz.IDToken = tok
	if err := sameParties(tok, biz); err != nil {
		return nil, c.errorf(oidc.OpUserinfo, "%w: %v", idconnect.ErrSubjectMismatch, err)
	}
	if c.cfg.App == Login {
		// A Login app reads only the roles from userinfo.
		tok.AuthInfo, tok.TPAuthInfo = biz.AuthInfo, biz.TPAuthInfo
		res.Person, res.Entity = tok.Act.SubAttributes.person(), tok.Entity()
		return res, nil
	}
	res.Raw = json.RawMessage(payload)
	res.Model = biz
	res.Person, res.Entity = biz.Person(), biz.Entity()
	return res, nil
}

// sameParties refuses userinfo blocks that describe another entity or
// another person than the ID token names. Userinfo's sub already matched,
// so only a provider fault gets here; but a form filled with another
// company's or person's data is the worst thing a connector can deliver.
// An item that is absent is not compared.
func sameParties(tok *EntityIDToken, biz *Business) error {
	if ei := biz.EntityInfo; ei != nil && ei.BasicProfile != nil && ei.BasicProfile.RegistrationNumber != nil {
		got := ei.BasicProfile.RegistrationNumber.Value
		// sub is the UEN, or an identifier Corppass issued; an entity
		// without a UEN has its own number in sub_attributes.
		ok := strings.EqualFold(got, tok.Subject)
		if a := tok.SubAttributes; a != nil && a.EntityRegNumber != "" {
			ok = ok || strings.EqualFold(got, a.EntityRegNumber)
		}
		if !ok {
			return errors.New("entity_info names another entity than the id_token")
		}
	}
	if p := biz.PersonInfo; p != nil && p.UINFIN != nil && tok.Act != nil && tok.Act.SubAttributes != nil {
		if want := tok.Act.SubAttributes.IdentityNumber; want != "" && !strings.EqualFold(p.UINFIN.Value, want) {
			return errors.New("person_info names another person than the id_token's act")
		}
	}
	return nil
}

// parseEntityIDToken reads a Corppass ID token's entity subject and act.
func (c *Client) parseEntityIDToken(claims *oidc.IDClaims) (*EntityIDToken, error) {
	tok := &EntityIDToken{Subject: claims.Subject}
	for name, dst := range map[string]any{"sub_type": &tok.SubType, "amr": &tok.AMR, "acr": &tok.ACR} {
		if v, ok := claims.Raw[name]; ok && json.Unmarshal(v, dst) != nil {
			return nil, c.errorf("id_token", "%w: %s has the wrong type", idconnect.ErrMalformed, name)
		}
	}
	if tok.SubType != "" && tok.SubType != "entity" {
		return nil, c.errorf("id_token", "%w: sub_type is not entity: is the issuer Corppass?", idconnect.ErrTokenInvalid)
	}
	if v, ok := claims.Raw["sub_attributes"]; ok && !isNull(v) {
		tok.SubAttributes = new(EntityAttributes)
		if !isObjectJSON(v) || json.Unmarshal(v, tok.SubAttributes) != nil {
			return nil, c.errorf("id_token", "%w: sub_attributes is not the expected object", idconnect.ErrMalformed)
		}
	}
	v, ok := claims.Raw["act"]
	if !ok || isNull(v) {
		return nil, c.errorf("id_token", "%w: act is missing: Corppass names the person acting for the entity in every ID token", idconnect.ErrTokenInvalid)
	}
	tok.Act = new(IDToken)
	if !isObjectJSON(v) || json.Unmarshal(v, tok.Act) != nil {
		return nil, c.errorf("id_token", "%w: act is not the expected object", idconnect.ErrMalformed)
	}
	if !token(tok.Act.Subject, 255) {
		return nil, c.errorf("id_token", "%w: act has no sub", idconnect.ErrTokenInvalid)
	}
	if tok.Act.SubType != "" && tok.Act.SubType != "user" {
		return nil, c.errorf("id_token", "%w: act.sub_type is not user", idconnect.ErrTokenInvalid)
	}
	return tok, nil
}

// entityRaw is a Corppass Login result's Raw: the ID token's sub,
// sub_type, sub_attributes and act, each exactly as signed.
func entityRaw(claims *oidc.IDClaims) (json.RawMessage, error) {
	out := map[string]json.RawMessage{}
	for _, name := range []string{"sub", "sub_type", "sub_attributes", "act"} {
		if v, ok := claims.Raw[name]; ok {
			out[name] = v
		}
	}
	return json.Marshal(out)
}

func isNull(v json.RawMessage) bool { return bytes.Equal(bytes.TrimSpace(v), []byte("null")) }

func isObjectJSON(v json.RawMessage) bool {
	v = bytes.TrimSpace(v)
	return len(v) > 0 && v[0] == '{'
}

// Entity is the normalised entity of an ID token: sub_attributes, with
// sub as the registration number when entity.identity was not granted,
// and the roles when userinfo gave them.
func (t *EntityIDToken) Entity() *idconnect.Entity {
	e := new(idconnect.Entity)
	if a := t.SubAttributes; a != nil {
		e.RegistrationNumber = plainField(a.EntityRegNumber)
		e.RegistrationType = plainField(a.EntityType)
		e.Name = plainField(a.EntityName)
		e.Status = plainField(a.EntityUENStatus)
		e.CountryOfIncorporation = plainField(a.EntityCOI)
	}
	if e.RegistrationNumber == nil {
		e.RegistrationNumber = plainField(t.Subject)
	}
	e.Roles = roles(t.AuthInfo, t.TPAuthInfo)
	return e
}

// Person is the normalised acting person of a Myinfo Business login:
// person_info, with the ID token's act and the Corppass account email
// filling what person_info lacks.
func (b *Business) Person() *idconnect.Person {
	p := b.PersonInfo.Normalize()
	if b.IDToken != nil && b.IDToken.Act != nil {
		act := b.IDToken.Act.SubAttributes.person()
		if p.IDNumber == nil {
			p.IDNumber = act.IDNumber
		}
		if p.Name == nil {
			p.Name = act.Name
		}
		if p.Email == nil {
			p.Email = act.Email
		}
	}
	if p.Email == nil && b.CorppassInfo != nil {
		p.Email = plainField(b.CorppassInfo.Email)
	}
	return p
}

// Entity is the normalised entity of a Myinfo Business login: the ID
// token's entity, overlaid with entity_info where it has the item (with
// its provenance), and the roles.
func (b *Business) Entity() *idconnect.Entity {
	var e *idconnect.Entity
	if b.IDToken != nil {
		e = b.IDToken.Entity()
	} else {
		e = new(idconnect.Entity)
	}
	e.Roles = roles(b.AuthInfo, b.TPAuthInfo)
	ei := b.EntityInfo
	if ei == nil {
		return e
	}
	set := func(dst **idconnect.Field, f *idconnect.Field) {
		if f != nil {
			*dst = f
		}
	}
	if bp := ei.BasicProfile; bp != nil && !bp.Unavailable {
		set(&e.Name, valueField(bp.Name))
		set(&e.RegistrationNumber, valueField(bp.RegistrationNumber))
		set(&e.Type, codeField(bp.Type))
		set(&e.Status, codeField(bp.UENStatus))
		set(&e.CountryOfIncorporation, codeField(bp.CountryOfIncorporation))
		set(&e.RegistrationDate, valueField(bp.RegistrationDate))
	}
	if ei.Address != nil {
		// The address item is Myinfo's regadd shape: normalised as one.
		e.Addresses = (&myinfo.Person{RegAdd: ei.Address}).Normalize().Addresses
	}
	for _, a := range ei.Appointments {
		if a.Unavailable {
			continue
		}
		e.Appointments = append(e.Appointments, idconnect.Appointment{
			Holder:   party(a.IndividualAppointment, a.EntityAppointment),
			Position: codeField(a.Position),
			Date:     valueField(a.AppointmentDate),
		})
	}
	for _, s := range ei.Shareholders {
		if s.Unavailable {
			continue
		}
		e.Shareholders = append(e.Shareholders, idconnect.Shareholding{
			Holder:    party(s.IndividualShareholder, s.EntityShareholder),
			Shares:    valueField(s.Allocation),
			ShareType: codeField(s.ShareType),
			Currency:  codeField(s.Currency),
		})
	}
	return e
}

func party(person *IndividualParty, entity *EntityParty) idconnect.Party {
	switch {
	case person != nil:
		return idconnect.Party{Kind: "person", Name: valueField(person.Name), IDNumber: valueField(person.IDNumber),
			Nationality: codeField(person.Nationality)}
	case entity != nil:
		return idconnect.Party{Kind: "entity", Name: valueField(entity.Name), IDNumber: valueField(entity.RegistrationNumber)}
	}
	return idconnect.Party{}
}

// roles flattens auth_info and tp_auth_info into the entity's roles.
func roles(ai *AuthInfo, tp *TPAuthInfo) []idconnect.Role {
	var out []idconnect.Role
	role := func(service string, r AuthRow) idconnect.Role {
		x := idconnect.Role{Service: service, Role: r.Role, SubEntity: r.SubEntity, Start: r.StartDate, End: r.EndDate}
		for _, p := range r.Parameters {
			if x.Parameters == nil {
				x.Parameters = map[string]string{}
			}
			x.Parameters[p.Name] = p.Value
		}
		return x
	}
	if ai != nil {
		for _, s := range ai.ResultSet.Services {
			for _, r := range s.Roles.Rows {
				out = append(out, role(s.ServiceID, r))
			}
		}
	}
	if tp != nil {
		for _, s := range tp.ResultSet.Services {
			for _, cl := range s.AuthSet.Clients {
				for _, r := range cl.Roles.Rows {
					x := role(s.ServiceID, r)
					x.ThirdParty, x.ClientID, x.SubEntity = true, cl.ClientID, r.ClientSubEntity
					out = append(out, x)
				}
			}
		}
	}
	return out
}

func plainField(v string) *idconnect.Field {
	if v == "" {
		return nil
	}
	return &idconnect.Field{Value: v}
}

func provenance(m myinfo.Meta) *idconnect.Provenance {
	if m.Source == "" && m.Classification == "" && m.LastUpdated == "" {
		return nil
	}
	return &idconnect.Provenance{Source: m.Source, Classification: m.Classification, LastUpdated: m.LastUpdated}
}

func valueField(v *myinfo.Value[string]) *idconnect.Field {
	s, ok := v.Get()
	if !ok || s == "" {
		return nil
	}
	return &idconnect.Field{Value: s, Provenance: provenance(v.Meta)}
}

func codeField(c *myinfo.Code) *idconnect.Field {
	code, ok := c.Get()
	if !ok || (code == "" && c.Desc == "") {
		return nil
	}
	return &idconnect.Field{Value: code, Description: c.Desc, Provenance: provenance(c.Meta)}
}
