// Package docs serves the API reference page at /docs: Swagger UI, embedded
// in the binary, showing the OpenAPI documents of the mounted APIs with a
// selector to switch between them.
//
// Everything the page loads comes from this server: the viewer's assets are
// served from /docs/assets/ (see assets/README.md for where they come from)
// and the configuration is rendered into the page by Go, so the page works
// offline and under a Content-Security-Policy without inline scripts.
package docs

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"path"
	"strconv"
	"strings"
	"sync"
	"time"
)

const (
	basePath     = "/docs"
	assetsPrefix = basePath + "/assets/"

	// contentSecurityPolicy lets Swagger UI run (its scripts and styles come
	// from this server; its icons are data: URIs; it fetches specs and sends
	// "Try it out" requests to this origin) and forbids everything else:
	// inline and third-party scripts, inline styles, external fonts, images
	// and requests, framing, and <base>.
	contentSecurityPolicy = "default-src 'none'; " +
		"script-src 'self'; " +
		"style-src 'self' '" + logoStyleHash + "'; " +
		"img-src 'self' data:; " +
		"font-src 'self' data:; " +
		"connect-src 'self'; " +
		"form-action 'self'; " +
		"base-uri 'none'; " +
		"frame-ancestors 'none'"

	// logoStyleHash allows the one inline <style> element Swagger UI
	// renders: the one inside the Swagger logo of the top bar
	// (swagger-ui-standalone-preset.js), which colours the logo.
	// TestInlineStylesAllowed recomputes it from the embedded assets.
	logoStyleHash = "sha256-RL3ie0nH+Lzz2YNqQN83mnU0J1ot4QL7b99vMdIX99w="

	// Cache lifetimes: asset URLs written by the page carry the asset's
	// content hash (?v=...), so those can be cached for good; a bare asset
	// URL gets a short lifetime plus ETag revalidation. The page itself is
	// always revalidated, since it holds the (small) configuration.
	cacheVersioned = "public, max-age=31536000, immutable"
	cacheBare      = "public, max-age=3600"
	cacheIndex     = "no-cache"

	// gzipMinSize is the smallest asset worth compressing.
	gzipMinSize = 1024
)

// Only the files the page needs are embedded (README.md is not).
//
//go:embed assets/*.js assets/*.css assets/*.png assets/*.html assets/*.txt assets/LICENSE assets/NOTICE
var assetFiles embed.FS

// Spec is one mounted API shown by the reference page.
type Spec struct {
	// Name identifies the API in the page address (/docs?api=<Name>),
	// e.g. "emailcode".
	Name string
	// Title is the label shown in the API selector; Name is used if empty.
	Title string
	// URL is where the API's OpenAPI document is served, e.g.
	// "/api/v1/auth/openapi.json".
	URL string
}

// Handler serves the page at /docs (and /docs/) and its assets under /docs/assets/.
//
// The page shows every spec in a selector, the first one selected unless the
// request names another with ?api=<Name>. It must be mounted at /docs, for
// example with chi: r.Handle("/docs", h); r.Handle("/docs/*", h). Any other
// path under /docs, including an unknown asset, gets 404.
func Handler(specs []Spec) http.Handler {
	h := &handler{assets: loadAssets()}
	seen := make(map[string]bool, len(specs))
	for _, s := range specs {
		label := s.Title
		if label == "" {
			label = s.Name
		}
		if label == "" {
			label = s.URL
		}
		// Swagger UI selects specs by label, so labels must be unique.
		if base := label; seen[label] {
			label = fmt.Sprintf("%s (%s)", base, s.Name)
			for i := 2; seen[label]; i++ {
				label = fmt.Sprintf("%s (%d)", base, i)
			}
		}
		seen[label] = true
		h.specs = append(h.specs, specView{Name: s.Name, Label: label, URL: s.URL})
	}
	return h
}

type handler struct {
	specs  []specView
	assets map[string]*asset
}

// specView is a spec as the page shows it.
type specView struct {
	Name  string
	Label string
	URL   string
}

