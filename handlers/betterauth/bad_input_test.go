package betterauth_test

import (
	"encoding/json"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"gatehouse/handlers/internal/handlertest"
)

// canary is put in every value of the bad requests below: no error may repeat it.
const canary = "ECHO-CANARY-7f3a"

// canaryNumber is the wrong-typed value of the bad requests: no error may repeat it either.
const canaryNumber = 987654321

var errorCode = regexp.MustCompile(`^[A-Z][A-Z0-9_]*$`)

// bodyOp is an operation with a JSON body, and the bodies that break its schema.
type bodyOp struct {
	name    string
	path    string
	session bool           // sent with the session cookie
	valid   map[string]any // a body the schema accepts
	missing string         // a required property, "" when none is
	// wrongType holds bodies with a property of the wrong type.
	wrongType []map[string]any
	// bodyOptional operations accept an empty body.
	bodyOptional bool
}

func with(body map[string]any, k string, v any) map[string]any {
	out := map[string]any{}
	for kk, vv := range body {
		out[kk] = vv
	}
	if v == nil {
		delete(out, k)
	} else {
		out[k] = v
	}
	return out
}

var bodyOps = []bodyOp{
	{name: "signInSocial", path: "/sign-in/social", valid: map[string]any{"provider": "idp", "callbackURL": "/" + canary}, missing: "provider",
		wrongType: []map[string]any{{"provider": canaryNumber}, {"provider": "idp", "scopes": canary}, {"provider": "idp", "idToken": canary},
			{"provider": "idp", "disableRedirect": canary}, {"provider": "idp", "additionalParams": map[string]any{"prompt": canaryNumber}}}},
	{name: "getSessionPost", path: "/get-session", session: true, valid: map[string]any{}, bodyOptional: true},
	{name: "signOut", path: "/sign-out", session: true, valid: map[string]any{"callbackURL": "/" + canary}, bodyOptional: true,
		wrongType: []map[string]any{{"disableRedirect": canary}, {"callbackURL": canaryNumber}}},
	{name: "signUpEmail", path: "/sign-up/email", valid: map[string]any{"name": canary, "email": "new@example.com", "password": canary + "-pw"}, missing: "name",
		wrongType: []map[string]any{{"name": canaryNumber, "email": "new@example.com", "password": canary + "-pw"},
			{"name": canary, "email": "new@example.com", "password": canary + "-pw", "rememberMe": canary},
			{"name": canary, "email": "new@example.com", "password": canaryNumber}}},
	{name: "signInEmail", path: "/sign-in/email", valid: map[string]any{"email": "ann@example.com", "password": canary}, missing: "password",
		wrongType: []map[string]any{{"email": "ann@example.com", "password": canary, "rememberMe": canary}, {"email": canaryNumber, "password": canary}}},
	{name: "signInUsername", path: "/sign-in/username", valid: map[string]any{"username": "ann_1", "password": canary}, missing: "username",
		wrongType: []map[string]any{{"username": "ann_1", "password": canaryNumber}, {"username": canaryNumber, "password": canary}}},
	{name: "isUsernameAvailable", path: "/is-username-available", valid: map[string]any{"username": "someone"}, missing: "username",
		wrongType: []map[string]any{{"username": canaryNumber}, {"username": []string{canary}}}},
	{name: "forgetPassword", path: "/forget-password", valid: map[string]any{"email": "ann@example.com", "redirectTo": "/" + canary}, missing: "email",
		wrongType: []map[string]any{{"email": true}, {"email": "ann@example.com", "redirectTo": canaryNumber}}},
	{name: "requestPasswordReset", path: "/request-password-reset", valid: map[string]any{"email": "ann@example.com", "redirectTo": "/" + canary}, missing: "email",
		wrongType: []map[string]any{{"email": true}, {"email": "ann@example.com", "redirectTo": canaryNumber}}},
	{name: "resetPassword", path: "/reset-password", valid: map[string]any{"newPassword": canary + "-pw", "token": canary}, missing: "newPassword",
		wrongType: []map[string]any{{"newPassword": canary + "-pw", "token": canaryNumber}, {"newPassword": canaryNumber}}},
	{name: "sendVerificationEmail", path: "/send-verification-email", session: true, valid: map[string]any{"email": "ann@example.com", "callbackURL": "/" + canary}, missing: "email",
		wrongType: []map[string]any{{"email": "ann@example.com", "callbackURL": canaryNumber}, {"email": canaryNumber}}},
	{name: "changeEmail", path: "/change-email", session: true, valid: map[string]any{"newEmail": "new@example.com", "callbackURL": "/" + canary}, missing: "newEmail",
		wrongType: []map[string]any{{"newEmail": []string{canary}}, {"newEmail": "new@example.com", "callbackURL": canaryNumber}}},
	{name: "changePassword", path: "/change-password", session: true, valid: map[string]any{"currentPassword": "correct horse", "newPassword": canary + "-pw"}, missing: "currentPassword",
		wrongType: []map[string]any{{"currentPassword": "correct horse", "newPassword": canary + "-pw", "revokeOtherSessions": canary},
			{"currentPassword": canaryNumber, "newPassword": canary + "-pw"}}},
	{name: "updateUser", path: "/update-user", session: true, valid: map[string]any{"name": canary},
		wrongType: []map[string]any{{"name": canaryNumber}, {"username": canaryNumber}, {"image": canaryNumber}, {"displayUsername": []string{canary}}}},
	{name: "updateSession", path: "/update-session", session: true, valid: map[string]any{}},
	{name: "verifyPassword", path: "/verify-password", session: true, valid: map[string]any{"password": canary}, missing: "password",
		wrongType: []map[string]any{{"password": canaryNumber}}},
	{name: "deleteUser", path: "/delete-user", session: true, valid: map[string]any{"callbackURL": "/" + canary},
		wrongType: []map[string]any{{"password": canaryNumber}, {"token": canaryNumber}, {"callbackURL": canaryNumber}}},
	{name: "revokeSession", path: "/revoke-session", session: true, valid: map[string]any{"token": canary}, missing: "token",
		wrongType: []map[string]any{{"token": canaryNumber}}},
	{name: "revokeSessions", path: "/revoke-sessions", session: true, valid: map[string]any{}, bodyOptional: true},
	{name: "revokeOtherSessions", path: "/revoke-other-sessions", session: true, valid: map[string]any{}, bodyOptional: true},
	{name: "linkSocial", path: "/link-social", session: true, valid: map[string]any{"provider": "idp", "callbackURL": "/" + canary}, missing: "provider",
		wrongType: []map[string]any{{"provider": "idp", "idToken": canary}, {"provider": canaryNumber}, {"provider": "idp", "scopes": canary}}},
	{name: "unlinkAccount", path: "/unlink-account", session: true, valid: map[string]any{"accountId": canary}, missing: "accountId",
		wrongType: []map[string]any{{"accountId": canaryNumber}}},
	{name: "getAccessToken", path: "/get-access-token", session: true, valid: map[string]any{"accountId": canary}, missing: "accountId",
		wrongType: []map[string]any{{"accountId": canaryNumber}, {"useAccountCookie": false}, {"useAccountCookie": canary}, {"accountId": canary, "userId": canaryNumber}}},
	{name: "refreshToken", path: "/refresh-token", session: true, valid: map[string]any{"accountId": canary}, missing: "accountId",
		wrongType: []map[string]any{{"accountId": canaryNumber}, {"useAccountCookie": false}}},
	{name: "oauthCallbackPost", path: "/callback/idp", valid: map[string]any{"code": canary, "state": canary}, bodyOptional: true,
		wrongType: []map[string]any{{"code": canaryNumber}, {"state": []string{canary}}, {"error": map[string]any{"x": canary}}}},
}

