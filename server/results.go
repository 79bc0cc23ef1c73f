package server

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/idconnect/idconnect"
	"github.com/idconnect/idconnect/store"
)

// ResultTTL is how long a result handle works after the login finished.
// It works once; after that, or after ResultTTL, the data is gone.
const ResultTTL = 60 * time.Second

// resultMarkTTL is how long the service remembers, without any data, that
// a handle was issued or used, so that a late or second fetch gets a clear
// answer rather than "unknown".
const resultMarkTTL = 10 * time.Minute

// ResultKeySize is the size of Config.ResultKey: an AES-256 key.
const ResultKeySize = store.SealKeySize

// Errors of the result handoff; classify gives each its own code.
var (
	errResultUnauthorized = errors.New("server: result fetch without the API key")
	errResultUnknown      = errors.New("server: unknown result handle")
	errResultUsed         = errors.New("server: result already fetched")
	errResultExpired      = errors.New("server: result handle expired")
)

// inlineDocument is a document carried in a handed-off result: the
// application's backend has no browser cookie for a /documents link.
type inlineDocument struct {
	ContentType string `json:"content_type"`
	Data        []byte `json:"data"` // base64 in JSON
}

// resultKeys are the store keys of a handle: the sealed data, and a mark
// that holds no data, only whether the handle was issued or used and its
// deadline. Both hash the handle, so the store never holds a usable one.
func resultKeys(handle string) (data, mark string) {
	sum := sha256.Sum256([]byte(handle))
	h := hex.EncodeToString(sum[:])
	return "result:" + h, "result-mark:" + h
}

// resultMark is the value under a handle's mark key.
type resultMark struct {
	used     bool
	deadline time.Time // the data's expiry
	expires  time.Time // the mark's own expiry
}

func (m resultMark) encode() []byte {
	kind := "issued"
	if m.used {
		kind = "used"
	}
	return fmt.Appendf(nil, "%s|%d|%d", kind, m.deadline.UnixNano(), m.expires.UnixNano())
}

func decodeResultMark(b []byte) (resultMark, bool) {
	parts := strings.Split(string(b), "|")
	if len(parts) != 3 || (parts[0] != "issued" && parts[0] != "used") {
		return resultMark{}, false
	}
	d, err1 := strconv.ParseInt(parts[1], 10, 64)
	e, err2 := strconv.ParseInt(parts[2], 10, 64)
	if err1 != nil || err2 != nil {
		return resultMark{}, false
	}
	return resultMark{used: parts[0] == "used", deadline: time.Unix(0, d), expires: time.Unix(0, e)}, true
}

// handOff keeps data sealed for one fetch by the application's backend
// and redirects the browser to the return URL to with the handle. The URL
// carries the handle only: nothing personal.
func (s *Server) handOff(w http.ResponseWriter, r *http.Request, data finishData, to *url.URL) error {
	plain, err := json.Marshal(data)
	if err != nil {
		return err
	}
	var raw [32]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return err
	}
	handle := base64.RawURLEncoding.EncodeToString(raw[:])
	dataKey, markKey := resultKeys(handle)
	deadline := s.now().Add(ResultTTL)
	if err := s.results.Put(r.Context(), dataKey, plain, deadline); err != nil {
		return fmt.Errorf("server: keeping result: %w", err)
	}
	mark := resultMark{deadline: deadline, expires: deadline.Add(resultMarkTTL)}
	if err := s.results.Put(r.Context(), markKey, mark.encode(), mark.expires); err != nil {
		return fmt.Errorf("server: keeping result mark: %w", err)
	}
	redirectToApp(w, to, "result", handle)
	return nil
}

// redirectToApp sends the browser to the return URL to with one parameter
// added (the result handle, or an error code).
func redirectToApp(w http.ResponseWriter, to *url.URL, name, value string) {
	u := *to
	q := u.Query()
	q.Set(name, value)
	u.RawQuery = q.Encode()
	w.Header().Set("Location", u.String())
	w.WriteHeader(http.StatusFound)
}

