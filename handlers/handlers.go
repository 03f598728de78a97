package handlers

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/go-chi/chi/v5"
	nethttpmw "github.com/oapi-codegen/nethttp-middleware"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"gatehouse/db"
	"gatehouse/gen/betterauthapi"
	"gatehouse/gen/custodianapi"
	"gatehouse/gen/emailcodeapi"
	"gatehouse/handlers/betterauth"
	"gatehouse/handlers/custodian"
	"gatehouse/handlers/emailcode"
	"gatehouse/handlers/internal/apierror"
	"gatehouse/handlers/internal/authflow"
	"gatehouse/handlers/internal/bacookie"
	"gatehouse/handlers/internal/baflow"
	"gatehouse/handlers/internal/custodianflow"
	"gatehouse/handlers/internal/keyring"
	"gatehouse/handlers/internal/mail"
	"gatehouse/handlers/internal/ratelimit"
	"gatehouse/handlers/internal/token"
)

type renderFunc func(http.ResponseWriter, *http.Request, *apierror.Error)

// apiDef is how one API joins the server: its generated spec and routes, and its error body.
type apiDef struct {
	name   string
	spec   func() (*openapi3.T, error)
	json   func() ([]byte, error)
	render renderFunc
	// routes registers the generated handlers on r under mount, with the given error handlers.
	routes func(a *App, r chi.Router, mount string, onBadRequest, onError func(http.ResponseWriter, *http.Request, error))
	// middleware, if set, runs before the API's request validator; it reports failures to onError.
	middleware func(a *App, mount string, onError func(http.ResponseWriter, *http.Request, error)) func(http.Handler) http.Handler
}

// allAPIs lists every API the server can serve, in the order /docs shows them.
var allAPIs = []apiDef{
	{
		name: "emailcode", spec: emailcodeapi.GetSpec, json: emailcodeapi.GetSpecJSON, render: emailcode.RenderError,
		routes: func(a *App, r chi.Router, mount string, onBadRequest, onError func(http.ResponseWriter, *http.Request, error)) {
			strict := emailcodeapi.NewStrictHandlerWithOptions(emailcode.New(a.EmailCode), nil,
				emailcodeapi.StrictHTTPServerOptions{RequestErrorHandlerFunc: onBadRequest, ResponseErrorHandlerFunc: onError})
			emailcodeapi.HandlerWithOptions(strict, emailcodeapi.ChiServerOptions{BaseURL: mount, BaseRouter: r, ErrorHandlerFunc: onBadRequest})
		},
	},
	{
		name: "betterauth", spec: betterauthapi.GetSpec, json: betterauthapi.GetSpecJSON, render: betterauth.RenderError,
		routes: func(a *App, r chi.Router, mount string, onBadRequest, onError func(http.ResponseWriter, *http.Request, error)) {
			strict := betterauthapi.NewStrictHandlerWithOptions(betterauth.New(a.BetterAuth, a.baJar), nil,
				betterauthapi.StrictHTTPServerOptions{RequestErrorHandlerFunc: onBadRequest, ResponseErrorHandlerFunc: onError})
			betterauthapi.HandlerWithOptions(strict, betterauthapi.ChiServerOptions{BaseURL: mount, BaseRouter: r, ErrorHandlerFunc: onBadRequest})
		},
		middleware: func(a *App, mount string, onError func(http.ResponseWriter, *http.Request, error)) func(http.Handler) http.Handler {
			return betterauth.Middleware(mount, a.BetterAuth, a.baLimiter, a.cfg.BetterAuth.RateRules, onError)
		},
	},
	{
		name: "custodian", spec: custodianapi.GetSpec, json: custodianapi.GetSpecJSON, render: custodian.RenderError,
		routes: func(a *App, r chi.Router, mount string, onBadRequest, onError func(http.ResponseWriter, *http.Request, error)) {
			strict := custodianapi.NewStrictHandlerWithOptions(custodian.New(a.Custodian), nil,
				custodianapi.StrictHTTPServerOptions{RequestErrorHandlerFunc: onBadRequest, ResponseErrorHandlerFunc: onError})
			custodianapi.HandlerWithOptions(strict, custodianapi.ChiServerOptions{BaseURL: mount, BaseRouter: r, ErrorHandlerFunc: onBadRequest})
		},
		middleware: func(a *App, _ string, onError func(http.ResponseWriter, *http.Request, error)) func(http.Handler) http.Handler {
			return custodian.Middleware(a.Custodian, onError)
		},
	},
}

