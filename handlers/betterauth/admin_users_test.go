package betterauth_test

import (
	"net/http"
	"strings"
	"testing"

	"gatehouse/handlers"
	"gatehouse/handlers/internal/handlertest"
)

// adminEmail is the address the admin tests configure as an admin email.
const adminEmail = "root@example.com"

// withAdminEmail configures adminEmail (and others) as admin emails.
func withAdminEmail(more ...string) func(*handlers.Config) {
	return func(c *handlers.Config) { c.BetterAuth.AdminEmails = append([]string{adminEmail}, more...) }
}

// adminUser is a user with the admin plugin's fields.
type adminUser struct {
	ID         string  `json:"id"`
	Name       string  `json:"name"`
	Email      string  `json:"email"`
	Image      *string `json:"image"`
	Verified   bool    `json:"emailVerified"`
	Role       string  `json:"role"`
	Banned     bool    `json:"banned"`
	BanReason  *string `json:"banReason"`
	BanExpires *string `json:"banExpires"`
	UpdatedAt  string  `json:"updatedAt"`
}

// adminFixture is a server with an admin (root) and a plain user (ann), each signed in.
type adminFixture struct {
	h                 *handlertest.Harness
	admin, ann        *browser
	adminID, annID    string
	adminTok, annTok0 string
}

func newAdminFixture(t *testing.T, h *handlertest.Harness) *adminFixture {
	t.Helper()
	f := &adminFixture{h: h, admin: newBrowser(t, h), ann: newBrowser(t, h)}
	r := f.admin.signUp(adminEmail, "correct horse", nil)
	if r.User.Role != "admin" {
		t.Fatalf("the admin email got role %q", r.User.Role)
	}
	f.adminID, f.adminTok = r.User.ID, f.admin.token()
	f.annID = f.ann.signUp("ann@example.com", "correct horse", nil).User.ID
	f.annTok0 = f.ann.token()
	return f
}

func adminHarness(t *testing.T) *adminFixture {
	t.Helper()
	return newAdminFixture(t, newHarness(t, withAdminEmail()))
}

// decodeUser reads {"user": ...} (wrapped) or a bare user.
func decodeUser(t *testing.T, resp *handlertest.Response, wrapped bool) adminUser {
	t.Helper()
	if resp.Status != http.StatusOK {
		t.Fatalf("status %d: %s", resp.Status, resp.Body)
	}
	if !wrapped {
		var u adminUser
		resp.Decode(t, &u)
		return u
	}
	var out struct {
		User adminUser `json:"user"`
	}
	resp.Decode(t, &out)
	if len(resp.JSON(t)) != 1 {
		t.Fatalf("body %s: want only user", resp.Body)
	}
	return out.User
}

// wantEmpty401 checks the admin middleware's answer without a session: 401 and no body.
func wantEmpty401(t *testing.T, resp *handlertest.Response) {
	t.Helper()
	if resp.Status != http.StatusUnauthorized || len(resp.Body) != 0 {
		t.Fatalf("status %d body %q, want 401 with an empty body", resp.Status, resp.Body)
	}
}

// wantMessageOnly checks an error Better Auth sends with a message and no code.
func wantMessageOnly(t *testing.T, resp *handlertest.Response, status int, message string) {
	t.Helper()
	if resp.Status != status {
		t.Fatalf("status %d, want %d: %s", resp.Status, status, resp.Body)
	}
	wantBody(t, resp, `{"message":"`+message+`"}`)
}

// wantBody checks that resp's JSON body is exactly want, whatever the status.
func wantBody(t *testing.T, resp *handlertest.Response, want string) {
	t.Helper()
	saved := resp.Status
	resp.Status = http.StatusOK
	wantJSON(t, resp, want)
	resp.Status = saved
}

