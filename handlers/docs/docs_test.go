package docs

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/go-chi/chi/v5"
)

var testSpecs = []Spec{
	{Name: "emailcode", Title: "Email code sign-in", URL: "/api/v1/auth/openapi.json"},
	{Name: "admin", Title: "Administration", URL: "/api/v1/admin/openapi.json"},
	{Name: "health", URL: "/api/v1/health/openapi.json"}, // no Title: label is the name
}

// newRouter mounts the handler the way the server does.
func newRouter(specs []Spec) http.Handler {
	h := Handler(specs)
	r := chi.NewRouter()
	r.Handle("/docs", h)
	r.Handle("/docs/*", h)
	return r
}

func do(t *testing.T, h http.Handler, method, target string, header http.Header) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(method, target, nil)
	for k, vs := range header {
		for _, v := range vs {
			req.Header.Add(k, v)
		}
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

var configRE = regexp.MustCompile(`(?s)<script type="application/json" id="docs-config">(.*?)</script>`)

// pageConfigOf extracts the configuration that docs.js hands to Swagger UI.
func pageConfigOf(t *testing.T, body string) pageConfig {
	t.Helper()
	m := configRE.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("page has no docs-config script:\n%s", body)
	}
	var cfg pageConfig
	if err := json.Unmarshal([]byte(m[1]), &cfg); err != nil {
		t.Fatalf("docs-config is not JSON: %v\n%s", err, m[1])
	}
	return cfg
}

func TestIndexListsEverySpec(t *testing.T) {
	r := newRouter(testSpecs)
	for _, target := range []string{"/docs", "/docs/", "/docs/index.html"} {
		t.Run(target, func(t *testing.T) {
			rec := do(t, r, http.MethodGet, target, nil)
			if rec.Code != http.StatusOK {
				t.Fatalf("status %d, want 200", rec.Code)
			}
			if ct := rec.Header().Get("Content-Type"); ct != "text/html; charset=utf-8" {
				t.Errorf("Content-Type %q", ct)
			}
			if cc := rec.Header().Get("Cache-Control"); cc != "no-cache" {
				t.Errorf("Cache-Control %q, want no-cache", cc)
			}
			csp := rec.Header().Get("Content-Security-Policy")
			for _, want := range []string{"default-src 'none'", "script-src 'self'", "connect-src 'self'", "frame-ancestors 'none'"} {
				if !strings.Contains(csp, want) {
					t.Errorf("Content-Security-Policy %q lacks %q", csp, want)
				}
			}
			if strings.Contains(csp, "unsafe-eval") || strings.Contains(csp, "script-src 'self' 'unsafe-inline'") {
				t.Errorf("Content-Security-Policy too loose: %q", csp)
			}

			body := rec.Body.String()
			cfg := pageConfigOf(t, body)
			if len(cfg.URLs) != len(testSpecs) {
				t.Fatalf("config has %d urls, want %d: %+v", len(cfg.URLs), len(testSpecs), cfg.URLs)
			}
			for i, s := range testSpecs {
				label := s.Title
				if label == "" {
					label = s.Name
				}
				want := configURL{URL: s.URL, Name: label, API: s.Name}
				if cfg.URLs[i] != want {
					t.Errorf("urls[%d] = %+v, want %+v", i, cfg.URLs[i], want)
				}
				// The no-JavaScript fallback lists them too.
				if !strings.Contains(body, `<a href="`+s.URL+`">`) || !strings.Contains(body, "<code>"+s.Name+"</code>") {
					t.Errorf("page does not list %s (%s)", s.Name, s.URL)
				}
			}
			if cfg.PrimaryName != "Email code sign-in" {
				t.Errorf("primaryName %q, want the first spec", cfg.PrimaryName)
			}
			if cfg.OAuth2RedirectPath != "/docs/assets/oauth2-redirect.html" {
				t.Errorf("oauth2RedirectPath %q", cfg.OAuth2RedirectPath)
			}
			for _, want := range []string{"swagger-ui-bundle.js", "swagger-ui-standalone-preset.js", "docs.js", "swagger-ui.css"} {
				if !strings.Contains(body, `/docs/assets/`+want+`?v=`) {
					t.Errorf("page does not load %s", want)
				}
			}
			if strings.Contains(body, "http://") || strings.Contains(body, "https://") {
				t.Errorf("page refers to an absolute URL:\n%s", body)
			}
		})
	}
}

func TestAPIQueryPreselects(t *testing.T) {
	r := newRouter(testSpecs)
	cases := []struct{ query, want string }{
		{"?api=admin", "Administration"},
		{"?api=health", "health"},
		{"?api=emailcode", "Email code sign-in"},
		{"?api=nosuch", "Email code sign-in"},
		{"?api=", "Email code sign-in"},
	}
	for _, c := range cases {
		for _, p := range []string{"/docs", "/docs/"} {
			rec := do(t, r, http.MethodGet, p+c.query, nil)
			if rec.Code != http.StatusOK {
				t.Fatalf("%s%s: status %d", p, c.query, rec.Code)
			}
			body := rec.Body.String()
			if got := pageConfigOf(t, body).PrimaryName; got != c.want {
				t.Errorf("%s%s: primaryName %q, want %q", p, c.query, got, c.want)
			}
			if !strings.Contains(body, "<title>"+c.want+" · API reference</title>") {
				t.Errorf("%s%s: title does not name %q", p, c.query, c.want)
			}
		}
	}
}

