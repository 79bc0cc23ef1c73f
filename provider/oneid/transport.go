package oneid

import (
	"bytes"
	"context"
	"errors"
	"io"
	"mime"
	"net"
	"net/http"
	"strconv"

	"github.com/idconnect/idconnect"
	"github.com/idconnect/idconnect/internal/httpx"
	"github.com/idconnect/idconnect/internal/oidc"
)

// do sends req and reads the answer, capped at MaxResponseBytes. Unlike
// oidc.Caller.Do it keeps the answer's x-request-id on every error after
// an answer arrived (a redirect, an oversized or broken body). Errors
// never contain the URL.
func (c *Client) do(req *http.Request, op string) (*oidc.Response, error) {
	resp, err := c.caller.HTTP.Do(req)
	if err != nil {
		return nil, c.transportError(op, err)
	}
	defer resp.Body.Close()
	if httpx.IsRedirect(resp.StatusCode) {
		// The Location is not repeated: it may carry anything.
		return nil, withRequestID(op, resp.Header, c.errorf(op, "%w: redirect (HTTP %d) refused", idconnect.ErrProviderUnavailable, resp.StatusCode))
	}
	body, err := httpx.ReadAll(resp.Body, c.cfg.MaxResponseBytes)
	if errors.Is(err, httpx.ErrTooLarge) {
		return nil, withRequestID(op, resp.Header, c.errorf(op, "%w: answer larger than %d bytes", idconnect.ErrMalformed, c.cfg.MaxResponseBytes))
	}
	if err != nil {
		return nil, withRequestID(op, resp.Header, c.transportError(op, err))
	}
	return &oidc.Response{StatusCode: resp.StatusCode, Header: resp.Header, Body: body}, nil
}

// transportError classifies a failed call from fixed words only: err's
// text quotes the URL.
func (c *Client) transportError(op string, err error) error {
	var nerr net.Error
	switch {
	case errors.Is(err, context.DeadlineExceeded) || errors.As(err, &nerr) && nerr.Timeout():
		return c.errorf(op, "%w", idconnect.ErrProviderTimeout)
	case errors.Is(err, context.Canceled):
		return c.errorf(op, "%w", context.Canceled)
	}
	return c.errorf(op, "%w", idconnect.ErrProviderUnavailable)
}

// pdfMagic starts every PDF file.
var pdfMagic = []byte("%PDF-")

// report downloads the PDF report, streamed with a cap: the status, the
// Content-Type (application/pdf) and a declared Content-Length are
// checked before the body is read, the %PDF- magic after its first bytes,
// and reading stops one byte past MaxReportBytes.
func (c *Client) report(ctx context.Context, accessToken string) (idconnect.Document, error) {
	fail := func(h http.Header, format string, a ...any) (idconnect.Document, error) {
		return idconnect.Document{}, withRequestID(OpReport, h, c.errorf(OpReport, format, a...))
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.base+c.cfg.ReportPath, nil)
	if err != nil {
		return fail(nil, "cannot build the request") // err quotes the URL
	}
	req.Header.Set("Authorization", "Bearer "+accessToken)
	req.Header.Set("Accept", "application/pdf")
	resp, err := c.caller.HTTP.Do(req)
	if err != nil {
		return idconnect.Document{}, c.transportError(OpReport, err)
	}
	defer resp.Body.Close()
	h := resp.Header
	switch {
	case httpx.IsRedirect(resp.StatusCode):
		return fail(h, "%w: redirect (HTTP %d) refused", idconnect.ErrProviderUnavailable, resp.StatusCode)
	case resp.StatusCode != http.StatusOK:
		body, _ := httpx.ReadAll(resp.Body, c.cfg.MaxResponseBytes)
		return idconnect.Document{}, withRequestID(OpReport, h, c.caller.OAuthError(OpReport, &oidc.Response{StatusCode: resp.StatusCode, Header: h, Body: body}))
	}
	if mt, _, err := mime.ParseMediaType(h.Get("Content-Type")); err != nil || mt != "application/pdf" {
		return fail(h, "%w: Content-Type is not application/pdf", idconnect.ErrMalformed)
	}
	if n, err := strconv.ParseInt(h.Get("Content-Length"), 10, 64); err == nil && n > c.cfg.MaxReportBytes {
		return fail(h, "%w: report larger than %d bytes", idconnect.ErrMalformed, c.cfg.MaxReportBytes)
	}
	head := make([]byte, len(pdfMagic))
	if _, err := io.ReadFull(resp.Body, head); err != nil || !bytes.Equal(head, pdfMagic) {
		return fail(h, "%w: not a PDF (no %%PDF- header)", idconnect.ErrMalformed)
	}
	rest, err := httpx.ReadAll(resp.Body, c.cfg.MaxReportBytes-int64(len(head)))
	if errors.Is(err, httpx.ErrTooLarge) {
		return fail(h, "%w: report larger than %d bytes", idconnect.ErrMalformed, c.cfg.MaxReportBytes)
	}
	if err != nil {
		return idconnect.Document{}, withRequestID(OpReport, h, c.transportError(OpReport, err))
	}
	return idconnect.Document{Name: "report", ContentType: "application/pdf", Data: append(head, rest...)}, nil
}