// adminOps are the operations that need a permission, a valid request of each, and the code a
// plain user gets.
func adminOps(annID string) []struct {
	method, path string
	body         map[string]any
	code         string
} {
	return []struct {
		method, path string
		body         map[string]any
		code         string
	}{
		{"GET", "/admin/list-users", nil, "YOU_ARE_NOT_ALLOWED_TO_LIST_USERS"},
		{"GET", "/admin/get-user?id=" + annID, nil, "YOU_ARE_NOT_ALLOWED_TO_GET_USER"},
		{"POST", "/admin/create-user", map[string]any{"email": "new@example.com", "name": "New", "password": "correct horse"}, "YOU_ARE_NOT_ALLOWED_TO_CREATE_USERS"},
		{"POST", "/admin/update-user", map[string]any{"userId": annID, "data": map[string]any{"name": "X"}}, "YOU_ARE_NOT_ALLOWED_TO_UPDATE_USERS"},
		{"POST", "/admin/set-role", map[string]any{"userId": annID, "role": "admin"}, "YOU_ARE_NOT_ALLOWED_TO_CHANGE_USERS_ROLE"},
		{"POST", "/admin/ban-user", map[string]any{"userId": annID}, "YOU_ARE_NOT_ALLOWED_TO_BAN_USERS"},
		{"POST", "/admin/unban-user", map[string]any{"userId": annID}, "YOU_ARE_NOT_ALLOWED_TO_BAN_USERS"},
		{"POST", "/admin/list-user-sessions", map[string]any{"userId": annID}, "YOU_ARE_NOT_ALLOWED_TO_LIST_USERS_SESSIONS"},
		{"POST", "/admin/revoke-user-session", map[string]any{"sessionToken": "x"}, "YOU_ARE_NOT_ALLOWED_TO_REVOKE_USERS_SESSIONS"},
		{"POST", "/admin/revoke-user-sessions", map[string]any{"userId": annID}, "YOU_ARE_NOT_ALLOWED_TO_REVOKE_USERS_SESSIONS"},
		{"POST", "/admin/remove-user", map[string]any{"userId": annID}, "YOU_ARE_NOT_ALLOWED_TO_DELETE_USERS"},
		{"POST", "/admin/set-user-password", map[string]any{"userId": annID, "newPassword": "another horse"}, "YOU_ARE_NOT_ALLOWED_TO_SET_USERS_PASSWORD"},
		{"POST", "/admin/impersonate-user", map[string]any{"userId": annID}, "YOU_ARE_NOT_ALLOWED_TO_IMPERSONATE_USERS"},
	}
}

// A plain user may do none of the admin operations, even to themself, and without a session
// every admin operation answers 401 with an empty body; nothing changes either way.
func TestAdminPermissions(t *testing.T) {
	t.Parallel()
	f := adminHarness(t)
	anon := newBrowser(t, f.h)
	before := dbState(t, f.h)
	for _, op := range adminOps(f.annID) {
		r := f.ann.do(op.method, base+op.path, op.body)
		wantError(t, r, http.StatusForbidden, op.code)
		wantNoCookies(t, r)
		r = anon.do(op.method, base+op.path, op.body)
		wantEmpty401(t, r)
		if ct := r.Header.Get("Content-Type"); ct != "" {
			t.Fatalf("%s: empty 401 with content type %q", op.path, ct)
		}
	}
	for _, p := range []string{"/admin/stop-impersonating", "/admin/has-permission"} {
		body := map[string]any{}
		if p == "/admin/has-permission" {
			body["permissions"] = map[string]any{"user": []string{"list"}}
		}
		wantEmpty401(t, anon.post(p, body))
	}
	wantUnchanged(t, f.h, before)
	// Another user's role is no help either: a user whose role lacks "admin" but names others.
	f.h.Exec(`UPDATE betterauth."user" SET "role" = 'user, admin' WHERE "id" = $1`, f.annID)
	wantError(t, f.ann.get("/admin/list-users"), http.StatusForbidden, "YOU_ARE_NOT_ALLOWED_TO_LIST_USERS")
	// A role list that names admin grants it.
	f.h.Exec(`UPDATE betterauth."user" SET "role" = 'user,admin' WHERE "id" = $1`, f.annID)
	if r := f.ann.get("/admin/list-users"); r.Status != http.StatusOK {
		t.Fatalf("user,admin may not list users: %d %s", r.Status, r.Body)
	}
	// The wrong method is Better Auth's empty 404.
	if r := f.admin.post("/admin/list-users", nil); r.Status != http.StatusNotFound || len(r.Body) != 0 {
		t.Fatalf("POST list-users: %d %q", r.Status, r.Body)
	}
}

