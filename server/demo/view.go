package demo

import "github.com/idconnect/idconnect"

// view is what the page receives from ResultPath: the values of one
// section after a login, or the message of a failed one.
type view struct {
	// State is "filled" or "error".
	State    string `json:"state"`
	Provider string `json:"provider,omitempty"`
	// Button is the provider's button label, for the retry button.
	Button string `json:"button,omitempty"`
	// Source names the provider in notes ("Not available from Myinfo").
	Source  string `json:"source,omitempty"`
	Section string `json:"section,omitempty"`
	// Fields are the section's values by element id. A field the
	// provider did not give is absent: the person fills it in.
	Fields map[string]fieldView `json:"fields,omitempty"`
	// Missing are the section's fields the provider did not give.
	Missing []string `json:"missing,omitempty"`
	// Unverified are values the provider passed on unverified, shown
	// apart from the form.
	Unverified []item   `json:"unverified,omitempty"`
	Message    *message `json:"message,omitempty"`
}

// fieldView is one prefilled value with where it comes from.
type fieldView struct {
	Value    string `json:"value"`
	Verified bool   `json:"verified"`
	// Source says who vouches for the value, e.g. "Verified by the
	// government, from Myinfo".
	Source  string `json:"source"`
	Updated string `json:"updated,omitempty"` // YYYY-MM-DD
}

// message is what the page says about a failed login.
type message struct {
	Code  string `json:"code"`
	Title string `json:"title"`
	Text  string `json:"text"`
	// Retry is true when starting again may help.
	Retry bool `json:"retry"`
}

// formView maps a result to its provider's section.
func (a *App) formView(p Provider, r *result) *view {
	v := &view{State: "filled", Provider: p.Name, Button: p.Button, Source: p.Source, Section: p.Section, Fields: map[string]fieldView{}}
	for _, s := range a.sections {
		if s.ID != p.Section {
			continue
		}
		for _, f := range s.Fields {
			got := f.value(r)
			if got == nil || got.Value == "" {
				v.Missing = append(v.Missing, f.ID)
				continue
			}
			src, verified := sourceText(p.Source, got.Provenance)
			fv := fieldView{Value: got.Value, Verified: verified, Source: src}
			if got.Provenance != nil {
				fv.Updated = got.Provenance.LastUpdated
			}
			v.Fields[f.ID] = fv
		}
		if s.unverified != nil {
			v.Unverified = s.unverified(r)
		}
	}
	return v
}

// errorView is the message for an error code of idconnect's handoff (or
// of the demo itself), for a login with provider.
func (a *App) errorView(provider, code string) *view {
	p := a.providers[provider]
	return &view{State: "error", Provider: p.Name, Button: p.Button, Source: p.Source, Section: p.Section, Message: messageFor(code)}
}

// messageFor says what a failed login means for the person, and whether
// trying again can help. Codes are idconnect's error codes.
func messageFor(code string) *message {
	m := &message{Code: idconnect.SafeCode(code), Retry: true}
	switch code {
	case "CONSENT_DENIED":
		m.Title = "Nothing was shared"
		m.Text = "You chose not to share your details, so the form was not filled. You can fill it in yourself, or try again."
	case "LOGIN_EXPIRED":
		m.Title = "Your login expired"
		m.Text = "The login took too long and has expired. Nothing was shared. Please start again."
	case "LOGIN_UNKNOWN", "BROWSER_MISMATCH", "RESULT_USED", "RESULT_EXPIRED", "RESULT_UNKNOWN":
		m.Title = "This login cannot be used"
		m.Text = "The login was already used, took too long, or was started in another browser. Please start again."
	case "NOT_STARTED":
		m.Title = "No login was started here"
		m.Text = "This page received a login it did not start, so it ignored it. Use a button below to retrieve your details."
		m.Retry = false
	case "TOO_MANY_LOGINS", "PROVIDER_THROTTLED", "BUSY":
		m.Title = "Too many attempts"
		m.Text = "Too many logins were started just now. Wait a minute, then try again."
	default:
		m.Title = "The provider could not complete the login"
		m.Text = "Something went wrong at the identity provider or while reading its answer, so nothing was filled. Please try again later, or fill in the form yourself."
	}
	return m
}
