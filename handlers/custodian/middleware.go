package custodian

import (
	"net/http"

	"gatehouse/handlers/internal/custodianflow"
)

// Middleware resolves the bearer token of every request before the request validator, so that
// each request made with a user's token counts against their rate limit, whether or not it
// turns out well formed; the operations then read the principal it found without a second
// lookup. Failures (over the limit, a database error) are reported to onError.
func Middleware(flow *custodianflow.Service, onError func(http.ResponseWriter, *http.Request, error)) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			ctx, err := flow.Resolve(r.Context())
			if err != nil {
				onError(w, r, err)
				return
			}
			next.ServeHTTP(w, r.WithContext(ctx))
		})
	}
}