func TestAdminGetUser(t *testing.T) {
	t.Parallel()
	f := adminHarness(t)
	r := f.admin.get("/admin/get-user?id=" + f.annID)
	u := decodeUser(t, r, false)
	if u.ID != f.annID || u.Email != "ann@example.com" || u.Role != "user" || u.Banned || u.BanReason != nil || u.BanExpires != nil {
		t.Fatalf("get-user: %s", r.Body)
	}
	if _, wrapped := r.JSON(t)["user"]; wrapped {
		t.Fatalf("get-user wraps the user: %s", r.Body)
	}
	wantError(t, f.admin.get("/admin/get-user?id=nobody"), http.StatusNotFound, "USER_NOT_FOUND")
	wantError(t, f.admin.get("/admin/get-user"), http.StatusBadRequest, "VALIDATION_ERROR")
	wantError(t, f.admin.get("/admin/get-user?id="), http.StatusBadRequest, "VALIDATION_ERROR")
}

func TestAdminCreateUser(t *testing.T) {
	t.Parallel()
	f := adminHarness(t)
	sessions := f.h.Count(`SELECT count(*) FROM betterauth.session`)
	r := f.admin.post("/admin/create-user", map[string]any{"email": "Bob@Example.com", "name": "Bob", "password": "bob's horse"})
	bob := decodeUser(t, r, true)
	if bob.Email != "bob@example.com" || bob.Name != "Bob" || bob.Role != "user" || bob.Banned || bob.Verified || !id32.MatchString(bob.ID) {
		t.Fatalf("create-user: %s", r.Body)
	}
	wantNoCookies(t, r)
	if n := f.h.Count(`SELECT count(*) FROM betterauth.session`); n != sessions {
		t.Fatalf("create-user started a session: %d sessions, had %d", n, sessions)
	}
	if h := dbString(t, f.h, `SELECT "password" FROM betterauth.account WHERE "userId" = $1 AND "providerId" = 'credential' AND "accountId" = $1`, bob.ID); !strings.HasPrefix(h, "$argon2id$") {
		t.Fatalf("stored password %q", h)
	}
	newBrowser(t, f.h).signIn("bob@example.com", "bob's horse")

	// A role list, data, and no password (no credential account).
	r = f.admin.post("/admin/create-user", map[string]any{"email": "cy@example.com", "name": "Cy", "role": []string{"admin", "user"},
		"data": map[string]any{"image": "https://img.example/cy.png", "emailVerified": true}})
	cy := decodeUser(t, r, true)
	if cy.Role != "admin,user" || cy.Image == nil || *cy.Image != "https://img.example/cy.png" || !cy.Verified {
		t.Fatalf("create-user with role and data: %s", r.Body)
	}
	if n := f.h.Count(`SELECT count(*) FROM betterauth.account WHERE "userId" = $1`, cy.ID); n != 0 {
		t.Fatalf("a user without password has %d accounts", n)
	}
	if got := dbString(t, f.h, `SELECT "role" FROM betterauth."user" WHERE "id" = $1`, cy.ID); got != "admin,user" {
		t.Fatalf("stored role %q", got)
	}
	r = f.admin.post("/admin/create-user", map[string]any{"email": "dee@example.com", "name": "Dee", "role": "admin"})
	if u := decodeUser(t, r, true); u.Role != "admin" {
		t.Fatalf("role string: %s", r.Body)
	}

	before := dbState(t, f.h)
	for _, c := range []struct {
		body   map[string]any
		status int
		code   string
	}{
		{map[string]any{"email": "BOB@example.com", "name": "Bob 2", "password": "correct horse"}, 400, "USER_ALREADY_EXISTS_USE_ANOTHER_EMAIL"},
		{map[string]any{"email": "not-an-email", "name": "X"}, 400, "INVALID_EMAIL"},
		{map[string]any{"email": "x@example.com", "name": "X", "role": "owner"}, 400, "YOU_ARE_NOT_ALLOWED_TO_SET_NON_EXISTENT_VALUE"},
		{map[string]any{"email": "x@example.com", "name": "X", "role": []string{"user", "root"}}, 400, "YOU_ARE_NOT_ALLOWED_TO_SET_NON_EXISTENT_VALUE"},
		{map[string]any{"email": "x@example.com", "name": "X", "password": strings.Repeat("p", 129)}, 400, "PASSWORD_TOO_LONG"},
		{map[string]any{"email": "x@example.com", "name": "X", "role": []string{}}, 400, "VALIDATION_ERROR"},
		{map[string]any{"email": "x@example.com", "name": "X", "data": map[string]any{"role": "admin"}}, 400, "VALIDATION_ERROR"},
	} {
		wantError(t, f.admin.post("/admin/create-user", c.body), c.status, c.code)
	}
	wantUnchanged(t, f.h, before)
}

