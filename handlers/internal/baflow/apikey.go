package baflow

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"time"

	"gatehouse/db"
	"gatehouse/gen/dbsqlc"
	"gatehouse/handlers/internal/apierror"
	"gatehouse/handlers/internal/token"
)

// Errors of the api-key plugin, with @better-auth/api-key 1.7's codes, messages and statuses.
var (
	ErrAPIKeyServerOnly       = baError(http.StatusBadRequest, "SERVER_ONLY_PROPERTY", "The property you're trying to set can only be set from the server auth instance only.")
	ErrAPIKeyUnauthorized     = baError(http.StatusUnauthorized, "UNAUTHORIZED_SESSION", "Unauthorized or invalid session")
	ErrAPIKeyMetadataDisabled = baError(http.StatusBadRequest, "METADATA_DISABLED", "Metadata is disabled.")
	ErrAPIKeyExpiresTooSmall  = baError(http.StatusBadRequest, "EXPIRES_IN_IS_TOO_SMALL", "The expiresIn is smaller than the predefined minimum value.")
	ErrAPIKeyExpiresTooLarge  = baError(http.StatusBadRequest, "EXPIRES_IN_IS_TOO_LARGE", "The expiresIn is larger than the predefined maximum value.")
	ErrAPIKeyPrefixLength     = baError(http.StatusBadRequest, "INVALID_PREFIX_LENGTH", "The prefix length is either too large or too small.")
	ErrAPIKeyNameLength       = baError(http.StatusBadRequest, "INVALID_NAME_LENGTH", "The name length is either too large or too small.")
	ErrAPIKeyNoValues         = baError(http.StatusBadRequest, "NO_VALUES_TO_UPDATE", "No values to update.")
	ErrAPIKeyUserBanned       = baError(http.StatusUnauthorized, "USER_BANNED", "User is banned")
	ErrAPIKeyNotFound         = baError(http.StatusNotFound, "KEY_NOT_FOUND", "API Key not found")
	ErrAPIKeyInvalid          = baError(http.StatusUnauthorized, "INVALID_API_KEY", "Invalid API key.")
	ErrAPIKeyTooShort         = baError(http.StatusForbidden, "INVALID_API_KEY", "Invalid API key.")
	ErrAPIKeyDisabled         = baError(http.StatusUnauthorized, "KEY_DISABLED", "API Key is disabled")
	ErrAPIKeyExpired          = baError(http.StatusUnauthorized, "KEY_EXPIRED", "API Key has expired")
	ErrAPIKeyBadReference     = baError(http.StatusUnauthorized, "INVALID_REFERENCE_ID_FROM_API_KEY", "The reference id from the API key is invalid.")
	ErrAPIKeyNotMember        = baError(http.StatusForbidden, "USER_NOT_MEMBER_OF_ORGANIZATION", "You are not a member of the organization that owns this API key.")
	ErrAPIKeyNoPermission     = baError(http.StatusForbidden, "INSUFFICIENT_API_KEY_PERMISSIONS", "You do not have permission to perform this action on API keys.")
	// ErrAPIKeyUsageExceeded is a key with no uses left.
	ErrAPIKeyUsageExceeded = &apierror.Error{Status: http.StatusTooManyRequests, Code: "USAGE_EXCEEDED",
		Message: "API Key has reached its usage limit", Err: APIKeyLimit}
)

// APIKeyLimit is the cause of the 429s of API keys (used up, rate limited), which Better Auth
// answers with their code, unlike its own rate limiter; a RATE_LIMITED one carries the time to
// wait in RetryAfter (sent as details.tryAgainIn, in milliseconds).
var APIKeyLimit = errors.New("api key limit")

func errAPIKeyRateLimited(tryAgainIn time.Duration) *apierror.Error {
	return &apierror.Error{Status: http.StatusTooManyRequests, Code: "RATE_LIMITED", Message: "Rate limit exceeded.",
		RetryAfter: tryAgainIn, Err: APIKeyLimit}
}

