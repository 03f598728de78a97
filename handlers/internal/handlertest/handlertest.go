// Package handlertest runs API tests through the whole HTTP surface: a fresh App on a database
// of its own, every request through the router and the API's validator, every response checked
// against the spec of the API that answered, and every operation called recorded, so that a
// package's TestMain can fail when an operation of its API was called by no test.
package handlertest

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"

	"gatehouse/db"
	"gatehouse/db/dbtest"
	"gatehouse/handlers"
	"gatehouse/handlers/internal/mail"
)

func init() {
	// HTML pages (Better Auth's /error) are validated as strings.
	openapi3filter.RegisterBodyDecoder("text/html", func(body io.Reader, _ http.Header, _ *openapi3.SchemaRef, _ openapi3filter.EncodingFn) (any, error) {
		b, err := io.ReadAll(body)
		return string(b), err
	})
}

// BaseURL is the BASE_URL of test apps.
const BaseURL = "http://gatehouse.test"

// Harness is one test's server.
type Harness struct {
	t testing.TB
	// Secret is the App's SECRET.
	Secret []byte
	App    *handlers.App
	Store  *db.Store
	mailer *Mailer
	specs  []apiSpec
}

type apiSpec struct {
	name   string
	mount  string
	router routers.Router
}

// New starts an App with cfg (zero fields take test defaults) on a new database.
func New(t testing.TB, cfg handlers.Config) *Harness {
	t.Helper()
	return newOn(t, dbtest.NewStore(t), cfg)
}

// Twin starts another App on h's database with h's secret and cfg: a second server instance of
// the same deployment, sharing nothing with the first but the database.
func (h *Harness) Twin(cfg handlers.Config) *Harness {
	h.t.Helper()
	cfg.Secret = h.Secret
	return newOn(h.t, h.Store, cfg)
}

func newOn(t testing.TB, store *db.Store, cfg handlers.Config) *Harness {
	t.Helper()
	ctx := context.Background()
	if cfg.BaseURL == "" {
		cfg.BaseURL = BaseURL
	}
	if cfg.Secret == nil {
		cfg.Secret = []byte(randomHex(32))
	}
	mailer := &Mailer{}
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	if testing.Verbose() {
		logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	}
	app, err := handlers.New(ctx, cfg, handlers.Deps{Store: store, Logger: logger, Sender: mailer})
	if err != nil {
		t.Fatal(err)
	}
	h := &Harness{t: t, Secret: cfg.Secret, App: app, Store: store, mailer: mailer}
	for _, api := range app.APIs() {
		h.specs = append(h.specs, apiSpec{name: api.Name, mount: api.Mount, router: routerFor(t, api.Name, api.Spec)})
	}
	return h
}

var (
	routersMu sync.Mutex
	routerMap = map[string]routers.Router{}
)

// routerFor builds (once per API) a kin-openapi router over the spec with its servers removed:
// requests are matched on the path below the mount.
func routerFor(t testing.TB, name string, spec *openapi3.T) routers.Router {
	routersMu.Lock()
	defer routersMu.Unlock()
	if r, ok := routerMap[name]; ok {
		return r
	}
	cp := *spec
	cp.Servers = nil
	r, err := gorillamux.NewRouter(&cp)
	if err != nil {
		t.Fatalf("router for %s: %v", name, err)
	}
	routerMap[name] = r
	registerSpec(name, spec)
	return r
}

// Response is what the server answered.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// Decode unmarshals the body into v.
func (r *Response) Decode(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.Body, v); err != nil {
		t.Fatalf("decode %s: %v", r.Body, err)
	}
}

// JSON returns the body as a generic JSON value.
func (r *Response) JSON(t testing.TB) map[string]any {
	t.Helper()
	var v map[string]any
	r.Decode(t, &v)
	return v
}

// Request describes a request to send.
type Request struct {
	Method string
	Path   string
	// Body is sent as is when it is []byte or string, else encoded as JSON.
	Body        any
	ContentType string // default application/json when there is a body
	Token       string // sent as a bearer token
	Header      http.Header
	RemoteAddr  string
}