// Deps are the outside resources the App uses.
type Deps struct {
	Store  *db.Store
	Logger *slog.Logger
	// Sender delivers mail; nil means the transport Config.MailTransport names.
	Sender mail.Sender
}

// App is the server: its HTTP surface and its background work.
type App struct {
	cfg     Config
	logger  *slog.Logger
	store   *db.Store
	metrics *metrics
	tokens  *token.Issuer
	limiter *ratelimit.Limiter
	apis    []mountedAPI
	handler http.Handler

	// Dispatcher sends the mail outbox.
	Dispatcher *mail.Dispatcher
	// EmailCode holds the email-code flows (also used by the admin subcommands).
	EmailCode *authflow.EmailCode
	// BetterAuth holds the Better Auth flows (also used by the admin subcommands).
	BetterAuth *baflow.Service
	// Custodian holds the Custodian flows (also used by the admin subcommands).
	Custodian *custodianflow.Service
	baJar     *bacookie.Jar
	baLimiter *ratelimit.Limiter
}

type mountedAPI struct {
	def   apiDef
	spec  *openapi3.T
	mount string
	title string
}

// New builds the App: signing keys, flows, and the router of every enabled API. It fails when
// two enabled APIs declare the same method and path.
func New(ctx context.Context, cfg Config, deps Deps) (*App, error) {
	return newApp(ctx, cfg, deps, allAPIs)
}

func newApp(ctx context.Context, cfg Config, deps Deps, defs []apiDef) (*App, error) {
	cfg = cfg.WithDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	ring, err := keyring.New(cfg.Secret)
	if err != nil {
		return nil, err
	}
	a := &App{cfg: cfg, logger: deps.Logger, store: deps.Store, metrics: newMetrics()}
	sender := deps.Sender
	if sender == nil {
		if sender, err = mail.NewSender(cfg.MailTransport, deps.Logger); err != nil {
			return nil, err
		}
	}
	a.Dispatcher = mail.NewDispatcher(deps.Store, sender, deps.Logger, cfg.MailPoll)
	outbox, err := mail.NewOutbox(deps.Store, a.Dispatcher.Wake)
	if err != nil {
		return nil, err
	}
	if a.tokens, err = token.NewIssuer(ctx, deps.Store, ring, cfg.BaseURL); err != nil {
		return nil, err
	}
	a.limiter = ratelimit.New(deps.Store, ring, cfg.RateLimitDisabled)
	a.EmailCode = authflow.NewEmailCode(deps.Store, a.tokens, ring, outbox, a.limiter, cfg.Emailcode)
	// The Custodian's tokens have an issuer of their own (BASE_URL/custodian) as well as their
	// own audience, over the same signing keys, so that no token crosses APIs.
	custodianTokens, err := token.NewIssuer(ctx, deps.Store, ring, cfg.BaseURL+"/custodian")
	if err != nil {
		return nil, err
	}
	a.Custodian = custodianflow.New(deps.Store, custodianTokens, ring, outbox, a.limiter, cfg.BaseURL, cfg.Custodian)
	if err := a.setUpBetterAuth(ctx, ring, outbox); err != nil {
		return nil, err
	}

	for _, def := range defs {
		if !cfg.enabled(def.name) {
			continue
		}
		spec, err := def.spec()
		if err != nil {
			return nil, fmt.Errorf("%s: spec: %w", def.name, err)
		}
		if len(spec.Servers) != 1 {
			return nil, fmt.Errorf("%s: the spec must name its mount as its one server", def.name)
		}
		a.apis = append(a.apis, mountedAPI{def: def, spec: spec, mount: strings.TrimSuffix(spec.Servers[0].URL, "/"), title: spec.Info.Title})
	}
	if err := checkRouteConflicts(a.apis); err != nil {
		return nil, err
	}
	a.handler = a.router()
	return a, nil
}

