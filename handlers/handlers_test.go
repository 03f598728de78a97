package handlers

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/go-chi/chi/v5"

	"gatehouse/db/dbtest"
	"gatehouse/handlers/internal/apierror"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

func mounted(t *testing.T, defs []apiDef) []mountedAPI {
	t.Helper()
	var out []mountedAPI
	for _, def := range defs {
		spec, err := def.spec()
		if err != nil {
			t.Fatalf("%s: %v", def.name, err)
		}
		out = append(out, mountedAPI{def: def, spec: spec, mount: spec.Servers[0].URL})
	}
	return out
}

func TestShippedSpecsAreValidAndDoNotConflict(t *testing.T) {
	t.Parallel()
	for _, def := range allAPIs {
		spec, err := def.spec()
		if err != nil {
			t.Fatal(err)
		}
		if err := spec.Validate(context.Background()); err != nil {
			t.Errorf("%s: %v", def.name, err)
		}
		if len(spec.Servers) != 1 || !strings.HasPrefix(spec.Servers[0].URL, "/") {
			t.Errorf("%s: servers %v: want one path-only mount", def.name, spec.Servers)
		}
	}
	if err := checkRouteConflicts(mounted(t, allAPIs)); err != nil {
		t.Fatal(err)
	}
}

// specDef builds an API from an inline spec, served by handler on every operation.
func specDef(t *testing.T, name, doc string, handler http.HandlerFunc, render renderFunc) apiDef {
	t.Helper()
	spec, err := openapi3.NewLoader().LoadFromData([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	return apiDef{
		name: name, spec: func() (*openapi3.T, error) { return spec, nil },
		json:   func() ([]byte, error) { return json.Marshal(spec) },
		render: render,
		routes: func(_ *App, r chi.Router, mount string, _, _ func(http.ResponseWriter, *http.Request, error)) {
			for path, item := range spec.Paths.Map() {
				for method := range item.Operations() {
					r.Method(method, mount+path, handler)
				}
			}
		},
	}
}

const nestedSpec = `openapi: 3.0.3
info: {title: Nested, version: "1"}
servers: [{url: /api/v1}]
paths:
  /things:
    get:
      operationId: listThings
      responses: {"200": {description: ok}}
  /panic:
    get:
      operationId: panics
      responses: {"200": {description: ok}}
`

func renderNested(w http.ResponseWriter, _ *http.Request, e *apierror.Error) {
	writeJSON(w, e.Status, map[string]string{"nestedError": e.Code})
}

func TestRouteConflictsFailStartup(t *testing.T) {
	t.Parallel()
	a := specDef(t, "a", `openapi: 3.0.3
info: {title: A, version: "1"}
servers: [{url: /api}]
paths:
  /auth/register: {post: {responses: {"200": {description: ok}}}}
  /users/{id}: {get: {responses: {"200": {description: ok}}}, parameters: [{name: id, in: path, required: true, schema: {type: string}}]}
`, nil, renderPlain)
	b := specDef(t, "b", `openapi: 3.0.3
info: {title: B, version: "1"}
servers: [{url: /api/auth}]
paths:
  /register: {post: {responses: {"200": {description: ok}}}, get: {responses: {"200": {description: ok}}}}
`, nil, renderPlain)
	c := specDef(t, "c", `openapi: 3.0.3
info: {title: C, version: "1"}
servers: [{url: /api/users}]
paths:
  /{userId}: {get: {responses: {"200": {description: ok}}}, parameters: [{name: userId, in: path, required: true, schema: {type: string}}]}
`, nil, renderPlain)
	err := checkRouteConflicts(mounted(t, []apiDef{a, b, c}))
	if err == nil {
		t.Fatal("conflicting APIs were accepted")
	}
	for _, want := range []string{"post /api/auth/register", "get /api/users/{}"} {
		if !strings.Contains(strings.ToLower(err.Error()), want) {
			t.Errorf("error %q does not name %s", err, want)
		}
	}
	if strings.Contains(strings.ToLower(err.Error()), "get /api/auth/register") {
		t.Errorf("the same path with another method was reported: %v", err)
	}
	store := dbtest.NewStore(t)
	_, err = newApp(context.Background(), testConfig(), Deps{Store: store, Logger: discard()}, append([]apiDef{}, append(allAPIs, a, b)...))
	if err == nil || !strings.Contains(err.Error(), "route conflicts") {
		t.Fatalf("start-up with conflicting APIs: %v", err)
	}
}

func testConfig() Config {
	return Config{BaseURL: "http://gatehouse.test", Secret: []byte(strings.Repeat("s", 32))}
}

func discard() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func get(t *testing.T, h http.Handler, method, path string, header http.Header) *httptest.ResponseRecorder {
	t.Helper()
	r := httptest.NewRequest(method, path, nil)
	for k, v := range header {
		r.Header[k] = v
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

// Nested mounts (/api/v1 and /api/v1/auth) route by method and full path, and each path that
// no operation matches answers in the error body of the API with the longest matching mount.
func TestNestedMountsRouteByPathAndRenderTheirOwnErrors(t *testing.T) {
	t.Parallel()
	nested := specDef(t, "nested", nestedSpec, func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/panic") {
			panic("boom")
		}
		writeJSON(w, http.StatusOK, map[string]string{"api": "nested"})
	}, renderNested)
	app, err := newApp(context.Background(), testConfig(), Deps{Store: dbtest.NewStore(t), Logger: discard()}, append(append([]apiDef{}, allAPIs...), nested))
	if err != nil {
		t.Fatal(err)
	}
	h := app.Handler()
	if w := get(t, h, "GET", "/api/v1/things", nil); w.Code != 200 || !strings.Contains(w.Body.String(), `"nested"`) {
		t.Fatalf("nested route: %d %s", w.Code, w.Body)
	}
	if w := get(t, h, "GET", "/api/v1/nope", nil); w.Code != 404 || !strings.Contains(w.Body.String(), `"nestedError":"NOT_FOUND"`) {
		t.Fatalf("404 under the outer mount: %d %s", w.Code, w.Body)
	}
	if w := get(t, h, "GET", "/api/v1/auth/nope", nil); w.Code != 404 || !strings.Contains(w.Body.String(), `"error":{"code":"NOT_FOUND"`) {
		t.Fatalf("404 under the inner mount: %d %s", w.Code, w.Body)
	}
	if w := get(t, h, "GET", "/api/v1/auth/me", nil); w.Code != 401 || !strings.Contains(w.Body.String(), `"UNAUTHORIZED"`) {
		t.Fatalf("inner API: %d %s", w.Code, w.Body)
	}
	if w := get(t, h, "DELETE", "/api/v1/things", nil); w.Code != 405 || !strings.Contains(w.Body.String(), `"nestedError":"METHOD_NOT_ALLOWED"`) {
		t.Fatalf("405: %d %s", w.Code, w.Body)
	}
	w := get(t, h, "GET", "/api/v1/panic", nil)
	if w.Code != 500 || !strings.Contains(w.Body.String(), `"nestedError":"INTERNAL_ERROR"`) || w.Header().Get("X-Request-Id") == "" {
		t.Fatalf("panic: %d %s", w.Code, w.Body)
	}
	if w := get(t, h, "GET", "/elsewhere", nil); w.Code != 404 || !strings.Contains(w.Body.String(), `"NOT_FOUND"`) {
		t.Fatalf("outside every API: %d %s", w.Code, w.Body)
	}
	// APIS switches APIs off: with only emailcode, /api/v1/things is gone.
	cfg := testConfig()
	cfg.APIs = []string{"emailcode"}
	only, err := newApp(context.Background(), cfg, Deps{Store: dbtest.NewStore(t), Logger: discard()}, append(append([]apiDef{}, allAPIs...), nested))
	if err != nil {
		t.Fatal(err)
	}
	if w := get(t, only.Handler(), "GET", "/api/v1/things", nil); w.Code != 404 {
		t.Fatalf("a disabled API answered: %d", w.Code)
	}
	if len(only.APIs()) != 1 || only.APIs()[0].Name != "emailcode" {
		t.Fatalf("APIs() = %v", only.APIs())
	}
}

func TestOperationalEndpoints(t *testing.T) {
	t.Parallel()
	store := dbtest.NewStore(t)
	app, err := New(context.Background(), testConfig(), Deps{Store: store, Logger: discard()})
	if err != nil {
		t.Fatal(err)
	}
	h := app.Handler()
	if w := get(t, h, "GET", "/healthz", nil); w.Code != 200 {
		t.Fatalf("healthz %d", w.Code)
	}
	if w := get(t, h, "GET", "/readyz", nil); w.Code != 200 || !strings.Contains(w.Body.String(), `"database":"ok"`) {
		t.Fatalf("readyz %d %s", w.Code, w.Body)
	}
	w := get(t, h, "GET", "/api/v1/auth/openapi.json", nil)
	var doc struct {
		OpenAPI string `json:"openapi"`
		Paths   map[string]any
	}
	if w.Code != 200 || json.Unmarshal(w.Body.Bytes(), &doc) != nil || doc.OpenAPI != "3.0.3" || len(doc.Paths) != 6 {
		t.Fatalf("openapi.json: %d %s", w.Code, w.Body.String()[:min(200, w.Body.Len())])
	}
	if w := get(t, h, "GET", "/docs", nil); w.Code != 200 || !strings.Contains(w.Body.String(), "/api/v1/auth/openapi.json") {
		t.Fatalf("docs: %d", w.Code)
	}
	w = get(t, h, "GET", "/.well-known/jwks.json", nil)
	if w.Code != 200 || !strings.Contains(w.Body.String(), `"kid"`) || strings.Contains(w.Body.String(), `"d"`) {
		t.Fatalf("jwks: %d %s", w.Code, w.Body)
	}
	get(t, h, "GET", "/api/v1/auth/me", nil) // a 401 to count
	w = get(t, h, "GET", "/metrics", nil)
	for _, want := range []string{
		`http_requests_total{method="GET",route="/api/v1/auth/me",status="401"} 1`,
		`http_request_duration_seconds_bucket{method="GET",route="/api/v1/auth/me",status="401"`,
	} {
		if !strings.Contains(w.Body.String(), want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	// A request id from the client is kept when it is sane, replaced otherwise.
	if w := get(t, h, "GET", "/healthz", http.Header{"X-Request-Id": {"abc-123"}}); w.Header().Get("X-Request-Id") != "abc-123" {
		t.Errorf("request id not kept: %q", w.Header().Get("X-Request-Id"))
	}
	if w := get(t, h, "GET", "/healthz", http.Header{"X-Request-Id": {"bad id\x01"}}); w.Header().Get("X-Request-Id") == "bad id\x01" || w.Header().Get("X-Request-Id") == "" {
		t.Errorf("bad request id kept: %q", w.Header().Get("X-Request-Id"))
	}
	store.Close()
	if w := get(t, h, "GET", "/readyz", nil); w.Code != 503 {
		t.Fatalf("readyz with the database gone: %d", w.Code)
	}
}

func TestClientIP(t *testing.T) {
	t.Parallel()
	a := &App{cfg: Config{TrustedProxies: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}}}
	cases := []struct{ remote, xff, want string }{
		{"192.0.2.1:5000", "", "192.0.2.1"},
		{"192.0.2.1:5000", "203.0.113.9", "192.0.2.1"},                // untrusted peer: header ignored
		{"10.1.2.3:5000", "203.0.113.9", "203.0.113.9"},               // trusted proxy
		{"10.1.2.3:5000", "198.51.100.7, 203.0.113.9", "203.0.113.9"}, // last untrusted hop
		{"10.1.2.3:5000", "203.0.113.9, 10.9.9.9", "203.0.113.9"},     // proxies chained
		{"10.1.2.3:5000", "junk", "10.1.2.3"},
	}
	for _, c := range cases {
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = c.remote
		if c.xff != "" {
			r.Header.Set("X-Forwarded-For", c.xff)
		}
		if got := a.clientIP(r); got != c.want {
			t.Errorf("remote %s xff %q: got %s, want %s", c.remote, c.xff, got, c.want)
		}
	}
}

func TestConfigValidate(t *testing.T) {
	t.Parallel()
	good := testConfig()
	if err := good.WithDefaults().Validate(); err != nil {
		t.Fatal(err)
	}
	bad := map[string]func(*Config){
		"relative BASE_URL": func(c *Config) { c.BaseURL = "/x" },
		"short SECRET":      func(c *Config) { c.Secret = []byte("short") },
		"unknown API":       func(c *Config) { c.APIs = []string{"nope"} },
		"bad transport":     func(c *Config) { c.MailTransport = "smtp:" },
		"tiny body limit":   func(c *Config) { c.BodyLimit = 10 },
	}
	for name, mutate := range bad {
		c := good.WithDefaults()
		mutate(&c)
		if err := c.Validate(); err == nil {
			t.Errorf("%s accepted", name)
		}
	}
}

// A body cut short while the validator checks an optional bearer requirement is bad input (400),
// not a missing token (401).
func TestTruncatedBodyIsABadRequest(t *testing.T) {
	t.Parallel()
	app, err := New(context.Background(), testConfig(), Deps{Store: dbtest.NewStore(t), Logger: discard()})
	if err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"/api/v1/auth/verify-code", "/api/v1/auth/request-code"} {
		r := httptest.NewRequest("POST", path, io.MultiReader(strings.NewReader(`{"email":"a@example.com",`), errReader{}))
		r.Header.Set("Content-Type", "application/json")
		w := httptest.NewRecorder()
		app.Handler().ServeHTTP(w, r)
		if w.Code != http.StatusBadRequest || !strings.Contains(w.Body.String(), `"BAD_REQUEST"`) {
			t.Errorf("%s: %d %s", path, w.Code, w.Body)
		}
	}
}

type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, io.ErrUnexpectedEOF }