func TestAdminUpdateUser(t *testing.T) {
	t.Parallel()
	f := adminHarness(t)
	r := f.admin.post("/admin/update-user", map[string]any{"userId": f.annID, "data": map[string]any{
		"name": "Ann B", "email": "Ann.B@example.com", "emailVerified": true, "image": "https://img.example/a.png", "role": []string{"user", "admin"}}})
	u := decodeUser(t, r, false)
	if u.Name != "Ann B" || u.Email != "ann.b@example.com" || !u.Verified || u.Image == nil || u.Role != "user,admin" {
		t.Fatalf("update-user: %s", r.Body)
	}
	if _, wrapped := r.JSON(t)["user"]; wrapped {
		t.Fatalf("update-user wraps the user: %s", r.Body)
	}
	// null clears the image; the user's own session sees the change.
	u = decodeUser(t, f.admin.post("/admin/update-user", map[string]any{"userId": f.annID, "data": map[string]any{"image": nil}}), false)
	if u.Image != nil || u.Name != "Ann B" {
		t.Fatalf("image null: %+v", u)
	}
	if s := f.ann.session(); s == nil || s.User.Email != "ann.b@example.com" || s.User.Role != "user,admin" {
		t.Fatalf("ann's session: %+v", s)
	}
	// Ban fields; banned ends the sessions.
	u = decodeUser(t, f.admin.post("/admin/update-user", map[string]any{"userId": f.annID, "data": map[string]any{
		"banned": true, "banReason": "spam", "banExpires": "2099-01-02T03:04:05.000Z"}}), false)
	if !u.Banned || u.BanReason == nil || *u.BanReason != "spam" || u.BanExpires == nil || *u.BanExpires != "2099-01-02T03:04:05.000Z" {
		t.Fatalf("ban by update: %+v", u)
	}
	if n := f.h.Count(`SELECT count(*) FROM betterauth.session WHERE "userId" = $1`, f.annID); n != 0 {
		t.Fatalf("banned by update-user, ann keeps %d sessions", n)
	}
	u = decodeUser(t, f.admin.post("/admin/update-user", map[string]any{"userId": f.annID, "data": map[string]any{
		"banned": false, "banReason": nil, "banExpires": nil}}), false)
	if u.Banned || u.BanReason != nil || u.BanExpires != nil {
		t.Fatalf("unban by update: %+v", u)
	}

	f.admin.post("/admin/create-user", map[string]any{"email": "bob@example.com", "name": "Bob"})
	before := dbState(t, f.h)
	for _, c := range []struct {
		body   map[string]any
		status int
		code   string
	}{
		{map[string]any{"userId": f.annID, "data": map[string]any{}}, 400, "NO_DATA_TO_UPDATE"},
		{map[string]any{"userId": f.annID, "data": map[string]any{"password": "new horse"}}, 400, "PASSWORD_CANNOT_BE_UPDATED_VIA_UPDATE_USER"},
		{map[string]any{"userId": f.annID, "data": map[string]any{"id": "x"}}, 400, "USER_ID_CANNOT_BE_UPDATED"},
		{map[string]any{"userId": f.adminID, "data": map[string]any{"banned": true}}, 400, "YOU_CANNOT_BAN_YOURSELF"},
		{map[string]any{"userId": f.annID, "data": map[string]any{"email": "BOB@example.com"}}, 400, "USER_ALREADY_EXISTS_USE_ANOTHER_EMAIL"},
		{map[string]any{"userId": f.annID, "data": map[string]any{"email": "nope"}}, 400, "INVALID_EMAIL"},
		{map[string]any{"userId": f.annID, "data": map[string]any{"role": "owner"}}, 400, "YOU_ARE_NOT_ALLOWED_TO_SET_NON_EXISTENT_VALUE"},
		{map[string]any{"userId": "nobody", "data": map[string]any{"name": "X"}}, 404, "USER_NOT_FOUND"},
		{map[string]any{"userId": f.annID, "data": map[string]any{"nickname": "X"}}, 400, "VALIDATION_ERROR"},
		{map[string]any{"userId": f.annID, "data": map[string]any{"name": ""}}, 400, "VALIDATION_ERROR"},
		{map[string]any{"userId": f.annID, "data": map[string]any{"banExpires": "tomorrow"}}, 400, "VALIDATION_ERROR"},
		{map[string]any{"userId": f.annID, "data": map[string]any{"name": "X"}, "role": "admin"}, 400, "VALIDATION_ERROR"},
		{map[string]any{"userId": f.annID, "data": map[string]any{"name": "X"}, "email": "x@example.com"}, 400, "VALIDATION_ERROR"},
	} {
		wantError(t, f.admin.post("/admin/update-user", c.body), c.status, c.code)
	}
	wantUnchanged(t, f.h, before)
}

