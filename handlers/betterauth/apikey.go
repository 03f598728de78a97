package betterauth

import (
	"context"
	"encoding/json"
	"net/http"

	"gatehouse/gen/betterauthapi"
	"gatehouse/handlers/betterauth/jstime"
	"gatehouse/handlers/internal/apierror"
	"gatehouse/handlers/internal/baflow"
	"gatehouse/handlers/internal/reqctx"
)

// apiKeyHeader carries an API key (api-key plugin): it makes the request its owner's.
const apiKeyHeader = "X-Api-Key"

// apiKeyAuth is the outcome of a request's x-api-key header, looked up once per request.
type apiKeyAuth struct {
	auth *baflow.Auth
	err  error
}

// apiKeySession is session for a request with an x-api-key header: the key's owner (the use
// is counted once per request, however often the handler asks).
func (s *Server) apiKeySession(ctx context.Context, key string) (*baflow.Auth, error) {
	ex := exchangeFrom(ctx)
	if ex.apiKey == nil {
		info := reqctx.From(ctx)
		a, err := s.flows.AuthenticateAPIKey(ctx, key, info.ClientIP, ex.req.Header.Get("User-Agent"))
		ex.apiKey = &apiKeyAuth{auth: a, err: err}
	}
	return ex.apiKey.auth, ex.apiKey.err
}

// viaAPIKey is the session of ctx's request when its x-api-key header gave it one.
func viaAPIKey(ctx context.Context) *baflow.Auth {
	if k := exchangeFrom(ctx).apiKey; k != nil {
		return k.auth
	}
	return nil
}

// apiKeySessionAnswer is get-session's answer for an x-api-key request: the user and the
// synthetic session, without cache headers (as Better Auth's before-hook answers).
type apiKeySessionAnswer struct{ a *baflow.Auth }

func (r apiKeySessionAnswer) write(w http.ResponseWriter) error {
	sess := r.a.Session
	body := struct {
		User    betterauthapi.User          `json:"user"`
		Session betterauthapi.ApiKeySession `json:"session"`
	}{User: toUser(r.a.User), Session: betterauthapi.ApiKeySession{
		Id: sess.ID, Token: sess.Token, UserId: sess.UserID, UserAgent: sess.UserAgent, IpAddress: sess.IPAddress,
		CreatedAt: jstime.From(sess.CreatedAt), UpdatedAt: jstime.From(sess.UpdatedAt), ExpiresAt: jstime.From(sess.ExpiresAt)}}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	return json.NewEncoder(w).Encode(body)
}

func (r apiKeySessionAnswer) VisitGetSessionResponse(w http.ResponseWriter) error { return r.write(w) }
func (r apiKeySessionAnswer) VisitGetSessionPostResponse(w http.ResponseWriter) error {
	return r.write(w)
}

// toAPIKey is a key row as Better Auth answers it (JSON columns parsed, no key).
func toAPIKey(k baflow.APIKey) betterauthapi.ApiKey {
	out := betterauthapi.ApiKey{ConfigId: k.ConfigId, Name: k.Name, Start: k.Start, ReferenceId: k.ReferenceId,
		Prefix: k.Prefix, RefillInterval: keyInt(k.RefillInterval), RefillAmount: keyInt(k.RefillAmount),
		LastRefillAt: jstime.Ptr(k.LastRefillAt), Enabled: k.Enabled, RateLimitEnabled: k.RateLimitEnabled,
		RateLimitTimeWindow: keyInt(k.RateLimitTimeWindow), RateLimitMax: keyInt(k.RateLimitMax),
		RequestCount: keyInt(k.RequestCount), Remaining: keyInt(k.Remaining), LastRequest: jstime.Ptr(k.LastRequest),
		ExpiresAt: jstime.Ptr(k.ExpiresAt), CreatedAt: jstime.From(k.CreatedAt), UpdatedAt: jstime.From(k.UpdatedAt),
		Id: k.ID}
	if m := baflow.ParseAPIKeyJSON(k.Metadata); m != nil {
		out.Metadata = &m
	}
	if m := baflow.ParseAPIKeyJSON(k.Permissions); m != nil {
		perms := map[string][]string{}
		for res, acts := range m {
			list, _ := acts.([]any)
			for _, a := range list {
				if s, ok := a.(string); ok {
					perms[res] = append(perms[res], s)
				}
			}
		}
		out.Permissions = &perms
	}
	return out
}

func keyAny(p *any) any {
	if p == nil {
		return nil
	}
	return *p
}

func keyInt(p *int32) *int {
	if p == nil {
		return nil
	}
	v := int(*p)
	return &v
}

