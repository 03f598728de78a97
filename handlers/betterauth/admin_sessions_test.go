package betterauth_test

import (
	"net/http"
	"testing"
)

type adminSessionList struct {
	Sessions []struct {
		session
		ImpersonatedBy *string `json:"impersonatedBy"`
	} `json:"sessions"`
}

func (f *adminFixture) userSessions(t *testing.T, userID string) adminSessionList {
	t.Helper()
	r := f.admin.post("/admin/list-user-sessions", map[string]any{"userId": userID})
	if r.Status != http.StatusOK {
		t.Fatalf("list-user-sessions: %d %s", r.Status, r.Body)
	}
	var out adminSessionList
	r.Decode(t, &out)
	return out
}

func TestAdminUserSessions(t *testing.T) {
	t.Parallel()
	f := adminHarness(t)
	second := newBrowser(t, f.h)
	second.signIn("ann@example.com", "correct horse")
	list := f.userSessions(t, f.annID)
	if len(list.Sessions) != 2 {
		t.Fatalf("ann's sessions: %+v", list)
	}
	for _, s := range list.Sessions {
		// Handles, not bearer tokens: neither browser's token is shown.
		if s.UserID != f.annID || !id32.MatchString(s.Token) || s.Token == f.ann.token() || s.Token == second.token() || s.ImpersonatedBy != nil {
			t.Fatalf("session %+v", s)
		}
	}
	if l := f.userSessions(t, "nobody"); len(l.Sessions) != 0 {
		t.Fatalf("an unknown user's sessions: %+v", l)
	}
	// The admin's own session shows its token.
	if l := f.userSessions(t, f.adminID); len(l.Sessions) != 1 || l.Sessions[0].Token != f.adminTok {
		t.Fatalf("the admin's sessions: %+v", l)
	}

	// Revoke one by its handle, another by its token; an unknown token changes nothing.
	before := dbState(t, f.h)
	wantJSON(t, f.admin.post("/admin/revoke-user-session", map[string]any{"sessionToken": "no-such-token"}), `{"success":true}`)
	wantJSON(t, f.admin.post("/admin/revoke-user-session", map[string]any{"sessionToken": ""}), `{"success":true}`)
	wantUnchanged(t, f.h, before)
	var firstHandle string
	for _, s := range list.Sessions {
		if s.ID == dbString(t, f.h, `SELECT "id" FROM betterauth.session WHERE "token" = encode(sha256($1::bytea), 'hex')`, f.ann.token()) {
			firstHandle = s.Token
		}
	}
	wantJSON(t, f.admin.post("/admin/revoke-user-session", map[string]any{"sessionToken": firstHandle}), `{"success":true}`)
	if f.ann.session() != nil || second.session() == nil {
		t.Fatal("revoking by handle ended the wrong session")
	}
	wantJSON(t, f.admin.post("/admin/revoke-user-session", map[string]any{"sessionToken": second.token()}), `{"success":true}`)
	if second.session() != nil {
		t.Fatal("revoking by token left the session")
	}
	if f.admin.session() == nil {
		t.Fatal("the admin lost the session")
	}

	// Revoke all.
	newBrowser(t, f.h).signIn("ann@example.com", "correct horse")
	newBrowser(t, f.h).signIn("ann@example.com", "correct horse")
	wantJSON(t, f.admin.post("/admin/revoke-user-sessions", map[string]any{"userId": f.annID}), `{"success":true}`)
	if n := f.h.Count(`SELECT count(*) FROM betterauth.session WHERE "userId" = $1`, f.annID); n != 0 {
		t.Fatalf("ann keeps %d sessions", n)
	}
	wantJSON(t, f.admin.post("/admin/revoke-user-sessions", map[string]any{"userId": "nobody"}), `{"success":true}`)
	if n := f.h.Count(`SELECT count(*) FROM betterauth.session WHERE "userId" = $1`, f.adminID); n != 1 {
		t.Fatalf("the admin has %d sessions", n)
	}
}