func TestAdminSetRole(t *testing.T) {
	t.Parallel()
	f := adminHarness(t)
	r := f.admin.post("/admin/set-role", map[string]any{"userId": f.annID, "role": "admin"})
	if u := decodeUser(t, r, true); u.Role != "admin" || u.ID != f.annID {
		t.Fatalf("set-role: %s", r.Body)
	}
	// Ann's session now carries the role: she may list users.
	if r := f.ann.get("/admin/list-users"); r.Status != http.StatusOK {
		t.Fatalf("ann as admin: %d %s", r.Status, r.Body)
	}
	r = f.admin.post("/admin/set-role", map[string]any{"userId": f.annID, "role": []string{"user", "admin"}})
	if u := decodeUser(t, r, true); u.Role != "user,admin" {
		t.Fatalf("set-role list: %s", r.Body)
	}
	if got := dbString(t, f.h, `SELECT "role" FROM betterauth."user" WHERE "id" = $1`, f.annID); got != "user,admin" {
		t.Fatalf("stored role %q", got)
	}
	f.admin.post("/admin/set-role", map[string]any{"userId": f.annID, "role": "user"})
	wantError(t, f.ann.get("/admin/list-users"), http.StatusForbidden, "YOU_ARE_NOT_ALLOWED_TO_LIST_USERS")
	before := dbState(t, f.h)
	wantError(t, f.admin.post("/admin/set-role", map[string]any{"userId": "nobody", "role": "admin"}), http.StatusNotFound, "USER_NOT_FOUND")
	wantError(t, f.admin.post("/admin/set-role", map[string]any{"userId": f.annID, "role": "superuser"}), http.StatusBadRequest, "YOU_ARE_NOT_ALLOWED_TO_SET_NON_EXISTENT_VALUE")
	wantError(t, f.admin.post("/admin/set-role", map[string]any{"userId": f.annID, "role": ""}), http.StatusBadRequest, "VALIDATION_ERROR")
	wantError(t, f.admin.post("/admin/set-role", map[string]any{"userId": f.annID, "role": 1}), http.StatusBadRequest, "VALIDATION_ERROR")
	wantUnchanged(t, f.h, before)
}

func TestAdminRemoveUser(t *testing.T) {
	t.Parallel()
	f := adminHarness(t)
	before := dbState(t, f.h)
	wantError(t, f.admin.post("/admin/remove-user", map[string]any{"userId": f.adminID}), http.StatusBadRequest, "YOU_CANNOT_REMOVE_YOURSELF")
	wantError(t, f.admin.post("/admin/remove-user", map[string]any{"userId": "nobody"}), http.StatusNotFound, "USER_NOT_FOUND")
	wantUnchanged(t, f.h, before)
	wantJSON(t, f.admin.post("/admin/remove-user", map[string]any{"userId": f.annID}), `{"success":true}`)
	for _, q := range []string{`SELECT count(*) FROM betterauth."user" WHERE "id" = $1`,
		`SELECT count(*) FROM betterauth.session WHERE "userId" = $1`, `SELECT count(*) FROM betterauth.account WHERE "userId" = $1`} {
		if n := f.h.Count(q, f.annID); n != 0 {
			t.Fatalf("%s: %d rows left", q, n)
		}
	}
	if f.ann.session() != nil {
		t.Fatal("the removed user is still signed in")
	}
	if f.admin.session() == nil {
		t.Fatal("the admin lost the session")
	}
}

