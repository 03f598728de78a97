package betterauth

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"gatehouse/handlers/internal/apierror"
	"gatehouse/handlers/internal/baflow"
	"gatehouse/handlers/internal/ratelimit"
	"gatehouse/handlers/internal/reqctx"
)

// exchange is one request's cookie traffic: the request the cookies came with and the cookies
// the response will set. Generated strict handlers see neither, so Middleware puts it in the
// context and writes the cookies when the response starts, whatever writes it (handler or
// error renderer).
type exchange struct {
	req     *http.Request
	cookies []*http.Cookie
	started bool
	// apiKey is what the request's x-api-key header gave (api-key plugin), once looked up; such
	// a request never gets cookies.
	apiKey *apiKeyAuth
}

type exchangeKey struct{}

func exchangeFrom(ctx context.Context) *exchange {
	if ex, ok := ctx.Value(exchangeKey{}).(*exchange); ok {
		return ex
	}
	return &exchange{req: &http.Request{Header: http.Header{}}}
}

// setCookies queues cookies for the response; a later cookie of the same name replaces an
// earlier one, so the response carries one Set-Cookie per name.
func setCookies(ctx context.Context, cs ...*http.Cookie) {
	ex := exchangeFrom(ctx)
	if ex.apiKey != nil {
		return
	}
	for _, c := range cs {
		kept := ex.cookies[:0]
		for _, old := range ex.cookies {
			if old.Name != c.Name {
				kept = append(kept, old)
			}
		}
		ex.cookies = append(kept, c)
	}
}

type cookieWriter struct {
	http.ResponseWriter
	ex *exchange
}

func (w *cookieWriter) flush() {
	if w.ex.started {
		return
	}
	w.ex.started = true
	for _, c := range w.ex.cookies {
		if v := c.String(); v != "" {
			w.Header().Add("Set-Cookie", v)
		}
	}
}

func (w *cookieWriter) WriteHeader(code int) { w.flush(); w.ResponseWriter.WriteHeader(code) }

func (w *cookieWriter) Write(b []byte) (int, error) { w.flush(); return w.ResponseWriter.Write(b) }

// Unwrap lets http.ResponseController reach the underlying writer.
func (w *cookieWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// RateRule is one of Better Auth's rate-limit rules: at most Max requests per Window from one
// client IP to one path.
type RateRule struct {
	Max    int
	Window time.Duration
}

// RateRules are the limits by class of path, Better Auth's defaults unless configured.
type RateRules struct {
	Global      RateRule // every path: 100 per 10 s
	Credentials RateRule // /sign-in*, /sign-up*, /change-password*, /change-email*, /two-factor/*: 3 per 10 s
	Mail        RateRule // /request-password-reset, /send-verification-email, /forget-password*: 3 per 60 s
}

// DefaultRateRules are Better Auth's.
var DefaultRateRules = RateRules{
	Global:      RateRule{Max: 100, Window: 10 * time.Second},
	Credentials: RateRule{Max: 3, Window: 10 * time.Second},
	Mail:        RateRule{Max: 3, Window: 60 * time.Second},
}

func (r RateRules) forPath(p string) ratelimit.Rule {
	switch {
	case strings.HasPrefix(p, "/sign-in"), strings.HasPrefix(p, "/sign-up"),
		strings.HasPrefix(p, "/change-password"), strings.HasPrefix(p, "/change-email"),
		strings.HasPrefix(p, "/two-factor/"):
		return ratelimit.Rule{Name: "betterauth-credentials", Limit: r.Credentials.Max, Window: r.Credentials.Window}
	case p == "/request-password-reset", p == "/send-verification-email", strings.HasPrefix(p, "/forget-password"):
		return ratelimit.Rule{Name: "betterauth-mail", Limit: r.Mail.Max, Window: r.Mail.Window}
	}
	return ratelimit.Rule{Name: "betterauth-global", Limit: r.Global.Max, Window: r.Global.Window}
}

// Middleware runs before the request validator of the API mounted at mount: the rate limits
// (per client IP and path, as Better Auth counts), the origin (CSRF) check, and the cookie
// exchange of the handlers. limiter may be nil (limits off); failures go to onError, the
// server's error handler.
func Middleware(mount string, flows *baflow.Service, limiter *ratelimit.Limiter, rules RateRules,
	onError func(http.ResponseWriter, *http.Request, error)) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			p := strings.TrimPrefix(r.URL.Path, mount)
			if limiter != nil {
				ip := reqctx.From(r.Context()).ClientIP
				if err := limiter.Check(r.Context(), rules.forPath(p), ip+"|"+p); err != nil {
					onError(w, r, err)
					return
				}
			}
			if err := flows.CheckOrigin(baflow.RequestOrigin{
				Method: r.Method, Origin: r.Header.Get("Origin"), Referer: r.Header.Get("Referer"),
				HasCookie:    r.Header.Get("Cookie") != "",
				SecFetchSite: r.Header.Get("Sec-Fetch-Site"), SecFetchMode: r.Header.Get("Sec-Fetch-Mode"),
				SecFetchDest: r.Header.Get("Sec-Fetch-Dest"),
				SignInOrUp:   strings.HasPrefix(p, "/sign-in/") || strings.HasPrefix(p, "/sign-up/"),
			}); err != nil {
				onError(w, r, err)
				return
			}
			ex := &exchange{req: r}
			next.ServeHTTP(&cookieWriter{ResponseWriter: w, ex: ex}, r.WithContext(context.WithValue(r.Context(), exchangeKey{}, ex)))
		})
	}
}

