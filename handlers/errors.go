package handlers

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/jackc/pgx/v5/pgconn"

	"gatehouse/handlers/internal/apierror"
	"gatehouse/handlers/internal/authflow"
	"gatehouse/handlers/internal/custodianflow"
	"gatehouse/handlers/internal/ratelimit"
	"gatehouse/handlers/internal/reqctx"
)

// errorTable maps domain errors onto their HTTP rendering; the one place where that happens.
var errorTable = []struct {
	err error
	api *apierror.Error
}{
	{authflow.ErrInvalidCode, apierror.New(http.StatusBadRequest, "INVALID_CODE", "The code is wrong, expired or already used.")},
	{authflow.ErrUnauthenticated, apierror.ErrUnauthorized},
	{authflow.ErrUnknownUser, apierror.New(http.StatusUnauthorized, "USER_NOT_FOUND", "No account has this email address.")},
	{authflow.ErrNotAdmin, apierror.New(http.StatusForbidden, "FORBIDDEN", "This account may not sign in to the dashboard.")},
	{custodianflow.ErrInvalidCredentials, apierror.New(http.StatusUnauthorized, "INVALID_CREDENTIALS", "Invalid email or credentials.")},
	{custodianflow.ErrWrongOldPassword, apierror.New(http.StatusBadRequest, "INVALID_CREDENTIALS", "The old password is wrong.")},
	{custodianflow.ErrEmailTaken, apierror.New(http.StatusConflict, "EMAIL_TAKEN", "Another account has this email address.")},
	{custodianflow.ErrRegistrationClosed, apierror.New(http.StatusForbidden, "REGISTRATION_CLOSED", "This server does not take new registrations.")},
	{custodianflow.ErrUnauthenticated, apierror.ErrUnauthorized},
	{custodianflow.ErrForbidden, apierror.New(http.StatusForbidden, "FORBIDDEN", "You may not do this.")},
	{custodianflow.ErrUserNotFound, apierror.New(http.StatusNotFound, "USER_NOT_FOUND", "No user has this id.")},
}

// classify turns any error a handler returns into its HTTP rendering; unknown errors are 500.
func classify(ctx context.Context, err error) *apierror.Error {
	var api *apierror.Error
	if errors.As(err, &api) {
		return api
	}
	for _, row := range errorTable {
		if errors.Is(err, row.err) {
			e := *row.api
			e.Err = err
			return &e
		}
	}
	var input *custodianflow.InputError
	if errors.As(err, &input) {
		return &apierror.Error{Status: http.StatusBadRequest, Code: "BAD_REQUEST", Message: input.Message, Err: err}
	}
	var limited *ratelimit.LimitedError
	if errors.As(err, &limited) {
		return &apierror.Error{Status: http.StatusTooManyRequests, Code: "RATE_LIMITED",
			Message: "Too many requests; retry later.", RetryAfter: limited.RetryAfter, Err: err}
	}
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return payloadTooLarge(tooBig.Limit)
	}
	// A NUL or invalid UTF-8 in a client's text reaches PostgreSQL only as a query argument,
	// which it refuses (22021): bad input, not a server fault.
	if pgErr := (*pgconn.PgError)(nil); errors.As(err, &pgErr) && pgErr.Code == "22021" {
		return &apierror.Error{Status: http.StatusBadRequest, Code: "VALIDATION_ERROR",
			Message: "Invalid input: text must be UTF-8 without NUL characters.", Err: err}
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return &apierror.Error{Status: http.StatusServiceUnavailable, Code: "TIMEOUT",
			Message: "The request took too long; retry later.", Err: err}
	}
	return apierror.Internal(reqctx.From(ctx).RequestID, err)
}

func payloadTooLarge(limit int64) *apierror.Error {
	return apierror.New(http.StatusRequestEntityTooLarge, "PAYLOAD_TOO_LARGE",
		fmt.Sprintf("The request body is larger than %d bytes.", limit))
}