// pageConfig is the configuration handed to assets/docs.js as JSON.
type pageConfig struct {
	URLs               []configURL `json:"urls"`
	PrimaryName        string      `json:"primaryName"`
	OAuth2RedirectPath string      `json:"oauth2RedirectPath"`
}

// configURL is one entry of Swagger UI's "urls" option, plus the spec's
// name for ?api=.
type configURL struct {
	URL  string `json:"url"`
	Name string `json:"name"`
	API  string `json:"api"`
}

type pageData struct {
	Title    string
	Specs    []specView
	Selected specView
	Config   pageConfig
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	hdr := w.Header()
	hdr.Set("Content-Security-Policy", contentSecurityPolicy)
	hdr.Set("X-Content-Type-Options", "nosniff")
	hdr.Set("X-Frame-Options", "DENY")
	hdr.Set("Referrer-Policy", "no-referrer")

	p := r.URL.Path
	switch {
	case p == basePath || p == basePath+"/" || p == basePath+"/index.html":
		if !allowRead(w, r) {
			return
		}
		h.serveIndex(w, r)
	case strings.HasPrefix(p, assetsPrefix):
		a, ok := h.assets[strings.TrimPrefix(p, assetsPrefix)]
		if !ok {
			http.NotFound(w, r)
			return
		}
		if !allowRead(w, r) {
			return
		}
		a.serve(w, r)
	default:
		http.NotFound(w, r)
	}
}

// allowRead answers 405 unless the request is a GET or HEAD.
func allowRead(w http.ResponseWriter, r *http.Request) bool {
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		return true
	}
	w.Header().Set("Allow", "GET, HEAD")
	http.Error(w, http.StatusText(http.StatusMethodNotAllowed), http.StatusMethodNotAllowed)
	return false
}

func (h *handler) serveIndex(w http.ResponseWriter, r *http.Request) {
	data := pageData{Title: "API reference", Specs: h.specs}
	if len(h.specs) > 0 {
		data.Selected = h.specs[0]
		if api := r.URL.Query().Get("api"); api != "" {
			for _, s := range h.specs {
				if s.Name == api {
					data.Selected = s
					break
				}
			}
		}
		data.Title = data.Selected.Label + " · API reference"
		data.Config = pageConfig{
			PrimaryName:        data.Selected.Label,
			OAuth2RedirectPath: assetsPrefix + "oauth2-redirect.html",
		}
		for _, s := range h.specs {
			data.Config.URLs = append(data.Config.URLs, configURL{URL: s.URL, Name: s.Label, API: s.Name})
		}
	}

	var buf bytes.Buffer
	if err := pageTemplate.Execute(&buf, data); err != nil {
		http.Error(w, "rendering the API reference page failed", http.StatusInternalServerError)
		return
	}
	hdr := w.Header()
	hdr.Set("Content-Type", "text/html; charset=utf-8")
	hdr.Set("Cache-Control", cacheIndex)
	hdr.Set("Content-Length", strconv.Itoa(buf.Len()))
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		_, _ = w.Write(buf.Bytes())
	}
}

// assetURL is the versioned URL of an embedded asset; a name that is not
// embedded makes the template fail, so a typo fails every page test.
func assetURL(name string) (string, error) {
	a, ok := loadAssets()[name]
	if !ok {
		return "", fmt.Errorf("docs: no embedded asset %q", name)
	}
	return assetsPrefix + name + "?v=" + a.version, nil
}

var pageTemplate = template.Must(template.New("page").Funcs(template.FuncMap{"asset": assetURL}).Parse(pageHTML))