// CreateApiKey creates an API key for the session user; the answer is the only time the key is shown.
func (s *Server) CreateApiKey(ctx context.Context, req betterauthapi.CreateApiKeyRequestObject) (betterauthapi.CreateApiKeyResponseObject, error) {
	a, err := s.session(ctx, false)
	if err != nil {
		return nil, err
	}
	b := req.Body
	k, key, err := s.flows.CreateAPIKey(ctx, a, baflow.NewAPIKey{Name: b.Name, ExpiresIn: b.ExpiresIn, Prefix: b.Prefix,
		Metadata: keyAny(b.Metadata), UserID: b.UserId != nil,
		ServerOnly: b.Remaining != nil || b.RefillAmount != nil || b.RefillInterval != nil || b.RateLimitTimeWindow != nil ||
			b.RateLimitMax != nil || b.RateLimitEnabled != nil || b.Permissions != nil})
	if err != nil {
		return nil, err
	}
	row := toAPIKey(k)
	return betterauthapi.CreateApiKey200JSONResponse(betterauthapi.CreatedApiKey{ConfigId: row.ConfigId, Name: row.Name,
		Start: row.Start, ReferenceId: row.ReferenceId, Prefix: row.Prefix, Key: key, RefillInterval: row.RefillInterval,
		RefillAmount: row.RefillAmount, LastRefillAt: row.LastRefillAt, Enabled: row.Enabled,
		RateLimitEnabled: row.RateLimitEnabled, RateLimitTimeWindow: row.RateLimitTimeWindow, RateLimitMax: row.RateLimitMax,
		RequestCount: row.RequestCount, Remaining: row.Remaining, LastRequest: row.LastRequest, ExpiresAt: row.ExpiresAt,
		CreatedAt: row.CreatedAt, UpdatedAt: row.UpdatedAt, Permissions: row.Permissions, Metadata: row.Metadata,
		Id: row.Id}), nil
}

// GetApiKey returns one of the session user's keys.
func (s *Server) GetApiKey(ctx context.Context, req betterauthapi.GetApiKeyRequestObject) (betterauthapi.GetApiKeyResponseObject, error) {
	a, err := s.requireSession(ctx)
	if err != nil {
		return nil, err
	}
	k, err := s.flows.GetAPIKey(ctx, a, req.Params.Id)
	if err != nil {
		return nil, err
	}
	return betterauthapi.GetApiKey200JSONResponse(toAPIKey(k)), nil
}

// UpdateApiKey changes the name, state or expiry of one of the session user's keys.
func (s *Server) UpdateApiKey(ctx context.Context, req betterauthapi.UpdateApiKeyRequestObject) (betterauthapi.UpdateApiKeyResponseObject, error) {
	a, err := s.session(ctx, false)
	if err != nil {
		return nil, err
	}
	b := req.Body
	in := baflow.APIKeyUpdate{KeyID: b.KeyId, Name: b.Name, Enabled: b.Enabled, SetExpires: b.ExpiresIn.IsSpecified(),
		ServerOnly: b.Remaining != nil || b.RefillAmount != nil || b.RefillInterval != nil || b.RateLimitEnabled != nil ||
			b.RateLimitTimeWindow != nil || b.RateLimitMax != nil || b.Permissions.IsSpecified()}
	if b.UserId != nil {
		uid, _ := (*b.UserId).(string)
		in.UserID = &uid
	}
	if v, err := b.ExpiresIn.Get(); err == nil {
		in.ExpiresIn = &v
	}
	k, err := s.flows.UpdateAPIKey(ctx, a, in)
	if err != nil {
		return nil, err
	}
	return betterauthapi.UpdateApiKey200JSONResponse(toAPIKey(k)), nil
}

// DeleteApiKey deletes one of the session user's keys.
func (s *Server) DeleteApiKey(ctx context.Context, req betterauthapi.DeleteApiKeyRequestObject) (betterauthapi.DeleteApiKeyResponseObject, error) {
	a, err := s.requireSession(ctx)
	if err != nil {
		return nil, err
	}
	if err := s.flows.DeleteAPIKey(ctx, a, req.Body.KeyId); err != nil {
		return nil, err
	}
	return betterauthapi.DeleteApiKey200JSONResponse{Success: true}, nil
}

// ListApiKeys lists the session user's keys, sorted and cut as asked.
func (s *Server) ListApiKeys(ctx context.Context, req betterauthapi.ListApiKeysRequestObject) (betterauthapi.ListApiKeysResponseObject, error) {
	a, err := s.requireSession(ctx)
	if err != nil {
		return nil, err
	}
	p := req.Params
	in := baflow.APIKeyList{OrganizationID: str(p.OrganizationId), Limit: p.Limit, Offset: p.Offset,
		Desc: p.SortDirection != nil && *p.SortDirection == betterauthapi.ListApiKeysParamsSortDirectionDesc}
	if p.SortBy != nil {
		in.SortBy = string(*p.SortBy)
	}
	rows, total, err := s.flows.ListAPIKeys(ctx, a, in)
	if err != nil {
		return nil, err
	}
	out := betterauthapi.ListApiKeys200JSONResponse{ApiKeys: make([]betterauthapi.ApiKey, 0, len(rows)), Total: total,
		Limit: p.Limit, Offset: p.Offset}
	for _, k := range rows {
		out.ApiKeys = append(out.ApiKeys, toAPIKey(k))
	}
	return out, nil
}

// writeAPIKeyLimit writes a 429 of an API key as Better Auth does: with its code, and for
// RATE_LIMITED details.tryAgainIn in milliseconds.
func writeAPIKeyLimit(w http.ResponseWriter, e *apierror.Error) {
	body := map[string]any{"message": e.Message, "code": e.Code}
	if e.Code == "RATE_LIMITED" {
		body["details"] = map[string]int64{"tryAgainIn": e.RetryAfter.Milliseconds()}
	}
	w.WriteHeader(e.Status)
	_ = json.NewEncoder(w).Encode(body)
}
