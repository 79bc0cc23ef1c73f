package server

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"time"

	"github.com/idconnect/idconnect"
	"github.com/idconnect/idconnect/store"
)

// DocumentTTL is how long a document link (such as OneID's PDF report)
// works after the login finished. It works once.
const DocumentTTL = 5 * time.Minute

// keepDocuments stores each document for one download by the browser that
// finished the login, and returns the links by document name. The store key
// hashes the handle with the browser binding, as the Flow does with states
// and codes: another browser holding the link finds nothing.
func (s *Server) keepDocuments(r *http.Request, docs []idconnect.Document) (map[string]string, error) {
	if len(docs) == 0 {
		return nil, nil
	}
	browser := s.flow.BrowserSecret(r)
	links := make(map[string]string, len(docs))
	for _, d := range docs {
		var raw [32]byte
		if _, err := rand.Read(raw[:]); err != nil {
			return nil, err
		}
		handle := base64.RawURLEncoding.EncodeToString(raw[:])
		if err := s.documents.Put(r.Context(), documentKey(handle, browser), encodeDocument(d), time.Now().Add(DocumentTTL)); err != nil {
			return nil, fmt.Errorf("server: keeping document: %w", err)
		}
		links[d.Name] = "/documents/" + handle
	}
	return links, nil
}

// document hands out a kept document, once.
func (s *Server) document(w http.ResponseWriter, r *http.Request) {
	b, err := s.documents.Take(r.Context(), documentKey(r.PathValue("handle"), s.flow.BrowserSecret(r)))
	if errors.Is(err, store.ErrNotFound) {
		s.writeError(w, r, errDocumentUnknown)
		return
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	d, err := decodeDocument(b)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	w.Header().Set("Content-Type", d.ContentType)
	w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": d.Name + extension(d.ContentType)}))
	w.Header().Set("Content-Security-Policy", "default-src 'none'; sandbox")
	w.Write(d.Data)
}

var errDocumentUnknown = errors.New("server: unknown, used or expired document link")

func documentKey(handle, browser string) string {
	sum := sha256.Sum256(fmt.Appendf(nil, "%d:%s|%s", len(handle), handle, browser))
	return "document:" + hex.EncodeToString(sum[:])
}

func extension(contentType string) string {
	if contentType == "application/pdf" {
		return ".pdf"
	}
	return ""
}

// encodeDocument frames a document as name and content type, each behind
// its length, then the data.
func encodeDocument(d idconnect.Document) []byte {
	b := binary.AppendUvarint(nil, uint64(len(d.Name)))
	b = append(b, d.Name...)
	b = binary.AppendUvarint(b, uint64(len(d.ContentType)))
	b = append(b, d.ContentType...)
	return append(b, d.Data...)
}

func decodeDocument(b []byte) (idconnect.Document, error) {
	var d idconnect.Document
	for _, dst := range []*string{&d.Name, &d.ContentType} {
		n, k := binary.Uvarint(b)
		if k <= 0 || n > uint64(len(b)-k) {
			return d, errors.New("server: kept document is corrupt")
		}
		*dst, b = string(b[k:k+int(n)]), b[k+int(n):]
	}
	d.Data = b
	return d, nil
}