// requestError renders the failures of the kin-openapi validator: never a 5xx for bad input,
// and messages that name the field and the rule without echoing the client's value.
func requestError(err error) *apierror.Error {
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return payloadTooLarge(tooBig.Limit)
	}
	var reqErr *openapi3filter.RequestError
	if errors.As(err, &reqErr) && reqErr.Reason == "reading failed" {
		// A body cut short; checked first because a security check that reads the body
		// reports it wrapped in a SecurityRequirementsError.
		return apierror.New(http.StatusBadRequest, "BAD_REQUEST", "The request body could not be read.")
	}
	var secErr *openapi3filter.SecurityRequirementsError
	if errors.As(err, &secErr) {
		return apierror.ErrUnauthorized
	}
	if errors.Is(err, routers.ErrMethodNotAllowed) {
		return apierror.ErrMethodNotAllowed
	}
	if errors.Is(err, routers.ErrPathNotFound) {
		return apierror.ErrNotFound
	}
	if !errors.As(err, &reqErr) {
		return apierror.New(http.StatusBadRequest, "BAD_REQUEST", "The request is malformed.")
	}
	where := "The request body"
	inv := &apierror.Invalid{In: "body"}
	if reqErr.Parameter != nil {
		where = fmt.Sprintf("Parameter %q in %s", reqErr.Parameter.Name, reqErr.Parameter.In)
		inv = &apierror.Invalid{In: reqErr.Parameter.In, Field: reqErr.Parameter.Name}
	}
	withInvalid := func(e *apierror.Error, rule, reason string) *apierror.Error {
		inv.Rule, inv.Reason = rule, reason
		e.Invalid = inv
		return e
	}
	if strings.HasPrefix(reqErr.Reason, "header Content-Type has unexpected value") {
		return apierror.New(http.StatusUnsupportedMediaType, "UNSUPPORTED_MEDIA_TYPE", "The request body must be application/json.")
	}
	if errors.Is(err, openapi3filter.ErrInvalidRequired) {
		return withInvalid(apierror.New(http.StatusBadRequest, "VALIDATION_FAILED", where+" is required."), "required", "is required")
	}
	var schemaErr *openapi3.SchemaError
	if errors.As(err, &schemaErr) {
		field := "/" + strings.Join(schemaErr.JSONPointer(), "/")
		if inv.In == "body" {
			inv.Field = field
		}
		reason := clip(schemaErr.Reason, 160) // it may quote a property name of any length
		return withInvalid(apierror.New(http.StatusBadRequest, "VALIDATION_FAILED", fmt.Sprintf("%s %s: %s", where, clip(field, 100), reason)),
			schemaErr.SchemaField, reason)
	}
	var parseErr *openapi3filter.ParseError
	var syntaxErr *json.SyntaxError
	if reqErr.Parameter != nil && errors.As(err, &parseErr) {
		// Not parseErr.Error(): it quotes the value.
		reason := "is not valid"
		if sr := reqErr.Parameter.Schema; sr != nil && sr.Value != nil && sr.Value.Type != nil && len(*sr.Value.Type) == 1 {
			reason = "expected a " + (*sr.Value.Type)[0]
		}
		return withInvalid(apierror.New(http.StatusBadRequest, "VALIDATION_FAILED", where+" is malformed: "+reason), "type", reason)
	}
	if errors.As(err, &parseErr) || errors.As(err, &syntaxErr) || strings.Contains(reqErr.Reason, "failed to decode") {
		return apierror.New(http.StatusBadRequest, "INVALID_JSON", where+" is not valid JSON.")
	}
	return apierror.New(http.StatusBadRequest, "BAD_REQUEST", where+" is malformed.")
}

// clip shortens s to at most n bytes (on a rune boundary), marking the cut with "…".
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}

// decodeError renders a body the generated handler could not bind (after the validator let it pass).
func decodeError(err error) *apierror.Error {
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return payloadTooLarge(tooBig.Limit)
	}
	if strings.HasPrefix(err.Error(), "can't decode JSON body") {
		return apierror.New(http.StatusBadRequest, "INVALID_JSON", "The request body could not be decoded.")
	}
	// A parameter the generated router could not bind (malformed, repeated).
	reason := clip(err.Error(), 160)
	e := apierror.New(http.StatusBadRequest, "VALIDATION_FAILED", "A parameter is malformed: "+reason)
	e.Invalid = &apierror.Invalid{In: "query", Rule: "type", Reason: reason}
	return e
}

// readError renders a body that could not be read: too large, or cut short.
func readError(err error) *apierror.Error {
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return payloadTooLarge(tooBig.Limit)
	}
	return apierror.New(http.StatusBadRequest, "BAD_REQUEST", "The request body could not be read.")
}

// logFailure logs the cause of server-side failures; client errors are in the access log.
func logFailure(logger *slog.Logger, r *http.Request, e *apierror.Error) {
	if e.Status >= 500 {
		logger.Error("request failed", "request_id", reqctx.From(r.Context()).RequestID,
			"method", r.Method, "path", r.URL.Path, "status", e.Status, "err", e.Err)
	}
}