// Do sends req through the App, checks the response against the spec of the API that owns the
// path (any status or body the spec does not allow fails the test), and records the operation.
func (h *Harness) Do(req Request) *Response {
	h.t.Helper()
	var body io.Reader
	switch b := req.Body.(type) {
	case nil:
	case []byte:
		body = bytes.NewReader(b)
	case string:
		body = strings.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			h.t.Fatal(err)
		}
		body = bytes.NewReader(j)
	}
	r := httptest.NewRequest(req.Method, req.Path, body)
	if req.Body != nil {
		ct := req.ContentType
		if ct == "" {
			ct = "application/json"
		}
		r.Header.Set("Content-Type", ct)
	}
	for k, vs := range req.Header {
		r.Header[k] = vs
	}
	if req.Token != "" {
		r.Header.Set("Authorization", "Bearer "+req.Token)
	}
	if req.RemoteAddr != "" {
		r.RemoteAddr = req.RemoteAddr
	}
	rec := httptest.NewRecorder()
	h.App.Handler().ServeHTTP(rec, r)
	resp := &Response{Status: rec.Code, Header: rec.Header(), Body: rec.Body.Bytes()}
	h.checkResponse(req, resp)
	return resp
}

// checkResponse validates resp against the spec of the API mounted at the longest prefix of
// the path; paths no spec declares must answer 404 or 405 in that API's error body.
func (h *Harness) checkResponse(req Request, resp *Response) {
	h.t.Helper()
	var api *apiSpec
	for i := range h.specs {
		s := &h.specs[i]
		if (req.Path == s.mount || strings.HasPrefix(req.Path, s.mount+"/")) && (api == nil || len(s.mount) > len(api.mount)) {
			api = s
		}
	}
	if api == nil {
		return
	}
	path, _, _ := strings.Cut(strings.TrimPrefix(req.Path, api.mount), "?")
	probe, _ := http.NewRequest(req.Method, "http://x"+path, nil)
	route, params, err := api.router.FindRoute(probe)
	if err != nil {
		if path == "/openapi.json" {
			return
		}
		if resp.Status != http.StatusNotFound && resp.Status != http.StatusMethodNotAllowed {
			h.t.Errorf("%s %s: no operation in %s, yet the answer is %d", req.Method, req.Path, api.name, resp.Status)
		}
		return
	}
	recordCall(api.name, route.Operation.OperationID)
	input := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{Request: probe, PathParams: params, Route: route},
		Status:                 resp.Status,
		Header:                 resp.Header,
		Body:                   io.NopCloser(bytes.NewReader(resp.Body)),
		Options:                &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true},
	}
	if err := openapi3filter.ValidateResponse(context.Background(), input); err != nil {
		h.t.Errorf("%s %s: response %d does not match %s's spec: %v\nbody: %s", req.Method, req.Path, resp.Status, api.name, err, resp.Body)
	}
}

// Mailer records the mail the App sends.
type Mailer struct {
	mu   sync.Mutex
	sent []mail.Outgoing
	tee  mail.Sender
}

// Send records m, and hands it to the tee sender when one is set.
func (m *Mailer) Send(ctx context.Context, msg mail.Outgoing) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.sent = append(m.sent, msg)
	if m.tee != nil {
		return m.tee.Send(ctx, msg)
	}
	return nil
}

// TeeMail also sends every message through s (e.g. a file that a client in another process
// reads), and runs the App's mail dispatcher until the test ends, so mail goes out as it is
// queued rather than when the test asks for it.
func (h *Harness) TeeMail(s mail.Sender) {
	h.mailer.mu.Lock()
	h.mailer.tee = s
	h.mailer.mu.Unlock()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { h.App.Dispatcher.Run(ctx); close(done) }()
	h.t.Cleanup(func() { cancel(); <-done })
}

// Mail dispatches the outbox and returns every message sent so far.
func (h *Harness) Mail() []mail.Outgoing {
	h.t.Helper()
	for {
		n, err := h.App.Dispatcher.RunOnce(context.Background())
		if err != nil {
			h.t.Fatal(err)
		}
		if n == 0 {
			break
		}
	}
	h.mailer.mu.Lock()
	defer h.mailer.mu.Unlock()
	return append([]mail.Outgoing(nil), h.mailer.sent...)
}

