package custodian

import (
	"net/http"
	"regexp"
	"strings"

	"gatehouse/handlers/internal/apierror"
	"gatehouse/handlers/internal/reqctx"
)

// RenderError writes e in this API's error body, {"error": {"code", "message"[, "requestId"]}},
// in the seed's words: bad input is BAD_REQUEST with a message naming the field and the rule,
// a malformed user id INVALID_USER_ID, an unknown channel INVALID_CHANNEL.
func RenderError(w http.ResponseWriter, r *http.Request, e *apierror.Error) {
	code, message := e.Code, e.Message
	switch {
	case e.Invalid != nil:
		code, message = invalid(e.Invalid)
	case code == "VALIDATION_FAILED" || code == "INVALID_JSON" || code == "VALIDATION_ERROR":
		code = "BAD_REQUEST"
	}
	apierror.WriteNested(w, e, code, message, reqctx.From(r.Context()).RequestID)
}

var quoted = regexp.MustCompile(`"([^"]{1,64})"`)

// fieldHints are the rules of fields whose validator message would not say enough.
var fieldHints = map[string]string{
	"password":     "must be at least 8 characters long",
	"new_password": "must be at least 8 characters long",
	"phone_number": "use the E.164 form, like +32470123456",
	"country":      "use an ISO 3166-1 alpha-2 code, like BE",
	"first_name":   "cannot be empty",
	"last_name":    "cannot be empty",
	"email":        "not a valid email address",
}

// invalid phrases a validator failure: the seed's special codes for the path parameters, and
// "Missing x" / "Invalid x: why" for the rest.
func invalid(inv *apierror.Invalid) (code, message string) {
	if inv.Field == "userId" || (inv.In != "body" && strings.Contains(inv.Reason, "userId")) {
		return "INVALID_USER_ID", "Invalid user ID"
	}
	if inv.Field == "channel" {
		return "INVALID_CHANNEL", "Invalid notification channel"
	}
	if inv.In != "body" {
		return "BAD_REQUEST", "Invalid " + inv.Field + ": " + inv.Reason
	}
	field := inv.Field[strings.LastIndexByte(inv.Field, '/')+1:]
	switch inv.Rule {
	case "required":
		if m := quoted.FindStringSubmatch(inv.Reason); m != nil {
			return "BAD_REQUEST", "Missing " + m[1]
		}
		return "BAD_REQUEST", "Missing request body"
	case "additionalProperties":
		if m := quoted.FindStringSubmatch(inv.Reason); m != nil {
			return "BAD_REQUEST", "Unknown field " + m[1]
		}
	case "minProperties":
		return "BAD_REQUEST", "Give at least one field to change"
	case "type":
		if field != "" {
			return "BAD_REQUEST", "Invalid " + field + ": " + inv.Reason
		}
		return "BAD_REQUEST", "The request body must be a JSON object"
	case "enum":
		return "BAD_REQUEST", "Invalid " + field
	}
	if hint, ok := fieldHints[field]; ok {
		if inv.Rule == "maxLength" {
			hint = inv.Reason
		}
		return "BAD_REQUEST", "Invalid " + field + ": " + hint
	}
	if field == "" {
		return "BAD_REQUEST", "Invalid request body: " + inv.Reason
	}
	return "BAD_REQUEST", "Invalid " + field + ": " + inv.Reason
}
