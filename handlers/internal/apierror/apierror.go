// Package apierror is the error every API renders: an HTTP status, a stable code and a message
// safe to show to a client. Domain errors are mapped onto it in one table (handlers/errors.go);
// each API then renders it in its own error body.
package apierror

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"time"
)

// Error is an error with its HTTP rendering.
type Error struct {
	// Status is the HTTP status.
	Status int
	// Code is a stable SCREAMING_SNAKE identifier clients branch on.
	Code string
	// Message is a human-readable explanation with no internals.
	Message string
	// RetryAfter, when positive, is sent as the Retry-After header (rounded up to seconds).
	RetryAfter time.Duration
	// Err is the cause, for logs only.
	Err error
	// Invalid, for a request the validator refused, says what was wrong, for renderers that
	// phrase such errors their own way.
	Invalid *Invalid
}

// Invalid locates a validation failure: In is "body", "query", "path" or "header"; Field is
// the parameter name or the JSON pointer in the body ("/password"); Rule is the schema keyword
// that failed ("minLength", "format", "required", ...) and Reason the validator's words.
type Invalid struct {
	In, Field, Rule, Reason string
}

// New returns an Error with status, code and message.
func New(status int, code, message string) *Error {
	return &Error{Status: status, Code: code, Message: message}
}

// Error describes e for logs.
func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%d %s: %s: %v", e.Status, e.Code, e.Message, e.Err)
	}
	return fmt.Sprintf("%d %s: %s", e.Status, e.Code, e.Message)
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// WithStatus returns a copy of e with another status, for a code some flows answer differently.
func (e *Error) WithStatus(status int) *Error {
	c := *e
	c.Status = status
	return &c
}

// RetryAfterSeconds is RetryAfter in whole seconds, at least 1; 0 when RetryAfter is not set.
func (e *Error) RetryAfterSeconds() int {
	if e.RetryAfter <= 0 {
		return 0
	}
	return int((e.RetryAfter + time.Second - 1) / time.Second)
}

// Common errors, shared by every API.
var (
	ErrNotFound         = New(http.StatusNotFound, "NOT_FOUND", "No such resource.")
	ErrMethodNotAllowed = New(http.StatusMethodNotAllowed, "METHOD_NOT_ALLOWED", "The resource does not support this method.")
	ErrUnauthorized     = New(http.StatusUnauthorized, "UNAUTHORIZED", "A valid bearer token is required.")
)

// Internal returns the 500 answer for an unexpected error: no internals, the request id to quote.
func Internal(requestID string, cause error) *Error {
	return &Error{
		Status:  http.StatusInternalServerError,
		Code:    "INTERNAL_ERROR",
		Message: "Internal error; quote request id " + requestID + " when reporting it.",
		Err:     cause,
	}
}

// WriteNested writes e as {"error": {"code", "message"[, "requestId"]}}, the error body of the
// APIs that nest it (email-code, Custodian), with code and message as the API words them; a 5xx
// carries the request id, and e's RetryAfter goes out as Retry-After.
func WriteNested(w http.ResponseWriter, e *Error, code, message, requestID string) {
	type inner struct {
		Code      string  `json:"code"`
		Message   string  `json:"message"`
		RequestID *string `json:"requestId,omitempty"`
	}
	body := struct {
		Error inner `json:"error"`
	}{inner{Code: code, Message: message}}
	if e.Status >= 500 {
		body.Error.RequestID = &requestID
	}
	w.Header().Set("Content-Type", "application/json")
	if s := e.RetryAfterSeconds(); s > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(s))
	}
	w.WriteHeader(e.Status)
	_ = json.NewEncoder(w).Encode(body)
}