// MailTo returns the messages sent to the address so far.
func (h *Harness) MailTo(to string) []mail.Outgoing {
	var out []mail.Outgoing
	for _, m := range h.Mail() {
		if m.To == to {
			out = append(out, m)
		}
	}
	return out
}

// Exec runs SQL on the test's database, to arrange what the API cannot (expiry, old rows).
func (h *Harness) Exec(sql string, args ...any) int64 {
	h.t.Helper()
	return dbtest.Exec(h.t, h.Store, sql, args...)
}

// Count returns the result of a SELECT count(*) query.
func (h *Harness) Count(sql string, args ...any) int {
	h.t.Helper()
	return dbtest.Count(h.t, h.Store, sql, args...)
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// The conformance registry: every operation of every spec seen, and which were called.
var (
	covMu    sync.Mutex
	covOps   = map[string]map[string]bool{} // api -> operationId -> called
	covSpecs = map[string]bool{}
)

func registerSpec(name string, spec *openapi3.T) {
	covMu.Lock()
	defer covMu.Unlock()
	if covSpecs[name] {
		return
	}
	covSpecs[name] = true
	ops := map[string]bool{}
	for _, item := range spec.Paths.Map() {
		for _, op := range item.Operations() {
			ops[op.OperationID] = false
		}
	}
	covOps[name] = ops
}

func recordCall(api, op string) {
	covMu.Lock()
	defer covMu.Unlock()
	if ops := covOps[api]; ops != nil {
		ops[op] = true
	}
}

// Main runs the package's tests on a test database server and then, when the whole package ran
// (no -run, -skip or -short filter), fails unless every operation of each named API was called by
// some test. Call it from TestMain of the API's package.
func Main(m *testing.M, apis ...string) {
	dbtest.Main(conformance{m: m, apis: apis})
}

type conformance struct {
	m    *testing.M
	apis []string
}

// Run runs the tests, then checks coverage.
func (c conformance) Run() int {
	code := c.m.Run()
	if code != 0 || filtered() {
		return code
	}
	covMu.Lock()
	defer covMu.Unlock()
	for _, api := range c.apis {
		ops, ok := covOps[api]
		if !ok {
			report(fmt.Sprintf("conformance: %s: FAIL: no test called the API at all", api))
			return 1
		}
		var missing []string
		for op, called := range ops {
			if !called {
				missing = append(missing, op)
			}
		}
		sort.Strings(missing)
		if len(missing) > 0 {
			report(fmt.Sprintf("conformance: %s: FAIL: %d of %d operations called by no test: %s",
				api, len(missing), len(ops), strings.Join(missing, ", ")))
			return 1
		}
		report(fmt.Sprintf("conformance: %s: all %d operations covered", api, len(ops)))
	}
	return code
}

// report prints a conformance line and appends it to the file CONFORMANCE_REPORT names, which
// `make test` prints after the run (go test shows nothing of a passing package but its name).
func report(line string) {
	fmt.Println(line)
	path := os.Getenv("CONFORMANCE_REPORT")
	if path == "" {
		return
	}
	f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		fmt.Fprintln(os.Stderr, "conformance report:", err)
		return
	}
	defer f.Close()
	fmt.Fprintln(f, line)
}

func filtered() bool {
	for _, name := range []string{"test.run", "test.skip"} {
		if f := flagValue(name); f != "" {
			return true
		}
	}
	return testing.Short()
}

// Eventually retries cond until it holds or the timeout passes.
func Eventually(t testing.TB, timeout time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met in time")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// JSONHas reports whether the value at the dotted path of the JSON body equals want.
func (r *Response) JSONHas(t testing.TB, path string, want any) bool {
	t.Helper()
	var v any
	r.Decode(t, &v)
	for _, key := range strings.Split(path, ".") {
		m, ok := v.(map[string]any)
		if !ok {
			return false
		}
		v = m[key]
	}
	return fmt.Sprint(v) == fmt.Sprint(want)
}