func TestAdminSetUserPassword(t *testing.T) {
	t.Parallel()
	f := adminHarness(t)
	wantJSON(t, f.admin.post("/admin/set-user-password", map[string]any{"userId": f.annID, "newPassword": "brand new horse"}), `{"status":true}`)
	wantError(t, newBrowser(t, f.h).post("/sign-in/email", map[string]any{"email": "ann@example.com", "password": "correct horse"}),
		http.StatusUnauthorized, "INVALID_EMAIL_OR_PASSWORD")
	newBrowser(t, f.h).signIn("ann@example.com", "brand new horse")
	if f.ann.session() == nil {
		t.Fatal("set-user-password ended the user's session")
	}
	// A user without a password gets a credential account.
	bob := decodeUser(t, f.admin.post("/admin/create-user", map[string]any{"email": "bob@example.com", "name": "Bob"}), true)
	wantJSON(t, f.admin.post("/admin/set-user-password", map[string]any{"userId": bob.ID, "newPassword": "bob's own horse"}), `{"status":true}`)
	if n := f.h.Count(`SELECT count(*) FROM betterauth.account WHERE "userId" = $1 AND "providerId" = 'credential' AND "accountId" = $1`, bob.ID); n != 1 {
		t.Fatalf("bob has %d credential accounts", n)
	}
	newBrowser(t, f.h).signIn("bob@example.com", "bob's own horse")

	before := dbState(t, f.h)
	wantError(t, f.admin.post("/admin/set-user-password", map[string]any{"userId": f.annID, "newPassword": "short"}), http.StatusBadRequest, "PASSWORD_TOO_SHORT")
	wantError(t, f.admin.post("/admin/set-user-password", map[string]any{"userId": f.annID, "newPassword": strings.Repeat("p", 129)}), http.StatusBadRequest, "PASSWORD_TOO_LONG")
	wantError(t, f.admin.post("/admin/set-user-password", map[string]any{"userId": f.annID, "newPassword": ""}), http.StatusBadRequest, "VALIDATION_ERROR")
	wantError(t, f.admin.post("/admin/set-user-password", map[string]any{"userId": "nobody", "newPassword": "long enough"}), http.StatusNotFound, "USER_NOT_FOUND")
	wantUnchanged(t, f.h, before)
}

func TestAdminHasPermission(t *testing.T) {
	t.Parallel()
	f := adminHarness(t)
	check := func(b *browser, perms map[string]any, want bool) {
		t.Helper()
		r := b.post("/admin/has-permission", map[string]any{"permissions": perms})
		if want {
			wantJSON(t, r, `{"error":null,"success":true}`)
		} else {
			wantJSON(t, r, `{"error":null,"success":false}`)
		}
	}
	check(f.admin, map[string]any{"user": []string{"list", "ban"}}, true)
	check(f.admin, map[string]any{"user": []string{"create"}, "session": []string{"revoke", "list"}}, true)
	check(f.admin, map[string]any{"user": []string{"impersonate-admins"}}, false)
	check(f.admin, map[string]any{"project": []string{"create"}}, false)
	check(f.admin, map[string]any{"user": []string{}}, false)
	check(f.admin, map[string]any{}, false)
	check(f.ann, map[string]any{"user": []string{"list"}}, false)
	// Over HTTP the session user counts, not the body's userId or role.
	r := f.ann.post("/admin/has-permission", map[string]any{"permissions": map[string]any{"user": []string{"list"}}, "userId": f.adminID, "role": "admin"})
	wantJSON(t, r, `{"error":null,"success":false}`)

	before := dbState(t, f.h)
	wantError(t, f.admin.post("/admin/has-permission", map[string]any{}), http.StatusBadRequest, "VALIDATION_ERROR")
	perms := map[string]any{"user": []string{"list"}}
	wantError(t, f.admin.post("/admin/has-permission", map[string]any{"permission": perms, "permissions": perms}), http.StatusBadRequest, "VALIDATION_ERROR")
	wantMessageOnly(t, f.admin.post("/admin/has-permission", map[string]any{"permission": perms}), http.StatusBadRequest,
		"invalid permission check. no permission(s) were passed.")
	// That refusal comes before the session check.
	wantMessageOnly(t, newBrowser(t, f.h).post("/admin/has-permission", map[string]any{"permission": perms}), http.StatusBadRequest,
		"invalid permission check. no permission(s) were passed.")
	wantUnchanged(t, f.h, before)
}