func TestConfigIsEscaped(t *testing.T) {
	r := newRouter([]Spec{{Name: "x", Title: `</script><script>alert(1)</script>`, URL: "/a.json"}})
	body := do(t, r, http.MethodGet, "/docs", nil).Body.String()
	if strings.Contains(body, "<script>alert(1)") {
		t.Fatalf("title not escaped:\n%s", body)
	}
	if got := pageConfigOf(t, body).URLs[0].Name; got != `</script><script>alert(1)</script>` {
		t.Errorf("label round trip: %q", got)
	}
}

func TestDuplicateLabelsMadeUnique(t *testing.T) {
	r := newRouter([]Spec{
		{Name: "a", Title: "Same", URL: "/a.json"},
		{Name: "b", Title: "Same", URL: "/b.json"},
	})
	cfg := pageConfigOf(t, do(t, r, http.MethodGet, "/docs?api=b", nil).Body.String())
	if cfg.URLs[0].Name == cfg.URLs[1].Name {
		t.Fatalf("labels not unique: %+v", cfg.URLs)
	}
	if cfg.PrimaryName != cfg.URLs[1].Name {
		t.Errorf("primaryName %q, want %q", cfg.PrimaryName, cfg.URLs[1].Name)
	}
}

func TestNoSpecs(t *testing.T) {
	rec := do(t, newRouter(nil), http.MethodGet, "/docs", nil)
	if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), "No API is mounted") {
		t.Fatalf("status %d, body:\n%s", rec.Code, rec.Body)
	}
}

var assetRefRE = regexp.MustCompile(`(?:src|href)="(/docs/assets/[^"]+)"`)

func TestAssetsServed(t *testing.T) {
	r := newRouter(testSpecs)
	page := do(t, r, http.MethodGet, "/docs", nil).Body.String()
	refs := assetRefRE.FindAllStringSubmatch(page, -1)
	if len(refs) < 6 {
		t.Fatalf("page refers to %d assets, want at least 6", len(refs))
	}
	wantType := map[string]string{
		".js":  "text/javascript; charset=utf-8",
		".css": "text/css; charset=utf-8",
		".png": "image/png",
	}
	for _, ref := range refs {
		target := strings.ReplaceAll(ref[1], "&amp;", "&")
		t.Run(target, func(t *testing.T) {
			rec := do(t, r, http.MethodGet, target, nil)
			if rec.Code != http.StatusOK {
				t.Fatalf("status %d", rec.Code)
			}
			ext := target[strings.LastIndex(target, "."):strings.Index(target, "?")]
			if ct := rec.Header().Get("Content-Type"); ct != wantType[ext] {
				t.Errorf("Content-Type %q, want %q", ct, wantType[ext])
			}
			if cc := rec.Header().Get("Cache-Control"); cc != "public, max-age=31536000, immutable" {
				t.Errorf("Cache-Control %q", cc)
			}
			if rec.Header().Get("X-Content-Type-Options") != "nosniff" {
				t.Error("no X-Content-Type-Options: nosniff")
			}
			etag := rec.Header().Get("ETag")
			if etag == "" {
				t.Fatal("no ETag")
			}
			if rec.Body.Len() == 0 {
				t.Fatal("empty body")
			}
			rec2 := do(t, r, http.MethodGet, target, http.Header{"If-None-Match": {etag}})
			if rec2.Code != http.StatusNotModified {
				t.Errorf("If-None-Match: status %d, want 304", rec2.Code)
			}
		})
	}
}

func TestAssetOtherFiles(t *testing.T) {
	r := newRouter(testSpecs)
	for target, want := range map[string]string{
		"/docs/assets/oauth2-redirect.html":             "text/html; charset=utf-8",
		"/docs/assets/oauth2-redirect.js":               "text/javascript; charset=utf-8",
		"/docs/assets/LICENSE":                          "text/plain; charset=utf-8",
		"/docs/assets/swagger-ui-bundle.js.LICENSE.txt": "text/plain; charset=utf-8",
	} {
		rec := do(t, r, http.MethodGet, target, nil)
		if rec.Code != http.StatusOK || rec.Header().Get("Content-Type") != want {
			t.Errorf("%s: status %d, Content-Type %q, want 200 %q", target, rec.Code, rec.Header().Get("Content-Type"), want)
		}
		// Without ?v= the URL is not content-addressed: short cache.
		if cc := rec.Header().Get("Cache-Control"); cc != "public, max-age=3600" {
			t.Errorf("%s: Cache-Control %q", target, cc)
		}
	}
}