// The api-key plugin's defaults (@better-auth/api-key 1.7).
const (
	apiKeyLength        = 64
	apiKeyStartLength   = 6
	apiKeyMaxPrefix     = 32
	apiKeyMaxName       = 32
	apiKeyMinExpiresIn  = 24 * time.Hour
	apiKeyMaxExpiresIn  = 365 * 24 * time.Hour
	apiKeyDefaultWindow = 86_400_000 // ms
	apiKeyDefaultMax    = 10
	apiKeyConfigID      = "default"
)

// APIKey is an API key row as stored (Key holds the hash).
type APIKey = dbsqlc.BetterauthApikey

// APIKeyHash is how a key is stored: base64url (no padding) of its SHA-256, as Better Auth does.
func APIKeyHash(key string) string {
	sum := sha256.Sum256([]byte(key))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// NewAPIKey is a client's request for a key, fields as sent (nil when absent).
type NewAPIKey struct {
	Name      *string
	ExpiresIn *float64 // seconds
	Prefix    *string
	// Metadata is the metadata sent, refused when keyTruthy (metadata is disabled).
	Metadata any
	// ServerOnly is set when the body holds a property only the server may set (remaining other
	// than null, refill*, rateLimit*, permissions).
	ServerOnly bool
	// UserID is set when the body names a user.
	UserID bool
}

// ServerAPIKey is a key created by the server itself (an admin task), with what clients may
// not choose.
type ServerAPIKey struct {
	Name             *string
	ExpiresIn        time.Duration // 0: never
	Prefix           *string
	NoRateLimit      bool
	Remaining        *int32
	RefillAmount     *int32
	RefillInterval   *int32 // ms
	RateLimitWindow  *int32 // ms
	RateLimitMaximum *int32
}

// CreateAPIKey creates a key for a's user (a may be nil: the checks come in Better Auth's order)
// and returns its row and the key itself.
func (s *Service) CreateAPIKey(ctx context.Context, a *Auth, in NewAPIKey) (APIKey, string, error) {
	if in.ServerOnly {
		return APIKey{}, "", ErrAPIKeyServerOnly
	}
	if in.UserID || a == nil {
		return APIKey{}, "", ErrAPIKeyUnauthorized
	}
	if keyTruthy(in.Metadata) {
		return APIKey{}, "", ErrAPIKeyMetadataDisabled
	}
	var life time.Duration
	if in.ExpiresIn != nil && *in.ExpiresIn != 0 {
		days := *in.ExpiresIn / 86400
		if days < apiKeyMinExpiresIn.Hours()/24 {
			return APIKey{}, "", ErrAPIKeyExpiresTooSmall
		}
		if days > apiKeyMaxExpiresIn.Hours()/24 {
			return APIKey{}, "", ErrAPIKeyExpiresTooLarge
		}
		life = time.Duration(*in.ExpiresIn * float64(time.Second))
	}
	return s.createAPIKey(ctx, a.User.ID, ServerAPIKey{Name: in.Name, Prefix: in.Prefix, ExpiresIn: life,
		NoRateLimit: s.cfg.APIKeyRateLimitOff})
}

// CreateAPIKeyForEmail creates a key for the user with email, server-side (an admin task: no
// session, options clients may not choose), and returns its row and the key itself. name and
// prefix may be empty; remaining < 0 is unlimited uses.
func (s *Service) CreateAPIKeyForEmail(ctx context.Context, email, name, prefix string, noRateLimit bool, remaining int) (APIKey, string, error) {
	email = normalizeEmail(email)
	u, err := s.store.BetterauthUserGetByEmail(ctx, s.store.Pool(), email)
	if notFound(err) {
		return APIKey{}, "", fmt.Errorf("no user with email %s", email)
	} else if err != nil {
		return APIKey{}, "", db.Translate(err)
	}
	in := ServerAPIKey{NoRateLimit: noRateLimit}
	if name != "" {
		in.Name = &name
	}
	if prefix != "" {
		if !apiKeyPrefixChars.MatchString(prefix) {
			return APIKey{}, "", fmt.Errorf("prefix %q: only letters, digits, _ and - are allowed", prefix)
		}
		in.Prefix = &prefix
	}
	if remaining >= 0 {
		in.Remaining = keyPtr(int32(min(remaining, math.MaxInt32)))
	}
	return s.createAPIKey(ctx, u.ID, in)
}

var apiKeyPrefixChars = regexp.MustCompile(`^[a-zA-Z0-9_-]+$`)

func (s *Service) createAPIKey(ctx context.Context, userID string, in ServerAPIKey) (APIKey, string, error) {
	if in.Prefix != nil && *in.Prefix != "" && len(*in.Prefix) > apiKeyMaxPrefix {
		return APIKey{}, "", ErrAPIKeyPrefixLength
	}
	if in.Name != nil && *in.Name != "" && len([]rune(*in.Name)) > apiKeyMaxName {
		return APIKey{}, "", ErrAPIKeyNameLength
	}
	if _, err := s.store.BetterauthApikeyDeleteExpired(ctx, s.store.Pool()); err != nil {
		return APIKey{}, "", db.Translate(err)
	}
	key := token.Letters(apiKeyLength)
	var prefix *string
	if in.Prefix != nil && *in.Prefix != "" {
		key, prefix = *in.Prefix+key, in.Prefix
	}
	p := dbsqlc.BetterauthApikeyCreateParams{
		ID: newID(), ConfigID: apiKeyConfigID, Name: in.Name, Start: keyPtr(key[:apiKeyStartLength]),
		ReferenceID: userID, Prefix: prefix, Key: APIKeyHash(key), RateLimitEnabled: keyPtr(!in.NoRateLimit),
		RateLimitTimeWindow: cmp.Or(in.RateLimitWindow, keyPtr[int32](apiKeyDefaultWindow)),
		RateLimitMax:        cmp.Or(in.RateLimitMaximum, keyPtr[int32](apiKeyDefaultMax)),
		Remaining:           in.Remaining, RefillAmount: in.RefillAmount, RefillInterval: in.RefillInterval,
		Metadata: keyPtr("null"), // Better Auth stores JSON.stringify(null)
	}
	if in.ExpiresIn > 0 {
		p.ExpiresAt = keyPtr(time.Now().Add(in.ExpiresIn))
	}
	row, err := s.store.BetterauthApikeyCreate(ctx, s.store.Pool(), p)
	if err != nil {
		return APIKey{}, "", db.Translate(err)
	}
	return row, key, nil
}

// GetAPIKey returns a's user's key id.
func (s *Service) GetAPIKey(ctx context.Context, a *Auth, id string) (APIKey, error) {
	if _, err := s.store.BetterauthApikeyDeleteExpired(ctx, s.store.Pool()); err != nil {
		return APIKey{}, db.Translate(err)
	}
	return s.ownAPIKey(ctx, a, id)
}

func (s *Service) ownAPIKey(ctx context.Context, a *Auth, id string) (APIKey, error) {
	row, err := s.store.BetterauthApikeyGet(ctx, s.store.Pool(), id)
	if notFound(err) || err == nil && row.ReferenceId != a.User.ID {
		return APIKey{}, ErrAPIKeyNotFound
	}
	return row, db.Translate(err)
}

// APIKeyList says which of the user's keys ListAPIKeys returns.
type APIKeyList struct {
	OrganizationID string
	Limit, Offset  *int
	// SortBy is a column of the row (the caller checks it against the spec's list); Desc
	// reverses the order.
	SortBy string
	Desc   bool
}

// ListAPIKeys returns a page of a's user's keys and how many there are in all.
func (s *Service) ListAPIKeys(ctx context.Context, a *Auth, in APIKeyList) ([]APIKey, int, error) {
	if _, err := s.store.BetterauthApikeyDeleteExpired(ctx, s.store.Pool()); err != nil {
		return nil, 0, db.Translate(err)
	}
	if in.OrganizationID != "" {
		role, err := s.store.BetterauthApikeyMemberRole(ctx, s.store.Pool(), dbsqlc.BetterauthApikeyMemberRoleParams{
			UserID: a.User.ID, OrganizationID: in.OrganizationID})
		if notFound(err) {
			return nil, 0, ErrAPIKeyNotMember
		} else if err != nil {
			return nil, 0, db.Translate(err)
		}
		// Only the owner may act on an organization's keys under the default roles; keys of
		// this configuration belong to users, so an organization has none.
		if !slices.Contains(strings.Split(role, ","), "owner") {
			return nil, 0, ErrAPIKeyNoPermission
		}
		return []APIKey{}, 0, nil
	}
	rows, err := s.store.BetterauthApikeyListByReference(ctx, s.store.Pool(), a.User.ID)
	if err != nil {
		return nil, 0, db.Translate(err)
	}
	if in.SortBy != "" {
		slices.SortStableFunc(rows, func(x, y APIKey) int {
			c := compareAPIKeys(in.SortBy, x, y)
			if in.Desc {
				return -c
			}
			return c
		})
	}
	total := len(rows)
	if in.Offset != nil {
		rows = rows[min(*in.Offset, len(rows)):]
	}
	if in.Limit != nil {
		rows = rows[:min(*in.Limit, len(rows))]
	}
	return rows, total, nil
}

// compareAPIKeys orders x and y by column as PostgreSQL does: NULLs after every value
// ascending, so before them once the caller reverses the order for desc.
func compareAPIKeys(column string, x, y APIKey) int {
	switch column {
	case "configId":
		return cmp.Compare(x.ConfigId, y.ConfigId)
	case "name":
		return keyCmpNull(x.Name, y.Name)
	case "start":
		return keyCmpNull(x.Start, y.Start)
	case "referenceId":
		return cmp.Compare(x.ReferenceId, y.ReferenceId)
	case "prefix":
		return keyCmpNull(x.Prefix, y.Prefix)
	case "refillInterval":
		return keyCmpNull(x.RefillInterval, y.RefillInterval)
	case "refillAmount":
		return keyCmpNull(x.RefillAmount, y.RefillAmount)
	case "lastRefillAt":
		return keyCmpTime(x.LastRefillAt, y.LastRefillAt)
	case "enabled":
		return keyCmpBool(x.Enabled, y.Enabled)
	case "rateLimitEnabled":
		return keyCmpBool(x.RateLimitEnabled, y.RateLimitEnabled)
	case "rateLimitTimeWindow":
		return keyCmpNull(x.RateLimitTimeWindow, y.RateLimitTimeWindow)
	case "rateLimitMax":
		return keyCmpNull(x.RateLimitMax, y.RateLimitMax)
	case "requestCount":
		return keyCmpNull(x.RequestCount, y.RequestCount)
	case "remaining":
		return keyCmpNull(x.Remaining, y.Remaining)
	case "lastRequest":
		return keyCmpTime(x.LastRequest, y.LastRequest)
	case "expiresAt":
		return keyCmpTime(x.ExpiresAt, y.ExpiresAt)
	case "createdAt":
		return x.CreatedAt.Compare(y.CreatedAt)
	case "updatedAt":
		return x.UpdatedAt.Compare(y.UpdatedAt)
	case "id":
		return cmp.Compare(x.ID, y.ID)
	}
	return 0
}

func keyCmpNull[T cmp.Ordered](x, y *T) int {
	switch {
	case x == nil && y == nil:
		return 0
	case x == nil:
		return 1
	case y == nil:
		return -1
	}
	return cmp.Compare(*x, *y)
}

func keyCmpTime(x, y *time.Time) int {
	if x == nil || y == nil {
		return keyCmpNull[int](keyNilOr(x), keyNilOr(y))
	}
	return x.Compare(*y)
}

func keyCmpBool(x, y *bool) int {
	b := func(p *bool) *int {
		if p == nil {
			return nil
		}
		if *p {
			return keyPtr(1)
		}
		return keyPtr(0)
	}
	return keyCmpNull(b(x), b(y))
}

// keyNilOr is nil for nil and 0 otherwise: where only the NULLs matter.
func keyNilOr(t *time.Time) *int {
	if t == nil {
		return nil
	}
	return keyPtr(0)
}

// APIKeyUpdate is a client's change to a key, fields as sent.
type APIKeyUpdate struct {
	KeyID string
	// UserID is the userId sent, if any.
	UserID     *string
	Name       *string
	Enabled    *bool
	SetExpires bool
	ExpiresIn  *float64 // seconds; nil with SetExpires: never
	// ServerOnly is set when the body holds a property only the server may set.
	ServerOnly bool
}

// UpdateAPIKey changes a's user's key (a may be nil: the checks come in Better Auth's order).
func (s *Service) UpdateAPIKey(ctx context.Context, a *Auth, in APIKeyUpdate) (APIKey, error) {
	if a == nil || in.UserID != nil && *in.UserID != a.User.ID {
		return APIKey{}, ErrAPIKeyUnauthorized
	}
	if in.ServerOnly {
		return APIKey{}, ErrAPIKeyServerOnly
	}
	if _, err := s.ownAPIKey(ctx, a, in.KeyID); err != nil {
		return APIKey{}, err
	}
	p := dbsqlc.BetterauthApikeyUpdateParams{ID: in.KeyID, ReferenceID: a.User.ID}
	if in.Name != nil {
		if n := len([]rune(*in.Name)); n < 1 || n > apiKeyMaxName {
			return APIKey{}, ErrAPIKeyNameLength
		}
		p.SetName, p.Name = true, in.Name
	}
	if in.Enabled != nil {
		p.SetEnabled, p.Enabled = true, in.Enabled
	}
	if in.SetExpires {
		p.SetExpiresAt = true
		if in.ExpiresIn != nil {
			days := *in.ExpiresIn / 86400
			if days < apiKeyMinExpiresIn.Hours()/24 {
				return APIKey{}, ErrAPIKeyExpiresTooSmall
			}
			if days > apiKeyMaxExpiresIn.Hours()/24 {
				return APIKey{}, ErrAPIKeyExpiresTooLarge
			}
			p.ExpiresAt = keyPtr(time.Now().Add(time.Duration(*in.ExpiresIn * float64(time.Second))))
		}
	}
	if !p.SetName && !p.SetEnabled && !p.SetExpiresAt {
		return APIKey{}, ErrAPIKeyNoValues
	}
	row, err := s.store.BetterauthApikeyUpdate(ctx, s.store.Pool(), p)
	if notFound(err) {
		return APIKey{}, ErrAPIKeyNotFound // deleted meanwhile
	} else if err != nil {
		return APIKey{}, db.Translate(err)
	}
	if _, err := s.store.BetterauthApikeyDeleteExpired(ctx, s.store.Pool()); err != nil {
		return APIKey{}, db.Translate(err)
	}
	return row, nil
}

// DeleteAPIKey deletes a's user's key id.
func (s *Service) DeleteAPIKey(ctx context.Context, a *Auth, id string) error {
	if a.User.Banned != nil && *a.User.Banned {
		return ErrAPIKeyUserBanned
	}
	n, err := s.store.BetterauthApikeyDelete(ctx, s.store.Pool(), dbsqlc.BetterauthApikeyDeleteParams{
		ID: id, ReferenceID: a.User.ID})
	if err != nil {
		return db.Translate(err)
	}
	if n == 0 {
		return ErrAPIKeyNotFound
	}
	_, err = s.store.BetterauthApikeyDeleteExpired(ctx, s.store.Pool())
	return db.Translate(err)
}

// AuthenticateAPIKey is the session of a request carrying the API key key (the x-api-key
// header): the key's owner and a synthetic session shaped as Better Auth's (id = the key's id,
// token = the key); a banned owner gets 401 USER_BANNED. The request counts as one use of
// the key, claimed under a row lock so that concurrent requests never use more than the key
// allows; a refused request uses nothing, but an expired key, or one used up for good, is
// deleted. A key whose use counts nothing (no
// remaining uses, no rate limit) is only read, and its lastRequest written at most once a
// second.
func (s *Service) AuthenticateAPIKey(ctx context.Context, key, ipAddress, userAgent string) (*Auth, error) {
	if len(key) < apiKeyLength {
		return nil, ErrAPIKeyTooShort
	}
	hash := APIKeyHash(key)
	row, err := s.store.BetterauthApikeyGetByKey(ctx, s.store.Pool(), hash)
	if notFound(err) {
		return nil, ErrAPIKeyInvalid
	} else if err != nil {
		return nil, db.Translate(err)
	}
	user, err := s.store.BetterauthUserGet(ctx, s.store.Pool(), row.ReferenceId)
	if notFound(err) {
		return nil, ErrAPIKeyBadReference
	} else if err != nil {
		return nil, db.Translate(err)
	}
	// A banned user gets no session from a key either (Better Auth checks the ban only when a
	// session row is created, which a key's session never is, so a ban would not stop keys).
	if err := s.admitUser(ctx, s.store.Pool(), &user); errors.Is(err, ErrBannedUser) {
		return nil, ErrAPIKeyUserBanned
	} else if err != nil {
		return nil, err
	}
	if s.unmetered(row) {
		err = s.touchAPIKey(ctx, row)
	} else {
		row, err = s.claimAPIKey(ctx, hash)
	}
	if err != nil {
		return nil, err
	}
	now := time.Now()
	// Better Auth adds the session life, in seconds, as milliseconds.
	expires := now.Add(time.Duration(s.cfg.ExpiresIn.Seconds()) * time.Millisecond)
	if row.ExpiresAt != nil {
		expires = *row.ExpiresAt
	}
	sess := dbsqlc.BetterauthSession{ID: row.ID, Token: key, UserID: row.ReferenceId, ExpiresAt: expires,
		CreatedAt: now, UpdatedAt: now}
	if ipAddress != "" {
		sess.IPAddress = &ipAddress
	}
	if userAgent != "" {
		sess.UserAgent = &userAgent
	}
	return &Auth{Session: sess, User: user}, nil
}

// unmetered reports whether a use of k counts nothing: no remaining uses and no rate limit
// (off for every key, or for k), so that only its lastRequest moves.
func (s *Service) unmetered(k APIKey) bool {
	return k.Remaining == nil && (s.cfg.APIKeyRateLimitOff || k.RateLimitEnabled != nil && !*k.RateLimitEnabled)
}

// touchAPIKey checks an unmetered key (disabled, expired) and records its use.
func (s *Service) touchAPIKey(ctx context.Context, k APIKey) error {
	now := time.Now()
	_, drop, refusal := claimAPIKeyUse(k, now, s.cfg.APIKeyRateLimitOff)
	if drop {
		if _, err := s.store.BetterauthApikeyDeleteByID(ctx, s.store.Pool(), k.ID); err != nil {
			return db.Translate(err)
		}
	}
	if refusal != nil {
		return refusal
	}
	if k.LastRequest != nil && now.Sub(*k.LastRequest) < time.Second {
		return nil
	}
	return db.Translate(s.store.BetterauthApikeyTouch(ctx, s.store.Pool(), dbsqlc.BetterauthApikeyTouchParams{
		ID: k.ID, UsedAt: &now}))
}

// claimAPIKey claims one use of the key stored under hash, under its row lock, and returns
// the key as updated.
func (s *Service) claimAPIKey(ctx context.Context, hash string) (APIKey, error) {
	var (
		row     APIKey
		refusal error
	)
	err := s.store.InTx(ctx, func(tx db.DB) error {
		var err error
		row, err = s.store.BetterauthApikeyLockByKey(ctx, tx, hash)
		if notFound(err) {
			refusal = ErrAPIKeyInvalid // deleted meanwhile
			return nil
		} else if err != nil {
			return err
		}
		var drop bool
		row, drop, refusal = claimAPIKeyUse(row, time.Now(), s.cfg.APIKeyRateLimitOff)
		if drop {
			_, err = s.store.BetterauthApikeyDeleteByID(ctx, tx, row.ID)
			return err
		}
		if refusal != nil {
			return nil
		}
		row, err = s.store.BetterauthApikeyClaim(ctx, tx, dbsqlc.BetterauthApikeyClaimParams{
			ID: row.ID, Remaining: row.Remaining, LastRefillAt: row.LastRefillAt,
			RequestCount: row.RequestCount, LastRequest: row.LastRequest})
		return err
	})
	if err != nil {
		return row, db.Translate(err)
	}
	return row, refusal
}

// claimAPIKeyUse applies one use at now to the key k, as @better-auth/api-key's
// validateApiKey and claimUsageInDatabase decide: it returns the counters to store, whether
// the key is to be deleted, and the refusal, if any. With rateLimitOff no key is rate-limited.
func claimAPIKeyUse(k APIKey, now time.Time, rateLimitOff bool) (APIKey, bool, error) {
	if k.Enabled != nil && !*k.Enabled {
		return k, false, ErrAPIKeyDisabled
	}
	if k.ExpiresAt != nil && now.After(*k.ExpiresAt) {
		return k, true, ErrAPIKeyExpired
	}
	if k.Remaining != nil && *k.Remaining == 0 && k.RefillAmount == nil {
		return k, true, ErrAPIKeyUsageExceeded
	}
	if k.Remaining != nil {
		refill := false
		if k.RefillInterval != nil && *k.RefillInterval != 0 && k.RefillAmount != nil && *k.RefillAmount != 0 {
			last := k.CreatedAt
			if k.LastRefillAt != nil {
				last = *k.LastRefillAt
			}
			refill = now.Sub(last) > time.Duration(*k.RefillInterval)*time.Millisecond
		}
		switch {
		case refill:
			k.Remaining, k.LastRefillAt = keyPtr(*k.RefillAmount-1), &now
		case *k.Remaining > 0:
			k.Remaining = keyPtr(*k.Remaining - 1)
		default:
			return k, false, ErrAPIKeyUsageExceeded
		}
	}
	switch {
	case rateLimitOff, k.RateLimitEnabled != nil && !*k.RateLimitEnabled:
		k.LastRequest = &now
	case k.RateLimitTimeWindow == nil || k.RateLimitMax == nil:
	case k.LastRequest == nil:
		k.RequestCount, k.LastRequest = keyPtr[int32](1), &now
	default:
		window := time.Duration(*k.RateLimitTimeWindow) * time.Millisecond
		since := now.Sub(*k.LastRequest)
		count := int32(0)
		if k.RequestCount != nil {
			count = *k.RequestCount
		}
		switch {
		case since > window:
			k.RequestCount, k.LastRequest = keyPtr[int32](1), &now
		case count >= *k.RateLimitMax:
			wait := time.Duration(math.Ceil(float64(window-since)/float64(time.Millisecond))) * time.Millisecond
			return k, false, errAPIKeyRateLimited(wait)
		default:
			k.RequestCount, k.LastRequest = keyPtr(count+1), &now
		}
	}
	return k, false, nil
}

// ParseAPIKeyJSON parses a JSON column of a key (metadata, permissions) as Better Auth answers
// it: an object, or nil for NULL, "null" or anything that is not an object. Metadata written
// twice stringified by old versions is unwrapped.
func ParseAPIKeyJSON(col *string) map[string]any {
	if col == nil {
		return nil
	}
	var v any
	if json.Unmarshal([]byte(*col), &v) != nil {
		return nil
	}
	if s, ok := v.(string); ok {
		if json.Unmarshal([]byte(s), &v) != nil {
			return nil
		}
	}
	m, _ := v.(map[string]any)
	return m
}

// keyTruthy is JavaScript's truthiness of a decoded JSON value.
func keyTruthy(v any) bool {
	switch x := v.(type) {
	case nil:
		return false
	case bool:
		return x
	case float64:
		return x != 0 && !math.IsNaN(x)
	case string:
		return x != ""
	case json.Number:
		return x != "0" && x != ""
	}
	return true
}

func keyPtr[T any](v T) *T { return &v }