type badCase struct {
	name        string
	method      string
	path        string
	session     bool
	body        []byte // nil: no body at all
	contentType string
	status      int
	code        string
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// badCases derives the bad requests of every operation with a body, plus the bad queries of
// the operations without one.
func badCases(t *testing.T) []badCase {
	huge := []byte(`{"x":"` + strings.Repeat("a", 1<<20) + `"}`)
	var out []badCase
	for _, op := range bodyOps {
		add := func(name string, body []byte, ct string, status int, code string) {
			out = append(out, badCase{name: op.name + " " + name, method: http.MethodPost, path: op.path, session: op.session,
				body: body, contentType: ct, status: status, code: code})
		}
		valid := mustJSON(t, op.valid)
		add("malformed JSON", []byte(`{"x":"`+canary), "", 400, "BAD_REQUEST")
		add("trailing data", append(append([]byte{}, valid...), []byte(` {"x":1}`)...), "", 400, "BAD_REQUEST")
		add("body an array", []byte(`["`+canary+`"]`), "", 400, "VALIDATION_ERROR")
		add("body a string", []byte(`"`+canary+`"`), "", 400, "VALIDATION_ERROR")
		add("body a number", []byte(`987654321`), "", 400, "VALIDATION_ERROR")
		add("body null", []byte(`null`), "", 400, "VALIDATION_ERROR")
		for i, wt := range op.wrongType {
			add("wrong type "+string(rune('a'+i)), mustJSON(t, wt), "", 400, "VALIDATION_ERROR")
		}
		if op.name != "oauthCallbackPost" { // its schema is open: unknown fields are dropped (see below)
			add("unknown field", mustJSON(t, with(op.valid, "nickname", canary)), "", 400, "VALIDATION_ERROR")
		}
		if op.missing != "" {
			add("missing "+op.missing, mustJSON(t, with(op.valid, op.missing, nil)), "", 400, "VALIDATION_ERROR")
		}
		if !op.bodyOptional {
			add("empty body", []byte{}, "", 400, "VALIDATION_ERROR")
			add("whitespace body", []byte("  \n"), "", 400, "BAD_REQUEST") // JSON.parse refuses it, as better-call answers
		}
		add("text/plain", valid, "text/plain", 415, "UNSUPPORTED_MEDIA_TYPE")
		add("application/xml", []byte(`<x>`+canary+`</x>`), "application/xml", 415, "UNSUPPORTED_MEDIA_TYPE")
		if op.name != "oauthCallbackPost" && op.name != "getSessionPost" { // form posts are how providers call it
			add("form-encoded", []byte("x="+canary), "application/x-www-form-urlencoded", 415, "UNSUPPORTED_MEDIA_TYPE")
		}
		add("oversized", huge, "", 413, "PAYLOAD_TOO_LARGE")
	}
	get := func(name, path string, session bool) {
		out = append(out, badCase{name: name, method: http.MethodGet, path: path, session: session, status: 400, code: "VALIDATION_ERROR"})
	}
	get("verifyEmail without token", "/verify-email?callbackURL=%2F"+canary, false)
	get("deleteUserCallback without token", "/delete-user/callback?callbackURL=%2F"+canary, true)
	get("resetPasswordCallback without callbackURL", "/reset-password/"+canary, false)
	get("accountInfo without accountId", "/account-info?userId="+canary, true)
	get("getSession with a non-boolean flag", "/get-session?disableRefresh="+canary, true)
	get("getSession with a non-boolean flag (2)", "/get-session?disableCookieCache="+canary, true)
	get("oauthCallback with a repeated parameter", "/callback/idp?code="+canary+"&code=b&state="+canary, false)
	return out
}

// Every operation refuses bad input with a 4xx in Better Auth's {message, code} body, does not
// repeat what it was sent, and changes nothing.
func TestBadInput(t *testing.T) {
	t.Parallel()
	h, _ := idpHarness(t, gus)
	a := newBrowser(t, h)
	a.signUp("ann@example.com", "correct horse", map[string]any{"username": "ann_1"})
	cookie := a.cookieHeader()
	before := dbState(t, h)
	for _, c := range badCases(t) {
		t.Run(c.name, func(t *testing.T) {
			hdr := http.Header{"Origin": {origin}}
			if c.session {
				hdr.Set("Cookie", cookie)
			}
			req := handlertest.Request{Method: c.method, Path: base + c.path, ContentType: c.contentType, Header: hdr}
			if c.body != nil {
				req.Body = c.body
			}
			resp := h.Do(req)
			if resp.Status != c.status {
				t.Fatalf("status %d, want %d; body %s", resp.Status, c.status, resp.Body)
			}
			var body struct {
				Message string `json:"message"`
				Code    string `json:"code"`
			}
			resp.Decode(t, &body)
			if body.Message == "" || !errorCode.MatchString(body.Code) || body.Code != c.code {
				t.Fatalf("error %s, want code %s with a message", resp.Body, c.code)
			}
			if len(resp.JSON(t)) != 2 {
				t.Fatalf("error body %s: want exactly message and code", resp.Body)
			}
			if !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
				t.Fatalf("content type %q", resp.Header.Get("Content-Type"))
			}
			for _, echo := range []string{canary, "987654321", "aaaaaaaaaa"} {
				if strings.Contains(string(resp.Body), echo) {
					t.Fatalf("the error repeats the request (%s): %s", echo, resp.Body)
				}
			}
			if len(resp.Body) > 300 {
				t.Fatalf("a %d-byte error answer", len(resp.Body))
			}
			wantNoCookies(t, resp)
			wantUnchanged(t, h, before)
		})
	}
	// The session the bad requests carried is intact: no bad sign-out, revoke or delete went through.
	if s := a.session(); s == nil || s.User.Name != "Ann" {
		t.Fatalf("the session or the user was touched: %+v", s)
	}
	wantUnchanged(t, h, before)
}