func TestAssetGzip(t *testing.T) {
	r := newRouter(testSpecs)
	plain := do(t, r, http.MethodGet, "/docs/assets/swagger-ui-bundle.js", nil)
	zipped := do(t, r, http.MethodGet, "/docs/assets/swagger-ui-bundle.js", http.Header{"Accept-Encoding": {"gzip, deflate, br"}})
	if plain.Header().Get("Content-Encoding") != "" {
		t.Error("compressed without Accept-Encoding")
	}
	if zipped.Header().Get("Content-Encoding") != "gzip" {
		t.Fatalf("Content-Encoding %q, want gzip", zipped.Header().Get("Content-Encoding"))
	}
	if zipped.Header().Get("Vary") != "Accept-Encoding" {
		t.Errorf("Vary %q", zipped.Header().Get("Vary"))
	}
	if zipped.Header().Get("ETag") == plain.Header().Get("ETag") {
		t.Error("gzip and identity share an ETag")
	}
	if zipped.Body.Len() >= plain.Body.Len()/2 {
		t.Errorf("gzip body %d bytes for %d plain", zipped.Body.Len(), plain.Body.Len())
	}
	zr, err := gzip.NewReader(zipped.Body)
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, plain.Body.Bytes()) {
		t.Error("gunzipped body differs")
	}
	refused := do(t, r, http.MethodGet, "/docs/assets/swagger-ui-bundle.js", http.Header{"Accept-Encoding": {"gzip;q=0, identity"}})
	if refused.Header().Get("Content-Encoding") != "" {
		t.Error("compressed although gzip;q=0")
	}
}

func TestUnknownAssetIs404(t *testing.T) {
	r := newRouter(testSpecs)
	for _, target := range []string{
		"/docs/assets/nosuch.js",
		"/docs/assets/",
		"/docs/assets/README.md",              // in the folder, not embedded
		"/docs/assets/swagger-ui.css.map",     // source maps are not shipped
		"/docs/assets/swagger-ui-bundle.js/x", // no sub-paths
		"/docs/assets/../docs.go",
		"/docs/nosuch",
		"/docs/swagger-ui-bundle.js",
	} {
		if rec := do(t, r, http.MethodGet, target, nil); rec.Code != http.StatusNotFound {
			t.Errorf("%s: status %d, want 404", target, rec.Code)
		}
	}
}

func TestMethods(t *testing.T) {
	r := newRouter(testSpecs)
	for _, target := range []string{"/docs", "/docs/assets/docs.js"} {
		rec := do(t, r, http.MethodPost, target, nil)
		if rec.Code != http.StatusMethodNotAllowed || rec.Header().Get("Allow") != "GET, HEAD" {
			t.Errorf("POST %s: status %d, Allow %q", target, rec.Code, rec.Header().Get("Allow"))
		}
		head := do(t, r, http.MethodHead, target, nil)
		if head.Code != http.StatusOK || head.Body.Len() != 0 {
			t.Errorf("HEAD %s: status %d, %d body bytes", target, head.Code, head.Body.Len())
		}
	}
}

// TestNoExternalReferences guards against a refresh of the viewer or an
// edit of our files bringing in a CDN, web font or remote stylesheet.
func TestNoExternalReferences(t *testing.T) {
	for name, a := range loadAssets() {
		switch {
		case strings.HasSuffix(name, ".css"):
			for _, bad := range []string{"@import", "@font-face", "url(http", "url('http", `url("http`, "url(//"} {
				if bytes.Contains(a.data, []byte(bad)) {
					t.Errorf("%s contains %q", name, bad)
				}
			}
		case name == "docs.js" || strings.HasSuffix(name, ".html"):
			if bytes.Contains(a.data, []byte("http://")) || bytes.Contains(a.data, []byte("https://")) {
				t.Errorf("%s refers to an absolute URL", name)
			}
		}
	}
}

// TestInlineStylesAllowed checks that every <style> element the viewer
// renders is allowed by the Content-Security-Policy, so that a refresh of
// swagger-ui-dist that changes one shows up here and not as a broken page.
func TestInlineStylesAllowed(t *testing.T) {
	styleRE := regexp.MustCompile(`createElement\("style",(?:null|\{\}),"((?:[^"\\]|\\.)*)"\)`)
	found := 0
	for name, a := range loadAssets() {
		if !strings.HasSuffix(name, ".js") {
			continue
		}
		for _, m := range styleRE.FindAllSubmatch(a.data, -1) {
			found++
			var css string
			if err := json.Unmarshal([]byte(`"`+string(m[1])+`"`), &css); err != nil {
				t.Fatalf("%s: style %q: %v", name, m[1], err)
			}
			sum := sha256.Sum256([]byte(css))
			hash := "'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"
			if !strings.Contains(contentSecurityPolicy, hash) {
				t.Errorf("%s renders <style>%s</style>, whose hash %s is not in the Content-Security-Policy", name, css, hash)
			}
		}
	}
	if found == 0 {
		t.Log("no inline <style> found in the viewer; logoStyleHash may be dropped")
	}
}
