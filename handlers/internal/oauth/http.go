package oauth

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"
)

// maxBody bounds every response body the client reads.
const maxBody = 1 << 20

// userAgent identifies the client; GitHub's API refuses requests without one.
const userAgent = "gatehouse-oauth"

// do sends req and returns the status, the header and the body, read up to maxBody. A redirect
// is an ErrUpstream error.
func (p *Provider) do(req *http.Request) (int, http.Header, []byte, error) {
	if req.Header.Get("User-Agent") == "" {
		req.Header.Set("User-Agent", userAgent)
	}
	resp, err := p.hc.Do(req)
	if err != nil {
		return 0, nil, nil, upstreamErr(req.Method+" "+req.URL.Redacted(), err)
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 300 && resp.StatusCode < 400 {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxBody))
		return 0, nil, nil, upstream("%s %s answered %d (redirects are not followed; configure the final URL)",
			req.Method, req.URL.Redacted(), resp.StatusCode)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody+1))
	if err != nil {
		return 0, nil, nil, upstreamErr("read "+req.URL.Redacted(), err)
	}
	if len(body) > maxBody {
		return 0, nil, nil, upstream("%s: response larger than %d bytes", req.URL.Redacted(), maxBody)
	}
	return resp.StatusCode, resp.Header, body, nil
}

// getJSON GETs url and decodes a 200 answer's JSON body into v. Other statuses are returned
// with v untouched.
func (p *Provider) getJSON(ctx context.Context, url string, header http.Header, v any) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return 0, upstreamErr("GET "+url, err)
	}
	for k, vs := range header {
		req.Header[k] = vs
	}
	if req.Header.Get("Accept") == "" {
		req.Header.Set("Accept", "application/json")
	}
	status, h, body, err := p.do(req)
	if err != nil || status != http.StatusOK {
		return status, err
	}
	if !isJSON(h.Get("Content-Type")) {
		return status, upstream("GET %s: content type %q, want JSON", req.URL.Redacted(), h.Get("Content-Type"))
	}
	if err := json.Unmarshal(body, v); err != nil {
		return status, upstream("GET %s: %v", req.URL.Redacted(), err)
	}
	return status, nil
}

// isJSON tells whether a Content-Type is JSON (application/json, application/*+json) or absent.
func isJSON(ct string) bool {
	if ct == "" {
		return true
	}
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil {
		return false
	}
	return mt == "application/json" || strings.HasPrefix(mt, "application/") && strings.HasSuffix(mt, "+json")
}

// flexString reads a JSON string or number as its text (expires_in arrives both ways).
type flexString string

// UnmarshalJSON implements json.Unmarshaler.
func (f *flexString) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		return nil
	}
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*f = flexString(s)
		return nil
	}
	var n json.Number
	if err := json.Unmarshal(b, &n); err != nil {
		return fmt.Errorf("want a string or a number, got %s", b)
	}
	*f = flexString(n)
	return nil
}

// flexBool reads a JSON boolean or the strings "true" and "false" (some providers send
// email_verified as a string); anything else is false.
type flexBool bool

// UnmarshalJSON implements json.Unmarshaler.
func (f *flexBool) UnmarshalJSON(b []byte) error {
	switch string(b) {
	case "true", `"true"`:
		*f = true
	default:
		*f = false
	}
	return nil
}