var pathParam = regexp.MustCompile(`\{[^}]*\}`)

// checkRouteConflicts fails when two APIs declare the same method and full path.
func checkRouteConflicts(apis []mountedAPI) error {
	owner := map[string]string{}
	var conflicts []string
	for _, api := range apis {
		for path, item := range api.spec.Paths.Map() {
			for method := range item.Operations() {
				key := method + " " + pathParam.ReplaceAllString(api.mount+path, "{}")
				if prev, ok := owner[key]; ok && prev != api.def.name {
					conflicts = append(conflicts, fmt.Sprintf("%s (%s and %s)", key, prev, api.def.name))
				}
				owner[key] = api.def.name
			}
		}
	}
	if len(conflicts) > 0 {
		sort.Strings(conflicts)
		return fmt.Errorf("route conflicts between APIs: %s", strings.Join(conflicts, "; "))
	}
	return nil
}

// Handler is the server's HTTP surface.
func (a *App) Handler() http.Handler { return a.handler }

func (a *App) router() http.Handler {
	r := chi.NewRouter()
	r.Use(a.common)
	r.NotFound(func(w http.ResponseWriter, r *http.Request) { a.renderFor(r.URL.Path)(w, r, apierror.ErrNotFound) })
	r.MethodNotAllowed(func(w http.ResponseWriter, r *http.Request) {
		a.renderFor(r.URL.Path)(w, r, apierror.ErrMethodNotAllowed)
	})
	r.Get("/healthz", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	r.Get("/readyz", a.ready)
	r.Handle("/metrics", promhttp.HandlerFor(a.metrics.registry, promhttp.HandlerOpts{}))
	r.Get("/.well-known/jwks.json", a.jwks)
	for _, api := range a.apis {
		a.mountAPI(r, api)
	}
	a.mountDocs(r)
	return r
}

// mountAPI registers one API: its spec document, then its operations behind the body limit and
// its own request validator, all failures rendered in its own error body.
func (a *App) mountAPI(r chi.Router, api mountedAPI) {
	render := func(w http.ResponseWriter, req *http.Request, e *apierror.Error) {
		logFailure(a.logger, req, e)
		api.def.render(w, req, e)
	}
	specJSON, err := api.def.json()
	if err == nil {
		r.Get(api.mount+"/openapi.json", func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.Header().Set("Access-Control-Allow-Origin", "*")
			_, _ = w.Write(specJSON)
		})
	}
	validationSpec := *api.spec
	validationSpec.Servers = nil
	validator := nethttpmw.OapiRequestValidatorWithOptions(&validationSpec, &nethttpmw.Options{
		Prefix:               api.mount,
		DoNotValidateServers: true,
		Options:              openapi3filter.Options{AuthenticationFunc: bearerPresent},
		ErrorHandlerWithOpts: func(_ context.Context, err error, w http.ResponseWriter, req *http.Request, _ nethttpmw.ErrorHandlerOpts) {
			render(w, req, requestError(err))
		},
	})
	onBadRequest := func(w http.ResponseWriter, req *http.Request, err error) { render(w, req, decodeError(err)) }
	onError := func(w http.ResponseWriter, req *http.Request, err error) {
		render(w, req, classify(req.Context(), err))
	}
	r.Group(func(g chi.Router) {
		g.Use(bodyLimit(a.cfg.BodyLimit, render))
		if api.def.middleware != nil {
			g.Use(api.def.middleware(a, api.mount, onError))
		}
		g.Use(validator)
		api.def.routes(a, g, api.mount, onBadRequest, onError)
	})
}

