// Package reqctx carries what the common middleware learns about a request (its id, the client's
// address and user agent, the bearer token) to the handlers and use cases, through the context.
package reqctx

import (
	"context"
	"strings"
)

// Info describes the request being served.
type Info struct {
	// RequestID is the id sent back as X-Request-Id and written in the logs.
	RequestID string
	// ClientIP is the client's address: the direct peer, or X-Forwarded-For's when the peer is a trusted proxy.
	ClientIP string
	// UserAgent is the User-Agent header, cut to 512 bytes.
	UserAgent string
	// Bearer is the token of an `Authorization: Bearer` header, empty when there is none.
	Bearer string
}

type key struct{}

// With returns ctx carrying info.
func With(ctx context.Context, info *Info) context.Context {
	return context.WithValue(ctx, key{}, info)
}

// From returns the request's info; the zero Info when ctx carries none.
func From(ctx context.Context) Info {
	if info, ok := ctx.Value(key{}).(*Info); ok {
		return *info
	}
	return Info{}
}

// BearerToken extracts the token of an Authorization header value, or "" when it is not a bearer.
func BearerToken(header string) string {
	const prefix = "bearer "
	if len(header) <= len(prefix) || !strings.EqualFold(header[:len(prefix)], prefix) {
		return ""
	}
	return strings.TrimSpace(header[len(prefix):])
}
