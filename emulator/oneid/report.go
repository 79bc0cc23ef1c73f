package oneid

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/go-pdf/fpdf"
)

// handleReport serves GET {ReportPath} (scope openid): a PDF of the
// person's data for the granted scopes, verified and unverified apart.
func (s *Server) handleReport(w http.ResponseWriter, r *http.Request) {
	g, p := s.bearer(w, r, "openid")
	if g == nil {
		return
	}
	h := w.Header()
	switch {
	case s.faults.ReportNotPDF():
		h.Set("Content-Type", "application/pdf")
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write([]byte("<!doctype html><html><body><h1>Service error</h1><p>The report could not be generated.</p></body></html>\n"))
		return
	case s.faults.ReportOversize() > 0:
		h.Set("Content-Type", "application/pdf")
		h.Set("Content-Disposition", `inline; filename="oneid-report.pdf"`)
		w.WriteHeader(http.StatusOK)
		streamPadding(w, s.faults.ReportOversize())
		return
	}
	pdf, err := s.reportPDF(p, g.scopes, s.now())
	if err != nil {
		writeError(w, errServer)
		return
	}
	h.Set("Content-Type", "application/pdf")
	h.Set("Content-Disposition", `inline; filename="oneid-report.pdf"`)
	h.Set("Content-Length", strconv.Itoa(len(pdf)))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(pdf)
}

// streamPadding writes size bytes: a PDF header, then comment lines, in
// 32 KiB chunks, stopping when the client goes away.
func streamPadding(w http.ResponseWriter, size int64) {
	const chunk = 32 << 10
	line := []byte("% padding: the OneID emulator's oversize-report fault\n")
	buf := make([]byte, 0, chunk+len(line))
	buf = append(buf, "%PDF-1.4\n"...)
	var sent int64
	for sent < size {
		for len(buf) < chunk {
			buf = append(buf, line...)
		}
		if rest := size - sent; int64(len(buf)) > rest {
			buf = buf[:rest]
		}
		n, err := w.Write(buf)
		sent += int64(n)
		if err != nil {
			return
		}
		buf = buf[:0]
	}
}

// claimLabels orders and names the claims the report shows.
var claimLabels = []struct{ claim, label string }{
	{"name", "Name"},
	{"given_name", "Given name"},
	{"family_name", "Family name"},
	{"birthdate", "Date of birth"},
	{"address", "Address"},
	{"email", "Email"},
	{"phone_number", "Phone number"},
	{"age_over_18", "Over 18"},
	{"fraud", "Fraud checks"},
}

// reportPDF renders the report with fpdf: a title, the subject, each
// verified claim of the granted scopes, and the unverified claims apart.
// Dates in the document come from now, so equal inputs give equal bytes.
func (s *Server) reportPDF(p *person, scopes []string, now time.Time) ([]byte, error) {
	data := s.userinfo(p, scopes)
	pdf := fpdf.New("P", "mm", "A4", "")
	pdf.SetCreationDate(now)
	pdf.SetModificationDate(now)
	pdf.SetCatalogSort(true)
	pdf.SetTitle("OneID identity report", true)
	pdf.SetAuthor("OneID emulator", true)
	pdf.SetCreator("idconnect OneID emulator", true)
	pdf.SetMargins(20, 20, 20)
	tr := pdf.UnicodeTranslatorFromDescriptor("") // cp1252 for the core fonts
	pdf.AddPage()

	pdf.SetFillColor(138, 28, 28)
	pdf.SetTextColor(255, 255, 255)
	pdf.SetFont("Helvetica", "B", 10)
	pdf.CellFormat(0, 8, tr("EMULATOR - test data, not issued by OneID"), "", 1, "C", true, 0, "")
	pdf.Ln(4)
	pdf.SetTextColor(0, 0, 0)
	pdf.SetFont("Helvetica", "B", 18)
	pdf.CellFormat(0, 10, tr("OneID identity report"), "", 1, "L", false, 0, "")
	pdf.SetFont("Helvetica", "", 10)
	pdf.CellFormat(0, 6, tr("Generated "+now.UTC().Format("2 January 2006 15:04 MST")), "", 1, "L", false, 0, "")
	pdf.CellFormat(0, 6, tr("Subject "+p.sub), "", 1, "L", false, 0, "")
	pdf.Ln(4)

	section := func(title string, claims map[string]json.RawMessage) {
		pdf.SetFont("Helvetica", "B", 13)
		pdf.CellFormat(0, 9, tr(title), "B", 1, "L", false, 0, "")
		pdf.Ln(2)
		for _, cl := range claimLabels {
			raw, ok := claims[cl.claim]
			if !ok {
				continue
			}
			pdf.SetFont("Helvetica", "B", 11)
			pdf.CellFormat(45, 7, tr(cl.label), "", 0, "L", false, 0, "")
			pdf.SetFont("Helvetica", "", 11)
			pdf.MultiCell(0, 7, tr(displayValue(raw)), "", "L", false)
		}
		pdf.Ln(4)
	}
	section("Verified by the person's bank", data)
	if raw, ok := data["unverified_claims"]; ok {
		var uc struct {
			Claims map[string]json.RawMessage `json:"claims"`
		}
		if json.Unmarshal(raw, &uc) == nil && len(uc.Claims) > 0 {
			section("Provided by the person, not verified", uc.Claims)
		}
	}
	var buf bytes.Buffer
	if err := pdf.Output(&buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// displayValue renders a claim for the report: strings as they are,
// booleans as Yes/No, an address as its lines, an object as "key: value"
// lines in key order.
func displayValue(raw json.RawMessage) string {
	var v any
	if json.Unmarshal(raw, &v) != nil {
		return ""
	}
	switch x := v.(type) {
	case string:
		return x
	case bool:
		if x {
			return "Yes"
		}
		return "No"
	case map[string]any:
		if _, ok := x["street_address"]; ok {
			var lines []string
			for _, k := range []string{"street_address", "locality", "region", "postal_code", "country"} {
				if s, ok := x[k].(string); ok && s != "" {
					lines = append(lines, s)
				}
			}
			return strings.Join(lines, "\n")
		}
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		var lines []string
		for _, k := range keys {
			lines = append(lines, k+": "+displayValue(mustJSON(x[k])))
		}
		return strings.Join(lines, "\n")
	default:
		return fmt.Sprint(x)
	}
}
