package betterauth_test

import (
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"gatehouse/handlers/internal/handlertest"
)

func init() {
	bodyOps = append(bodyOps,
		bodyOp{name: "createApiKey", path: "/api-key/create", session: true, valid: map[string]any{"name": canary},
			wrongType: []map[string]any{{"name": canaryNumber}, {"expiresIn": canary}, {"prefix": canaryNumber},
				{"rateLimitEnabled": canary}, {"permissions": canary}}},
		bodyOp{name: "updateApiKey", path: "/api-key/update", session: true, valid: map[string]any{"keyId": canary, "name": "n"},
			missing: "keyId", wrongType: []map[string]any{{"keyId": canaryNumber}, {"keyId": canary, "enabled": canary},
				{"keyId": canary, "expiresIn": canary}}},
		bodyOp{name: "deleteApiKey", path: "/api-key/delete", session: true, valid: map[string]any{"keyId": canary},
			missing: "keyId", wrongType: []map[string]any{{"keyId": canaryNumber}, {"keyId": canary, "configId": canaryNumber}}},
	)
}

var apiKeyLetters = regexp.MustCompile(`^[A-Za-z]{64}$`)

// keyOwner is a signed-up browser.
func keyOwner(t *testing.T, h *handlertest.Harness, email string) *browser {
	t.Helper()
	b := newBrowser(t, h)
	b.signUp(email, "correct horse", nil)
	return b
}

// createKey creates a key through the API and returns the answer and the key.
func createKey(t *testing.T, b *browser, body map[string]any) (map[string]any, string) {
	t.Helper()
	r := b.post("/api-key/create", body)
	if r.Status != http.StatusOK {
		t.Fatalf("create: %d %s", r.Status, r.Body)
	}
	row := r.JSON(t)
	return row, row["key"].(string)
}

// withKey sends a request carrying only the x-api-key header.
func withKey(h *handlertest.Harness, key, method, path string, body any) *handlertest.Response {
	hdr := http.Header{"X-Api-Key": {key}}
	if method != http.MethodGet {
		hdr.Set("Origin", origin)
	}
	return h.Do(handlertest.Request{Method: method, Path: base + path, Body: body, Header: hdr})
}