// bearerPresent satisfies a bearer security requirement when the request carries a bearer token;
// whether the token is valid is the handler's business (it needs the database). A cookie
// requirement is left to the handler altogether: it answers in its API's own way.
func bearerPresent(_ context.Context, in *openapi3filter.AuthenticationInput) error {
	if in.SecurityScheme.Type == "apiKey" && in.SecurityScheme.In == "cookie" {
		return nil
	}
	if in.SecurityScheme.Type == "http" && strings.EqualFold(in.SecurityScheme.Scheme, "bearer") {
		h := in.RequestValidationInput.Request.Header.Get("Authorization")
		if len(h) > 7 && strings.EqualFold(h[:7], "bearer ") && strings.TrimSpace(h[7:]) != "" {
			return nil
		}
		return fmt.Errorf("missing bearer token")
	}
	return fmt.Errorf("unsupported security scheme %s", in.SecuritySchemeName)
}

// renderFor returns the error renderer of the API whose mount is the longest prefix of path.
func (a *App) renderFor(path string) renderFunc {
	best, bestLen := renderFunc(renderPlain), -1
	for _, api := range a.apis {
		if (path == api.mount || strings.HasPrefix(path, api.mount+"/")) && len(api.mount) > bestLen {
			best, bestLen = api.def.render, len(api.mount)
		}
	}
	return best
}

// renderPlain is the error body outside every API: {"error": {"code", "message"}}.
func renderPlain(w http.ResponseWriter, _ *http.Request, e *apierror.Error) {
	writeJSON(w, e.Status, map[string]any{"error": map[string]string{"code": e.Code, "message": e.Message}})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func (a *App) ready(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if err := a.store.Ping(ctx); err != nil {
		a.logger.Warn("not ready", "err", err)
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "unavailable", "database": "unreachable"})
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok", "database": "ok"})
}

func (a *App) jwks(w http.ResponseWriter, r *http.Request) {
	doc, err := a.tokens.JWKS(r.Context())
	if err != nil {
		renderPlain(w, r, classify(r.Context(), err))
		return
	}
	w.Header().Set("Content-Type", "application/jwk-set+json")
	w.Header().Set("Cache-Control", "public, max-age=300")
	_, _ = w.Write(doc)
}

// Run does the background work until ctx ends: mail dispatch and the periodic sweeps.
func (a *App) Run(ctx context.Context) {
	done := make(chan struct{})
	go func() { a.Dispatcher.Run(ctx); close(done) }()
	t := time.NewTicker(a.cfg.SweepInterval)
	defer t.Stop()
	for {
		a.Sweep(ctx)
		select {
		case <-ctx.Done():
			<-done
			return
		case <-t.C:
		}
	}
}

// Sweep deletes what has expired: stale guests, sessions, codes, rate-limit counters, and
// outbox rows finished a week ago.
func (a *App) Sweep(ctx context.Context) {
	if guests, err := a.EmailCode.Sweep(ctx); err != nil {
		if ctx.Err() == nil {
			a.logger.Error("sweep emailcode", "err", err)
		}
	} else if guests > 0 {
		a.logger.Info("swept stale guests", "count", guests)
	}
	if err := a.BetterAuth.Sweep(ctx); err != nil && ctx.Err() == nil {
		a.logger.Error("sweep betterauth", "err", err)
	}
	if err := a.Custodian.Sweep(ctx); err != nil && ctx.Err() == nil {
		a.logger.Error("sweep custodian", "err", err)
	}
	if _, err := a.limiter.Sweep(ctx, 24*time.Hour); err != nil && ctx.Err() == nil {
		a.logger.Error("sweep rate limits", "err", err)
	}
	if _, err := a.Dispatcher.DeleteFinished(ctx, 7*24*time.Hour); err != nil && ctx.Err() == nil {
		a.logger.Error("sweep mail outbox", "err", err)
	}
}

// APIInfo describes a mounted API.
type APIInfo struct {
	Name  string
	Mount string
	Spec  *openapi3.T
}

// APIs lists the mounted APIs.
func (a *App) APIs() []APIInfo {
	out := make([]APIInfo, 0, len(a.apis))
	for _, api := range a.apis {
		out = append(out, APIInfo{Name: api.def.name, Mount: api.mount, Spec: api.spec})
	}
	return out
}