// authorized reports whether r carries the API key as a Bearer token. The
// comparison is of SHA-256 digests in constant time, so neither the key's
// bytes nor its length leak through timing.
func (s *Server) authorized(r *http.Request) bool {
	const prefix = "bearer "
	h := r.Header.Get("Authorization")
	if len(h) <= len(prefix) || !strings.EqualFold(h[:len(prefix)], prefix) {
		return false
	}
	got := sha256.Sum256([]byte(strings.TrimSpace(h[len(prefix):])))
	want := sha256.Sum256([]byte(s.apiKey.Reveal()))
	return subtle.ConstantTimeCompare(got[:], want[:]) == 1
}

// result hands a result to the application's backend, once:
// {"message":"OK","data":{…}}, the generic callback's answer with the
// documents inline.
func (s *Server) result(w http.ResponseWriter, r *http.Request) {
	if !s.authorized(r) {
		w.Header().Set("WWW-Authenticate", `Bearer realm="idconnect"`)
		s.writeError(w, r, errResultUnauthorized)
		return
	}
	handle := r.PathValue("handle")
	if len(handle) > 64 {
		s.writeError(w, r, errResultUnknown)
		return
	}
	dataKey, markKey := resultKeys(handle)
	plain, err := s.results.Take(r.Context(), dataKey)
	if errors.Is(err, store.ErrNotFound) {
		s.writeError(w, r, s.resultMiss(r.Context(), markKey))
		return
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.markResultUsed(r.Context(), markKey)
	writeJSON(w, http.StatusOK, struct {
		Message string          `json:"message"`
		Data    json.RawMessage `json:"data"`
	}{"OK", plain})
}

// markResultUsed replaces a handle's mark with "used", so that a second
// fetch is told so. Failing to is not the fetch's failure.
func (s *Server) markResultUsed(ctx context.Context, markKey string) {
	b, err := s.results.Take(ctx, markKey)
	if err != nil {
		return
	}
	m, ok := decodeResultMark(b)
	if !ok {
		return
	}
	m.used = true
	m.expires = s.now().Add(resultMarkTTL)
	_ = s.results.Put(ctx, markKey, m.encode(), m.expires)
}

// resultMiss explains a fetch that found no data: a handle never issued
// (or forgotten), one already fetched, or one fetched too late. A handle
// whose data left before its deadline was fetched, even if the winning
// fetch has not marked it yet.
func (s *Server) resultMiss(ctx context.Context, markKey string) error {
	b, err := s.results.Take(ctx, markKey)
	if errors.Is(err, store.ErrNotFound) {
		return errResultUnknown
	}
	if err != nil {
		return err
	}
	m, ok := decodeResultMark(b)
	if !ok {
		return errResultUnknown
	}
	_ = s.results.Put(ctx, markKey, b, m.expires) // keep answering the same
	if !m.used && !s.now().Before(m.deadline) {
		return errResultExpired
	}
	return errResultUsed
}

// resultData is the answer of a finished login: the provider-neutral parts
// of the result, the provider's model, sodata where the provider has it,
// and the documents, as one-time links for the browser or inline for a
// handoff.
func (s *Server) resultData(r *http.Request, name string, login *idconnect.Login, res *idconnect.Result, inline bool) (finishData, error) {
	data := finishData{Provider: name, Subject: res.Subject, Person: res.Person, Entity: res.Entity, Model: res.Model}
	if inline {
		for _, d := range res.Documents {
			if data.InlineDocuments == nil {
				data.InlineDocuments = make(map[string]inlineDocument, len(res.Documents))
			}
			data.InlineDocuments[d.Name] = inlineDocument{ContentType: d.ContentType, Data: d.Data}
		}
	} else {
		var err error
		if data.Documents, err = s.keepDocuments(r, res.Documents); err != nil {
			return data, err
		}
	}
	if p, _ := s.flow.Provider(name); p != nil {
		if f, ok := p.(idconnect.Flattener); ok {
			var err error
			if data.Sodata, err = f.Flatten(login, res); err != nil {
				return data, fmt.Errorf("%w: %v", idconnect.ErrMalformed, err)
			}
		}
	}
	return data, nil
}
