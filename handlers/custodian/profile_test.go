package custodian_test

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"
)

type profile struct {
	FirstName   *string `json:"first_name"`
	LastName    *string `json:"last_name"`
	PhoneNumber *string `json:"phone_number"`
	Country     *string `json:"country"`
	DateOfBirth *string `json:"date_of_birth"`
	Language    *string `json:"language"`
	Gender      *string `json:"gender"`
}

func TestProfileReadAndPartialUpdate(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	u, tok := signUp(t, h, "mia@example.com")
	var p profile
	get(h, "/me/profile", tok).Decode(t, &p)
	if p != (profile{}) {
		t.Fatalf("new profile %+v, want every field null", p)
	}
	full := map[string]any{"first_name": "Alice", "last_name": "Doe", "phone_number": "+32470123456", "country": "BE",
		"date_of_birth": "1990-01-01", "language": "english", "gender": "female"}
	resp := send(h, http.MethodPatch, "/me/profile", tok, full)
	if resp.Status != http.StatusOK {
		t.Fatalf("patch: %d %s", resp.Status, resp.Body)
	}
	resp = send(h, http.MethodPatch, "/me/profile", tok, map[string]any{"language": "dutch", "last_name": " Smith "})
	resp.Decode(t, &p)
	if *p.FirstName != "Alice" || *p.LastName != "Smith" || *p.Language != "dutch" || *p.Country != "BE" ||
		*p.DateOfBirth != "1990-01-01" || *p.PhoneNumber != "+32470123456" || *p.Gender != "female" {
		t.Fatalf("after partial update %+v", p)
	}
	var again profile
	get(h, "/me/profile", tok).Decode(t, &again)
	if *again.LastName != "Smith" || *again.Language != "dutch" {
		t.Fatalf("read back %+v", again)
	}
	d := lastEventData(t, h, u.ID, "profile/updated")
	if fmt.Sprint(d["fields"]) != "[last_name language]" {
		t.Fatalf("event fields %v", d["fields"])
	}
}

func TestProfileUpdateRefusesBadInput(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	u, tok := signUp(t, h, "ned@example.com")
	tomorrow := time.Now().UTC().Add(48 * time.Hour).Format(time.DateOnly)
	for _, tc := range []struct {
		body map[string]any
		says string
	}{
		{map[string]any{"first_name": ""}, "first_name"},
		{map[string]any{"first_name": "   "}, "first_name"},
		{map[string]any{"last_name": ""}, "last_name"},
		{map[string]any{"phone_number": "0470123456"}, "E.164"},
		{map[string]any{"phone_number": "+0470123456"}, "phone_number"},
		{map[string]any{"country": "be"}, "country"},
		{map[string]any{"country": "XX"}, "country"},
		{map[string]any{"country": "BEL"}, "country"},
		{map[string]any{"date_of_birth": tomorrow}, "future"},
		{map[string]any{"date_of_birth": "1990-02-30"}, "date_of_birth"},
		{map[string]any{"date_of_birth": "01/01/1990"}, "date_of_birth"},
		{map[string]any{"language": "german"}, "Invalid language"},
		{map[string]any{"gender": "unknown"}, "Invalid gender"},
		{map[string]any{"first_name": 5}, "first_name"},
		{map[string]any{"nickname": "x"}, "nickname"},
		{map[string]any{}, "at least one"},
		{map[string]any{"first_name": "Ok", "country": "ZZ"}, "country"},
	} {
		msg := wantError(t, send(h, http.MethodPatch, "/me/profile", tok, tc.body), http.StatusBadRequest, "BAD_REQUEST")
		wantMessage(t, msg, tc.says)
	}
	var p profile
	get(h, "/me/profile", tok).Decode(t, &p)
	if p != (profile{}) {
		t.Fatalf("bad input changed the profile: %+v", p)
	}
	if n := h.Count(`SELECT count(*) FROM custodian.events WHERE user_id = $1 AND type = 'profile/updated'`, u.ID); n != 0 {
		t.Fatal("bad input recorded an event")
	}
	wantError(t, send(h, http.MethodPatch, "/me/profile", "", map[string]any{"first_name": "x"}), http.StatusUnauthorized, "UNAUTHORIZED")
}