// The OAuth form post takes any other field and drops it, as Better Auth does: its schema is
// open on purpose (Apple posts id_token and user).
func TestBadInputOAuthCallbackPostDropsUnknownFields(t *testing.T) {
	t.Parallel()
	h, _ := idpHarness(t, gus)
	for _, ct := range []string{"", "application/x-www-form-urlencoded"} {
		body := []byte(`{"code":"c1","nickname":"` + canary + `"}`)
		if ct != "" {
			body = []byte("code=c1&nickname=" + canary)
		}
		r := h.Do(handlertest.Request{Method: http.MethodPost, Path: base + "/callback/idp", Body: body, ContentType: ct})
		if r.Status != http.StatusFound || strings.Contains(r.Header.Get("Location"), canary) ||
			r.Header.Get("Location") != origin+base+"/callback/idp?code=c1" {
			t.Fatalf("content type %q: %d %q", ct, r.Status, r.Header.Get("Location"))
		}
	}
}

// Malformed JSON is 400 BAD_REQUEST "Invalid JSON in request body", as better-call answers it,
// and changes nothing.
func TestMalformedJSONIsBadRequest(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	before := dbState(t, h)
	for _, path := range []string{"/sign-up/email", "/sign-in/email", "/request-password-reset"} {
		r := h.Do(handlertest.Request{Method: http.MethodPost, Path: base + path, Body: []byte(`{"email":`)})
		wantError(t, r, http.StatusBadRequest, "BAD_REQUEST")
		if !strings.Contains(string(r.Body), "Invalid JSON in request body") {
			t.Errorf("%s: %s, want better-call's message", path, r.Body)
		}
	}
	wantUnchanged(t, h, before)
}