func init() {
	const id = "Xy7kzqLMP0a1b2c3d4e5f6g7h8i9j0kL"
	bodyOps = append(bodyOps,
		bodyOp{name: "adminCreateUser", path: "/admin/create-user", session: true, missing: "email",
			valid: map[string]any{"email": "new@example.com", "name": canary, "password": canary + "-pw"},
			wrongType: []map[string]any{{"email": canaryNumber, "name": canary}, {"email": "new@example.com", "name": canary, "role": canaryNumber},
				{"email": "new@example.com", "name": canary, "data": canary}, {"email": "new@example.com", "name": canary, "role": []any{canaryNumber}}}},
		bodyOp{name: "adminUpdateUser", path: "/admin/update-user", session: true, missing: "data",
			valid: map[string]any{"userId": id, "data": map[string]any{"name": canary}},
			wrongType: []map[string]any{{"userId": canaryNumber, "data": map[string]any{"name": canary}}, {"userId": id, "data": canary},
				{"userId": id, "data": map[string]any{"banned": canary}}, {"userId": id, "data": map[string]any{"emailVerified": canary}}}},
		bodyOp{name: "adminSetRole", path: "/admin/set-role", session: true, missing: "role",
			valid:     map[string]any{"userId": id, "role": "user"},
			wrongType: []map[string]any{{"userId": id, "role": canaryNumber}, {"userId": id, "role": map[string]any{"x": canary}}}},
		bodyOp{name: "adminBanUser", path: "/admin/ban-user", session: true, missing: "userId",
			valid:     map[string]any{"userId": id, "banReason": canary, "banExpiresIn": 60},
			wrongType: []map[string]any{{"userId": id, "banExpiresIn": canary}, {"userId": id, "banExpiresIn": -5}, {"userId": id, "banReason": canaryNumber}}},
		bodyOp{name: "adminUnbanUser", path: "/admin/unban-user", session: true, missing: "userId",
			valid: map[string]any{"userId": id}, wrongType: []map[string]any{{"userId": canaryNumber}, {"userId": ""}}},
		bodyOp{name: "adminListUserSessions", path: "/admin/list-user-sessions", session: true, missing: "userId",
			valid: map[string]any{"userId": id}, wrongType: []map[string]any{{"userId": []string{canary}}}},
		bodyOp{name: "adminRevokeUserSession", path: "/admin/revoke-user-session", session: true, missing: "sessionToken",
			valid: map[string]any{"sessionToken": canary}, wrongType: []map[string]any{{"sessionToken": canaryNumber}}},
		bodyOp{name: "adminRevokeUserSessions", path: "/admin/revoke-user-sessions", session: true, missing: "userId",
			valid: map[string]any{"userId": id}, wrongType: []map[string]any{{"userId": canaryNumber}}},
		bodyOp{name: "adminRemoveUser", path: "/admin/remove-user", session: true, missing: "userId",
			valid: map[string]any{"userId": id}, wrongType: []map[string]any{{"userId": true}}},
		bodyOp{name: "adminSetUserPassword", path: "/admin/set-user-password", session: true, missing: "newPassword",
			valid:     map[string]any{"userId": id, "newPassword": canary + "-pw"},
			wrongType: []map[string]any{{"userId": id, "newPassword": canaryNumber}, {"userId": id, "newPassword": ""}}},
		bodyOp{name: "adminImpersonateUser", path: "/admin/impersonate-user", session: true, missing: "userId",
			valid: map[string]any{"userId": id}, wrongType: []map[string]any{{"userId": canaryNumber}}},
		bodyOp{name: "adminStopImpersonating", path: "/admin/stop-impersonating", session: true, valid: map[string]any{}},
		bodyOp{name: "adminHasPermission", path: "/admin/has-permission", session: true,
			valid: map[string]any{"permissions": map[string]any{"user": []string{canary}}},
			wrongType: []map[string]any{{"permissions": canary}, {"permissions": map[string]any{"user": canary}},
				{"permissions": map[string]any{"user": []any{canaryNumber}}}, {"permissions": map[string]any{}, "userId": canaryNumber}}},
	)
}
