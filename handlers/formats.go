package handlers

import (
	"errors"
	"net/mail"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
)

// kin-openapi checks no string format it has not been told about; these are the ones our specs use.
func init() {
	openapi3.DefineStringFormatValidator("email", openapi3.NewCallbackValidator(validEmail))
}

// validEmail accepts a bare address (no display name, no comments) whose domain has a dot.
func validEmail(s string) error {
	addr, err := mail.ParseAddress(s)
	if err != nil || addr.Address != s || addr.Name != "" {
		return errors.New("not a valid email address")
	}
	at := strings.LastIndexByte(s, '@')
	if at < 1 || !strings.Contains(s[at+1:], ".") || strings.HasSuffix(s, ".") {
		return errors.New("not a valid email address")
	}
	return nil
}