const pageHTML = `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}}</title>
<link rel="stylesheet" href="{{asset "swagger-ui.css"}}">
<link rel="stylesheet" href="{{asset "docs.css"}}">
<link rel="icon" type="image/png" href="{{asset "favicon-32x32.png"}}" sizes="32x32">
<link rel="icon" type="image/png" href="{{asset "favicon-16x16.png"}}" sizes="16x16">
</head>
<body>
{{- if .Specs}}
<noscript>
<main class="docs-empty">
<h1>API reference</h1>
<p>The interactive reference needs JavaScript. The OpenAPI documents:</p>
<ul>
{{- range .Specs}}
<li><a href="{{.URL}}">{{.Label}}</a> (<code>{{.Name}}</code>)</li>
{{- end}}
</ul>
</main>
</noscript>
<div id="swagger-ui"></div>
<script type="application/json" id="docs-config">{{.Config}}</script>
<script src="{{asset "swagger-ui-bundle.js"}}"></script>
<script src="{{asset "swagger-ui-standalone-preset.js"}}"></script>
<script src="{{asset "docs.js"}}"></script>
{{- else}}
<main class="docs-empty">
<h1>API reference</h1>
<p>No API is mounted on this server.</p>
</main>
{{- end}}
</body>
</html>
`

// asset is one embedded file, ready to serve.
type asset struct {
	data        []byte
	contentType string
	version     string // content hash, as in ?v=
	etag        string

	compressible bool
	gzOnce       sync.Once
	gz           []byte // gzip of data, made on first use
}

var loadAssets = sync.OnceValue(func() map[string]*asset {
	m := make(map[string]*asset)
	err := fs.WalkDir(assetFiles, "assets", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := assetFiles.ReadFile(p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(data)
		version := hex.EncodeToString(sum[:8])
		ct, compressible := contentType(p)
		m[strings.TrimPrefix(p, "assets/")] = &asset{
			data:         data,
			contentType:  ct,
			version:      version,
			etag:         `"` + version + `"`,
			compressible: compressible && len(data) >= gzipMinSize,
		}
		return nil
	})
	if err != nil {
		panic("docs: reading embedded assets: " + err.Error())
	}
	return m
})

// contentType returns the Content-Type of an asset and whether it is
// worth compressing.
func contentType(name string) (string, bool) {
	switch path.Ext(name) {
	case ".js":
		return "text/javascript; charset=utf-8", true
	case ".css":
		return "text/css; charset=utf-8", true
	case ".html":
		return "text/html; charset=utf-8", true
	case ".png":
		return "image/png", false
	case ".txt", "": // *.LICENSE.txt, LICENSE, NOTICE
		return "text/plain; charset=utf-8", true
	}
	return "application/octet-stream", false
}

func (a *asset) serve(w http.ResponseWriter, r *http.Request) {
	hdr := w.Header()
	hdr.Set("Content-Type", a.contentType)
	if r.URL.Query().Get("v") == a.version {
		hdr.Set("Cache-Control", cacheVersioned)
	} else {
		hdr.Set("Cache-Control", cacheBare)
	}
	body, etag := a.data, a.etag
	if a.compressible {
		hdr.Add("Vary", "Accept-Encoding")
		if acceptsGzip(r) {
			body, etag = a.gzipped(), `"`+a.version+`-gz"`
			hdr.Set("Content-Encoding", "gzip")
		}
	}
	hdr.Set("ETag", etag)
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(body))
}

func (a *asset) gzipped() []byte {
	a.gzOnce.Do(func() {
		var buf bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
		_, _ = zw.Write(a.data)
		_ = zw.Close()
		a.gz = buf.Bytes()
	})
	return a.gz
}

// acceptsGzip reports whether the request's Accept-Encoding allows gzip.
func acceptsGzip(r *http.Request) bool {
	for _, h := range r.Header.Values("Accept-Encoding") {
		for part := range strings.SplitSeq(h, ",") {
			coding, params, _ := strings.Cut(strings.TrimSpace(part), ";")
			coding = strings.ToLower(strings.TrimSpace(coding))
			if coding != "gzip" && coding != "x-gzip" {
				continue
			}
			if q, ok := strings.CutPrefix(strings.ReplaceAll(params, " ", ""), "q="); ok {
				if v, err := strconv.ParseFloat(q, 64); err == nil && v == 0 {
					continue
				}
			}
			return true
		}
	}
	return false
}
