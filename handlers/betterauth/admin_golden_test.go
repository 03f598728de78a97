package betterauth_test

import (
	"bytes"
	"net/http"
	"testing"

	"gatehouse/handlers/internal/handlertest"
)

// The shapes of the admin plugin's answers, field for field.
func TestGoldenAdmin(t *testing.T) {
	t.Parallel()
	f := adminHarness(t)
	want := func(name string, resp *handlertest.Response) {
		t.Helper()
		if resp.Status != http.StatusOK {
			t.Fatalf("%s: status %d: %s", name, resp.Status, resp.Body)
		}
		// impersonatedBy holds the admin's id, which golden does not know as an id.
		resp = &handlertest.Response{Status: resp.Status, Header: resp.Header,
			Body: bytes.ReplaceAll(resp.Body, []byte(`"impersonatedBy":"`+f.adminID+`"`), []byte(`"impersonatedBy":"<admin-id>"`))}
		golden(t, "admin-"+name, resp, "")
	}
	want("list-users", f.admin.get("/admin/list-users?limit=1&offset=1"))
	want("get-user", f.admin.get("/admin/get-user?id="+f.annID))
	want("create-user", f.admin.post("/admin/create-user", map[string]any{"email": "bob@example.com", "name": "Bob", "password": "bob's horse",
		"data": map[string]any{"image": "https://img.example/bob.png"}}))
	want("update-user", f.admin.post("/admin/update-user", map[string]any{"userId": f.annID, "data": map[string]any{"name": "Ann B"}}))
	want("set-role", f.admin.post("/admin/set-role", map[string]any{"userId": f.annID, "role": []string{"user", "admin"}}))
	f.admin.post("/admin/set-role", map[string]any{"userId": f.annID, "role": "user"})
	want("list-user-sessions", f.admin.post("/admin/list-user-sessions", map[string]any{"userId": f.annID}))
	want("has-permission", f.admin.post("/admin/has-permission", map[string]any{"permissions": map[string]any{"user": []string{"ban"}}}))
	want("set-user-password", f.admin.post("/admin/set-user-password", map[string]any{"userId": f.annID, "newPassword": "another horse"}))
	want("impersonate-user", f.admin.post("/admin/impersonate-user", map[string]any{"userId": f.annID}))
	want("stop-impersonating", f.admin.post("/admin/stop-impersonating", nil))
	want("ban-user", f.admin.post("/admin/ban-user", map[string]any{"userId": f.annID, "banReason": "spam", "banExpiresIn": 60}))
	want("unban-user", f.admin.post("/admin/unban-user", map[string]any{"userId": f.annID}))
	want("revoke-user-session", f.admin.post("/admin/revoke-user-session", map[string]any{"sessionToken": "unknown"}))
	want("revoke-user-sessions", f.admin.post("/admin/revoke-user-sessions", map[string]any{"userId": f.annID}))
	want("remove-user", f.admin.post("/admin/remove-user", map[string]any{"userId": f.annID}))
}