// A body with data after its JSON value is malformed too (JSON.parse refuses it); it is not
// acted upon.
func TestTrailingDataAfterTheJSONBodyIsRefused(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	b := newBrowser(t, h)
	b.signUp("ann@example.com", "correct horse", nil)
	wantError(t, b.do(http.MethodPost, base+"/sign-out", []byte(`{} {"x":1}`)), http.StatusBadRequest, "BAD_REQUEST")
	if b.session() == nil {
		t.Fatal("a malformed sign-out signed out")
	}
	r := newBrowser(t, h).do(http.MethodPost, base+"/sign-up/email",
		[]byte(`{"name":"x","email":"x@example.com","password":"correct horse"}garbage`))
	wantError(t, r, http.StatusBadRequest, "BAD_REQUEST")
	if n := h.Count(`SELECT count(*) FROM betterauth."user"`); n != 1 {
		t.Fatalf("%d users after a malformed sign-up, want 1", n)
	}
	// Trailing white space is still one JSON value.
	r = newBrowser(t, h).do(http.MethodPost, base+"/sign-up/email",
		[]byte("{\"name\":\"y\",\"email\":\"y@example.com\",\"password\":\"correct horse\"}\n \t"))
	if r.Status != http.StatusOK {
		t.Fatalf("sign-up with trailing white space: %d %s", r.Status, r.Body)
	}
}

// A refusal names an unknown property without repeating a client-chosen name of any length.
func TestUnknownPropertyNamesAreNotEchoedWhole(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	key := strings.Repeat("k", 4096)
	r := h.Do(handlertest.Request{Method: http.MethodPost, Path: base + "/sign-up/email",
		Body: map[string]any{"name": "x", "email": "x@example.com", "password": "correct horse", key: 1}})
	wantError(t, r, http.StatusBadRequest, "VALIDATION_ERROR")
	if strings.Contains(string(r.Body), key) || len(r.Body) > 300 {
		t.Fatalf("a %d-byte error repeating the property name", len(r.Body))
	}
}