func TestUserProfileIsForAdmins(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	u, tok := signUp(t, h, "ola@example.com")
	adm, admTok := admin(t, h, "root@example.com")
	path := fmt.Sprintf("/users/%d/profile", u.ID)

	wantError(t, get(h, path, tok), http.StatusForbidden, "FORBIDDEN")
	wantError(t, send(h, http.MethodPatch, path, tok, map[string]any{"first_name": "Ola"}), http.StatusForbidden, "FORBIDDEN")

	resp := send(h, http.MethodPatch, path, admTok, map[string]any{"first_name": "Ola", "country": "NL"})
	if resp.Status != http.StatusOK {
		t.Fatalf("admin patch: %d %s", resp.Status, resp.Body)
	}
	var p profile
	get(h, path, admTok).Decode(t, &p)
	if p.FirstName == nil || *p.FirstName != "Ola" || *p.Country != "NL" {
		t.Fatalf("profile %+v", p)
	}
	if d := lastEventData(t, h, u.ID, "profile/updated"); fmt.Sprint(d["by"]) != fmt.Sprint(adm.ID) {
		t.Fatalf("event %v", d)
	}
	wantError(t, get(h, "/users/999999/profile", admTok), http.StatusNotFound, "USER_NOT_FOUND")
	wantError(t, send(h, http.MethodPatch, "/users/999999/profile", admTok, map[string]any{"first_name": "x"}), http.StatusNotFound, "USER_NOT_FOUND")
	for _, id := range []string{"abc", "0", "-1", "1.5", "99999999999999999999"} {
		msg := wantError(t, get(h, "/users/"+id+"/profile", admTok), http.StatusBadRequest, "INVALID_USER_ID")
		wantMessage(t, msg, "Invalid user ID")
		wantError(t, send(h, http.MethodPatch, "/users/"+id+"/profile", admTok, map[string]any{"first_name": "x"}), http.StatusBadRequest, "INVALID_USER_ID")
	}
	wantMessage(t, wantError(t, send(h, http.MethodPatch, path, admTok, map[string]any{"language": "klingon"}), http.StatusBadRequest, "BAD_REQUEST"), "Invalid language")
}

// Taking the admin right away (server custodian set-admin --revoke) holds at once for the
// tokens the admin already has, on every admin-only path.
func TestAdminRevokedLosesAdminPathsAtOnce(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	u, _ := signUp(t, h, "pia@example.com")
	_, admTok := admin(t, h, "root@example.com")
	if resp := get(h, fmt.Sprintf("/users/%d/events", u.ID), admTok); resp.Status != http.StatusOK {
		t.Fatalf("as admin: %d %s", resp.Status, resp.Body)
	}
	if _, err := h.App.Custodian.SetAdmin(context.Background(), "root@example.com", false); err != nil {
		t.Fatal(err)
	}
	profile := fmt.Sprintf("/users/%d/profile", u.ID)
	limit := fmt.Sprintf("/users/%d/rate-limit", u.ID)
	wantError(t, get(h, profile, admTok), http.StatusForbidden, "FORBIDDEN")
	wantError(t, send(h, http.MethodPatch, profile, admTok, map[string]any{"first_name": "X"}), http.StatusForbidden, "FORBIDDEN")
	wantError(t, get(h, fmt.Sprintf("/users/%d/events", u.ID), admTok), http.StatusForbidden, "FORBIDDEN")
	wantError(t, send(h, http.MethodPut, limit, admTok, map[string]any{"window_seconds": 60, "requests_per_window": 1}), http.StatusForbidden, "FORBIDDEN")
	wantError(t, send(h, http.MethodDelete, limit, admTok, nil), http.StatusForbidden, "FORBIDDEN")
	if n := h.Count(`SELECT count(*) FROM custodian.users WHERE id = $1 AND (first_name IS NOT NULL OR rate_window_seconds IS NOT NULL)`, u.ID); n != 0 {
		t.Fatal("a former admin changed the user")
	}
}
