package custodian_test

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"gatehouse/handlers/internal/handlertest"
)

func TestEventsNewestFirstAndPaginated(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	u, tok := signUp(t, h, "ray@example.com")
	for range 3 {
		loginResp(h, map[string]any{"email": "ray@example.com", "password": "Wrong-pass1"})
	}
	path := fmt.Sprintf("/users/%d/events", u.ID)
	var all []event
	resp := h.Do(reqWithUA(path, tok))
	if resp.Status != http.StatusOK {
		t.Fatalf("events: %d %s", resp.Status, resp.Body)
	}
	resp.Decode(t, &all)
	if len(all) != 4 || all[0].Type != "auth/failure" || all[3].Type != "auth/success" {
		t.Fatalf("events %+v", all)
	}
	for i, e := range all {
		if e.UserID != u.ID || e.Data["ip"] == nil || e.Data["userAgent"] == nil {
			t.Fatalf("event %+v", e)
		}
		if _, err := time.Parse(time.RFC3339, e.Created); err != nil {
			t.Fatalf("created %q", e.Created)
		}
		if i > 0 && e.ID >= all[i-1].ID {
			t.Fatal("not newest first")
		}
	}
	var page []event
	get(h, path+"?limit=2", tok).Decode(t, &page)
	if len(page) != 2 || page[0].ID != all[0].ID || page[1].ID != all[1].ID {
		t.Fatalf("first page %+v", page)
	}
	get(h, fmt.Sprintf("%s?limit=2&before=%d", path, page[1].ID), tok).Decode(t, &page)
	if len(page) != 2 || page[0].ID != all[2].ID || page[1].ID != all[3].ID {
		t.Fatalf("second page %+v", page)
	}
	get(h, fmt.Sprintf("%s?before=%d", path, all[3].ID), tok).Decode(t, &page)
	if len(page) != 0 {
		t.Fatalf("past the end %+v", page)
	}
	for _, q := range []string{"?limit=0", "?limit=101", "?limit=x", "?before=0", "?before=abc"} {
		wantError(t, get(h, path+q, tok), http.StatusBadRequest, "BAD_REQUEST")
	}
}

func reqWithUA(path, tok string) handlertest.Request {
	return handlertest.Request{Method: http.MethodGet, Path: base + path, Token: tok,
		Header: http.Header{"User-Agent": {"Mozilla/5.0"}}}
}

func TestEventsAreForTheUserOrAnAdmin(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	u, tok := signUp(t, h, "sue@example.com")
	_, otherTok := signUp(t, h, "tom@example.com")
	_, admTok := admin(t, h, "root@example.com")
	path := fmt.Sprintf("/users/%d/events", u.ID)
	wantError(t, get(h, path, otherTok), http.StatusForbidden, "FORBIDDEN")
	wantError(t, get(h, "/users/999999/events", otherTok), http.StatusForbidden, "FORBIDDEN")
	var list []event
	resp := get(h, path, admTok)
	if resp.Status != http.StatusOK {
		t.Fatalf("admin: %d %s", resp.Status, resp.Body)
	}
	resp.Decode(t, &list)
	if len(list) != 1 || list[0].UserID != u.ID {
		t.Fatalf("admin sees %+v", list)
	}
	wantError(t, get(h, "/users/999999/events", admTok), http.StatusNotFound, "USER_NOT_FOUND")
	wantError(t, get(h, "/users/abc/events", tok), http.StatusBadRequest, "INVALID_USER_ID")
	wantError(t, get(h, path, ""), http.StatusUnauthorized, "UNAUTHORIZED")
}