// RenderError writes an error as Better Auth does: {"message", "code"}; 429 with
// X-Retry-After and only a message; an unknown path or method is 404 with an empty body.
func RenderError(w http.ResponseWriter, r *http.Request, e *apierror.Error) {
	h := w.Header()
	if e.Status == http.StatusNotFound && (e.Code == apierror.ErrNotFound.Code) ||
		e.Status == http.StatusMethodNotAllowed {
		w.WriteHeader(http.StatusNotFound)
		return
	}
	if e.Code == "" && e.Message == "" && e.Status < 500 {
		w.WriteHeader(e.Status) // Better Auth's bodiless APIError (e.g. the admin plugin's 401)
		return
	}
	h.Set("Content-Type", "application/json")
	if errors.Is(e, baflow.APIKeyLimit) { // an API key's 429s keep their code (and details)
		writeAPIKeyLimit(w, e)
		return
	}
	body := map[string]string{"message": e.Message, "code": e.Code}
	switch {
	case e.Status == http.StatusTooManyRequests && errors.As(e, new(*ratelimit.LimitedError)):
		h.Set("X-Retry-After", strconv.Itoa(max(e.RetryAfterSeconds(), 1)))
		body = map[string]string{"message": "Too many requests. Please try again later."}
	case e.Code == "":
		body = map[string]string{"message": e.Message} // an APIError with a message and no code
	case e.Status >= 500:
		body = map[string]string{"message": "Internal Server Error", "code": "INTERNAL_SERVER_ERROR"}
		if e.Code == "TIMEOUT" {
			body = map[string]string{"message": e.Message, "code": e.Code}
		}
	case e.Code == "INVALID_JSON":
		e = errInvalidJSON
		body = map[string]string{"message": e.Message, "code": e.Code}
	case e.Code == "VALIDATION_FAILED":
		e = validationError(r.URL.Path, e)
		body = map[string]string{"message": e.Message, "code": e.Code}
	}
	if body["code"] == "" {
		delete(body, "code") // Better Auth's answers without a code
	}
	w.WriteHeader(e.Status)
	_ = json.NewEncoder(w).Encode(body)
}

// errInvalidJSON is better-call's answer to a body that is not JSON.
var errInvalidJSON = &apierror.Error{Status: http.StatusBadRequest, Code: "BAD_REQUEST", Message: "Invalid JSON in request body"}

// unsupportedProperty matches kin-openapi's reason for a property the schema does not allow.
var unsupportedProperty = regexp.MustCompile(`^property "(.*)" is unsupported$`)

// userFieldsNotInput are the user fields Better Auth refuses in update-user with
// FIELD_NOT_ALLOWED (its schema marks them input: false).
var userFieldsNotInput = []string{"role", "banned", "banReason", "banExpires", "twoFactorEnabled"}

// validationError phrases a refusal of the request validator as Better Auth does: the codes of
// its own checks where one applies (password and username rules, a malformed sign-in email),
// else VALIDATION_ERROR with "[body.field] reason".
func validationError(path string, e *apierror.Error) *apierror.Error {
	inv := e.Invalid
	if inv == nil {
		return &apierror.Error{Status: http.StatusBadRequest, Code: "VALIDATION_ERROR", Message: e.Message}
	}
	field := strings.ReplaceAll(strings.TrimPrefix(inv.Field, "/"), "/", ".")
	switch field {
	case "password", "newPassword":
		switch inv.Rule {
		case "minLength":
			return baflow.ErrPasswordTooShort
		case "maxLength":
			return baflow.ErrPasswordTooLong
		}
	case "username":
		var err *apierror.Error
		switch inv.Rule {
		case "minLength":
			err = baflow.ErrUsernameTooShort
		case "maxLength":
			err = baflow.ErrUsernameTooLong
		case "pattern":
			err = baflow.ErrInvalidUsername
		}
		if err != nil {
			if strings.HasSuffix(path, "/sign-in/username") || strings.HasSuffix(path, "/is-username-available") {
				return err.WithStatus(http.StatusUnprocessableEntity)
			}
			return err
		}
	case "email":
		if inv.Rule == "format" && strings.HasSuffix(path, "/sign-in/email") {
			return baflow.ErrInvalidEmail
		}
	case "":
		if m := unsupportedProperty.FindStringSubmatch(inv.Reason); m != nil && strings.HasSuffix(path, "/update-user") && !strings.HasSuffix(path, "/admin/update-user") {
			switch {
			case m[1] == "email":
				return baflow.ErrEmailCannotBeUpdated
			case slices.Contains(userFieldsNotInput, m[1]):
				return &apierror.Error{Status: http.StatusBadRequest, Code: "FIELD_NOT_ALLOWED", Message: m[1] + " is not allowed to be set"}
			}
		}
	}
	where := inv.In
	if field != "" {
		where += "." + field
	}
	return &apierror.Error{Status: http.StatusBadRequest, Code: "VALIDATION_ERROR", Message: "[" + where + "] " + inv.Reason}
}