func keyHash(key string) string {
	sum := sha256.Sum256([]byte(key))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

func TestApiKeyCreate(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	b := keyOwner(t, h, "kim@example.com")
	uid := b.session().User.ID
	row, key := createKey(t, b, map[string]any{})
	if !apiKeyLetters.MatchString(key) {
		t.Fatalf("key %q is not 64 letters", key)
	}
	want := map[string]any{"configId": "default", "name": nil, "start": key[:6], "referenceId": uid, "prefix": nil,
		"refillInterval": nil, "refillAmount": nil, "lastRefillAt": nil, "enabled": true, "rateLimitEnabled": true,
		"rateLimitTimeWindow": float64(86400000), "rateLimitMax": float64(10), "requestCount": float64(0), "remaining": nil,
		"lastRequest": nil, "expiresAt": nil, "permissions": nil, "metadata": nil}
	for k, v := range want {
		if row[k] != v {
			t.Errorf("%s = %v, want %v", k, row[k], v)
		}
	}
	if len(row) != 22 || !id32.MatchString(row["id"].(string)) || !jsDate.MatchString(row["createdAt"].(string)) {
		t.Fatalf("row %v", row)
	}
	// Stored: the hash as Better Auth computes it, the start, metadata "null"; never the key.
	if got := dbString(t, h, `SELECT "key" FROM betterauth.apikey WHERE id = $1`, row["id"]); got != keyHash(key) || len(got) != 43 {
		t.Fatalf("stored key %q, want %q", got, keyHash(key))
	}
	if got := dbString(t, h, `SELECT "start" || '|' || metadata || '|' || "configId" || '|' || coalesce(prefix, '<null>') FROM betterauth.apikey WHERE id = $1`, row["id"]); got != key[:6]+"|null|default|<null>" {
		t.Fatalf("stored %q", got)
	}

	// A prefix, a name and an expiry.
	row, key = createKey(t, b, map[string]any{"name": "ci", "prefix": "gh_", "expiresIn": 7 * 86400, "configId": "other", "remaining": nil})
	if !strings.HasPrefix(key, "gh_") || !apiKeyLetters.MatchString(key[3:]) || row["start"] != key[:6] || row["prefix"] != "gh_" ||
		row["name"] != "ci" || row["expiresAt"] == nil || row["configId"] != "default" {
		t.Fatalf("row %v key %q", row, key)
	}
	if h.Count(`SELECT count(*) FROM betterauth.apikey WHERE prefix = 'gh_' AND "expiresAt" BETWEEN now() + interval '7 days' - interval '1 minute' AND now() + interval '7 days'`) != 1 {
		t.Fatal("expiry not stored 7 days ahead")
	}
}

func TestApiKeyCreateRefusals(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	b := keyOwner(t, h, "kim@example.com")
	other := keyOwner(t, h, "lou@example.com")
	otherID := other.session().User.ID
	before := dbState(t, h)
	for _, c := range []struct {
		body   map[string]any
		status int
		code   string
	}{
		{map[string]any{"remaining": 5}, 400, "SERVER_ONLY_PROPERTY"},
		{map[string]any{"refillAmount": 5, "refillInterval": 1000}, 400, "SERVER_ONLY_PROPERTY"},
		{map[string]any{"rateLimitEnabled": false}, 400, "SERVER_ONLY_PROPERTY"},
		{map[string]any{"rateLimitMax": 100}, 400, "SERVER_ONLY_PROPERTY"},
		{map[string]any{"rateLimitTimeWindow": 100}, 400, "SERVER_ONLY_PROPERTY"},
		{map[string]any{"permissions": map[string]any{"files": []string{"read"}}}, 400, "SERVER_ONLY_PROPERTY"},
		{map[string]any{"userId": otherID}, 401, "UNAUTHORIZED_SESSION"},
		{map[string]any{"metadata": map[string]any{"plan": "pro"}}, 400, "METADATA_DISABLED"},
		{map[string]any{"expiresIn": 3600}, 400, "EXPIRES_IN_IS_TOO_SMALL"},
		{map[string]any{"expiresIn": 366 * 86400}, 400, "EXPIRES_IN_IS_TOO_LARGE"},
		{map[string]any{"expiresIn": 0}, 400, "VALIDATION_ERROR"},
		{map[string]any{"prefix": strings.Repeat("p", 33)}, 400, "INVALID_PREFIX_LENGTH"},
		{map[string]any{"prefix": "no spaces"}, 400, "VALIDATION_ERROR"},
		{map[string]any{"name": strings.Repeat("n", 33)}, 400, "INVALID_NAME_LENGTH"},
	} {
		wantError(t, b.post("/api-key/create", c.body), c.status, c.code)
	}
	// Server-only properties are refused before the session is looked at; then no session.
	anon := newBrowser(t, h)
	wantError(t, anon.post("/api-key/create", map[string]any{"remaining": 1}), 400, "SERVER_ONLY_PROPERTY")
	wantError(t, anon.post("/api-key/create", map[string]any{}), 401, "UNAUTHORIZED_SESSION")
	wantUnchanged(t, h, before)
	if h.Count(`SELECT count(*) FROM betterauth.apikey WHERE "referenceId" = $1`, otherID) != 0 {
		t.Fatal("a key was created for another user")
	}
	// The edges are allowed.
	createKey(t, b, map[string]any{"expiresIn": 86400, "prefix": strings.Repeat("p", 32), "name": strings.Repeat("n", 32)})
	createKey(t, b, map[string]any{"expiresIn": 365 * 86400, "metadata": nil})
}

func TestApiKeyGetUpdateDelete(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	b := keyOwner(t, h, "kim@example.com")
	other := keyOwner(t, h, "lou@example.com")
	row, _ := createKey(t, b, map[string]any{"name": "first"})
	id := row["id"].(string)
	theirs, _ := createKey(t, other, map[string]any{})
	theirID := theirs["id"].(string)

	r := b.get("/api-key/get?id=" + id)
	got := r.JSON(t)
	if r.Status != 200 || got["name"] != "first" || got["id"] != id || got["key"] != nil || len(got) != 21 {
		t.Fatalf("get: %d %s", r.Status, r.Body)
	}
	wantError(t, b.get("/api-key/get?id="+theirID), 404, "KEY_NOT_FOUND")
	wantError(t, b.get("/api-key/get?id=nope"), 404, "KEY_NOT_FOUND")
	wantError(t, b.get("/api-key/get"), 400, "VALIDATION_ERROR")
	wantError(t, newBrowser(t, h).get("/api-key/get?id="+id), 401, "UNAUTHORIZED")

	// update: name, enabled, expiry; updatedAt stays.
	r = b.post("/api-key/update", map[string]any{"keyId": id, "name": "renamed", "enabled": false, "expiresIn": 2 * 86400})
	got = r.JSON(t)
	if r.Status != 200 || got["name"] != "renamed" || got["enabled"] != false || got["expiresAt"] == nil ||
		got["updatedAt"] != row["updatedAt"] || got["key"] != nil {
		t.Fatalf("update: %d %s", r.Status, r.Body)
	}
	r = b.post("/api-key/update", map[string]any{"keyId": id, "expiresIn": nil, "enabled": true})
	if got = r.JSON(t); r.Status != 200 || got["expiresAt"] != nil || got["enabled"] != true {
		t.Fatalf("update to never: %d %s", r.Status, r.Body)
	}
	before := dbState(t, h)
	for _, c := range []struct {
		body   map[string]any
		status int
		code   string
	}{
		{map[string]any{"keyId": theirID, "name": "mine"}, 404, "KEY_NOT_FOUND"},
		{map[string]any{"keyId": "nope", "name": "mine"}, 404, "KEY_NOT_FOUND"},
		{map[string]any{"keyId": id}, 400, "NO_VALUES_TO_UPDATE"},
		{map[string]any{"keyId": id, "metadata": map[string]any{"a": 1}}, 400, "NO_VALUES_TO_UPDATE"},
		{map[string]any{"keyId": id, "name": ""}, 400, "INVALID_NAME_LENGTH"},
		{map[string]any{"keyId": id, "name": strings.Repeat("n", 33)}, 400, "INVALID_NAME_LENGTH"},
		{map[string]any{"keyId": id, "expiresIn": 60}, 400, "EXPIRES_IN_IS_TOO_SMALL"},
		{map[string]any{"keyId": id, "expiresIn": 400 * 86400}, 400, "EXPIRES_IN_IS_TOO_LARGE"},
		{map[string]any{"keyId": id, "remaining": 100}, 400, "SERVER_ONLY_PROPERTY"},
		{map[string]any{"keyId": id, "rateLimitEnabled": false}, 400, "SERVER_ONLY_PROPERTY"},
		{map[string]any{"keyId": id, "permissions": nil}, 400, "SERVER_ONLY_PROPERTY"},
		{map[string]any{"keyId": id, "refillAmount": 1, "refillInterval": 1}, 400, "SERVER_ONLY_PROPERTY"},
		{map[string]any{"keyId": theirID, "userId": other.session().User.ID, "name": "x"}, 401, "UNAUTHORIZED_SESSION"},
	} {
		wantError(t, b.post("/api-key/update", c.body), c.status, c.code)
	}
	wantError(t, newBrowser(t, h).post("/api-key/update", map[string]any{"keyId": id, "name": "x"}), 401, "UNAUTHORIZED_SESSION")
	wantUnchanged(t, h, before)
	// userId naming oneself is allowed.
	if r := b.post("/api-key/update", map[string]any{"keyId": id, "userId": b.session().User.ID, "name": "me"}); r.Status != 200 {
		t.Fatalf("update with own userId: %d %s", r.Status, r.Body)
	}

	// delete
	before = dbState(t, h)
	wantError(t, b.post("/api-key/delete", map[string]any{"keyId": theirID}), 404, "KEY_NOT_FOUND")
	wantError(t, newBrowser(t, h).post("/api-key/delete", map[string]any{"keyId": id}), 401, "UNAUTHORIZED")
	wantUnchanged(t, h, before)
	h.Exec(`UPDATE betterauth."user" SET banned = true WHERE email = 'kim@example.com'`)
	wantError(t, b.post("/api-key/delete", map[string]any{"keyId": id}), 401, "USER_BANNED")
	h.Exec(`UPDATE betterauth."user" SET banned = false WHERE email = 'kim@example.com'`)
	wantJSON(t, b.post("/api-key/delete", map[string]any{"keyId": id}), `{"success":true}`)
	wantError(t, b.post("/api-key/delete", map[string]any{"keyId": id}), 404, "KEY_NOT_FOUND")
	if h.Count(`SELECT count(*) FROM betterauth.apikey`) != 1 {
		t.Fatal("the other user's key should remain alone")
	}
}

func TestApiKeyList(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	b := keyOwner(t, h, "kim@example.com")
	other := keyOwner(t, h, "lou@example.com")
	createKey(t, other, map[string]any{"name": "theirs"})
	for _, n := range []string{"b", "c", "a"} {
		createKey(t, b, map[string]any{"name": n})
	}
	names := func(path string) (string, map[string]any) {
		t.Helper()
		r := b.get(path)
		if r.Status != 200 {
			t.Fatalf("%s: %d %s", path, r.Status, r.Body)
		}
		body := r.JSON(t)
		var out []string
		for _, k := range body["apiKeys"].([]any) {
			row := k.(map[string]any)
			if _, has := row["key"]; has {
				t.Fatal("list shows a key")
			}
			out = append(out, row["name"].(string))
		}
		return strings.Join(out, ","), body
	}
	if got, body := names("/api-key/list"); got != "b,c,a" || body["total"] != float64(3) || body["limit"] != nil || body["offset"] != nil {
		t.Fatalf("list: %s %v", got, body)
	}
	if got, _ := names("/api-key/list?sortBy=name"); got != "a,b,c" {
		t.Fatalf("sorted: %s", got)
	}
	if got, _ := names("/api-key/list?sortBy=name&sortDirection=desc"); got != "c,b,a" {
		t.Fatalf("sorted desc: %s", got)
	}
	if got, body := names("/api-key/list?sortBy=name&limit=1&offset=0"); got != "a" || body["total"] != float64(3) || body["limit"] != float64(1) || body["offset"] != float64(0) {
		t.Fatalf("page: %s %v", got, body)
	}
	if got, _ := names("/api-key/list?sortBy=name&offset=2&limit=5&configId=default"); got != "c" {
		t.Fatalf("page 2: %s", got)
	}
	if got, body := names("/api-key/list?offset=10"); got != "" || body["total"] != float64(3) {
		t.Fatalf("past the end: %s %v", got, body)
	}
	for _, q := range []string{"limit=-1", "offset=x", "limit=1.5", "sortBy=key", "sortBy=" + canary, "sortDirection=up"} {
		wantError(t, b.get("/api-key/list?"+q), 400, "VALIDATION_ERROR")
	}
	wantError(t, newBrowser(t, h).get("/api-key/list"), 401, "UNAUTHORIZED")
	// Organization keys: only for a member, and only the owner.
	wantError(t, b.get("/api-key/list?organizationId=org1"), 403, "USER_NOT_MEMBER_OF_ORGANIZATION")
	uid := b.session().User.ID
	h.Exec(`INSERT INTO betterauth.organization (id, name, slug, "createdAt") VALUES ('org1', 'Org', 'org', now())`)
	h.Exec(`INSERT INTO betterauth.member (id, "organizationId", "userId", role, "createdAt") VALUES ('m1', 'org1', $1, 'member', now())`, uid)
	wantError(t, b.get("/api-key/list?organizationId=org1"), 403, "INSUFFICIENT_API_KEY_PERMISSIONS")
	h.Exec(`UPDATE betterauth.member SET role = 'owner' WHERE id = 'm1'`)
	if got, body := names("/api-key/list?organizationId=org1"); got != "" || body["total"] != float64(0) {
		t.Fatalf("organization list: %s %v", got, body)
	}
}

func TestApiKeyExpiredKeysAreDeleted(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	b := keyOwner(t, h, "kim@example.com")
	row, key := createKey(t, b, map[string]any{"expiresIn": 86400})
	h.Exec(`UPDATE betterauth.apikey SET "expiresAt" = now() - interval '1 second' WHERE id = $1`, row["id"])
	// The key no longer opens a session, and it is gone.
	wantError(t, withKey(h, key, http.MethodGet, "/get-session", nil), 401, "KEY_EXPIRED")
	if h.Count(`SELECT count(*) FROM betterauth.apikey`) != 0 {
		t.Fatal("expired key kept")
	}
	// Operations sweep expired keys too.
	row, _ = createKey(t, b, map[string]any{"expiresIn": 86400})
	h.Exec(`UPDATE betterauth.apikey SET "expiresAt" = now() - interval '1 second' WHERE id = $1`, row["id"])
	if r := b.get("/api-key/list"); r.Status != 200 || r.JSON(t)["total"] != float64(0) {
		t.Fatalf("list with an expired key: %s", r.Body)
	}
	wantError(t, b.get("/api-key/get?id="+row["id"].(string)), 404, "KEY_NOT_FOUND")
}

func TestGoldenApiKey(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	b := keyOwner(t, h, "kim@example.com")
	uid := b.session().User.ID
	r := b.post("/api-key/create", map[string]any{"name": "golden", "prefix": "gd_"})
	row := r.JSON(t)
	key := row["key"].(string)
	// The key is random: the golden files hold a placeholder (its start and prefix stay).
	masked := func(r *handlertest.Response) *handlertest.Response {
		c := *r
		c.Body = []byte(strings.ReplaceAll(string(r.Body), key, "gd_<64 letters>"))
		c.Body = []byte(strings.ReplaceAll(string(c.Body), `"start":"`+key[:6]+`"`, `"start":"gd_<3>"`))
		c.Body = []byte(strings.ReplaceAll(string(c.Body), `"referenceId":"`+uid+`"`, `"referenceId":"<id>"`))
		return &c
	}
	golden(t, "apikey-create", masked(r), "")
	golden(t, "apikey-get", masked(b.get("/api-key/get?id="+row["id"].(string))), "")
	golden(t, "apikey-list", masked(b.get("/api-key/list?limit=5&offset=0")), "")
	golden(t, "apikey-session", masked(withKey(h, key, http.MethodGet, "/get-session", nil)), "")
}

// handlertestRequest is a request with only an x-api-key header and a User-Agent.
func handlertestRequest(key, method, path string, body any, ua string) handlertest.Request {
	return handlertest.Request{Method: method, Path: base + path, Body: body,
		Header: http.Header{"X-Api-Key": {key}, "User-Agent": {ua}}}
}

func handlertestReq(method, path string, hdr http.Header) handlertest.Request {
	return handlertest.Request{Method: method, Path: base + path, Header: hdr}
}
