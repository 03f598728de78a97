package betterauth_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

type userPage struct {
	Users  []adminUser `json:"users"`
	Total  int         `json:"total"`
	Limit  *int        `json:"limit"`
	Offset *int        `json:"offset"`
}

// listUsers runs list-users with query q and returns the page, failing unless it is a 200.
func (f *adminFixture) listUsers(t *testing.T, q url.Values) userPage {
	t.Helper()
	r := f.admin.get("/admin/list-users?" + q.Encode())
	if r.Status != http.StatusOK {
		t.Fatalf("list-users?%s: %d %s", q.Encode(), r.Status, r.Body)
	}
	var p userPage
	r.Decode(t, &p)
	return p
}

func names(p userPage) string {
	var out []string
	for _, u := range p.Users {
		out = append(out, u.Name)
	}
	return strings.Join(out, ",")
}

// listUsersFixture adds users with known names, emails, roles, bans and creation times:
// root (admin) and Ann from the fixture, then Bob, Cy, Dee, Eve.
func listUsersFixture(t *testing.T) *adminFixture {
	t.Helper()
	f := adminHarness(t)
	for _, u := range []struct{ email, name string }{
		{"bob@example.com", "Bob"}, {"cy@test.org", "Cy"}, {"dee@example.com", "Dee"}, {"eve_x%@test.org", "Eve"},
	} {
		if r := f.admin.post("/admin/create-user", map[string]any{"email": u.email, "name": u.name}); r.Status != http.StatusOK {
			t.Fatalf("create %s: %d %s", u.email, r.Status, r.Body)
		}
	}
	f.h.Exec(`UPDATE betterauth."user" SET "name" = 'Root' WHERE "email" = $1`, adminEmail)
	f.h.Exec(`UPDATE betterauth."user" SET "banned" = true, "banReason" = 'spam' WHERE "name" IN ('Cy', 'Eve')`)
	// Creation times one day apart, in the order root, Ann, Bob, Cy, Dee, Eve.
	f.h.Exec(`UPDATE betterauth."user" SET "createdAt" = timestamptz '2026-01-01T00:00:00Z' + (CASE "name"
		WHEN 'Root' THEN 0 WHEN 'Ann' THEN 1 WHEN 'Bob' THEN 2 WHEN 'Cy' THEN 3 WHEN 'Dee' THEN 4 ELSE 5 END) * interval '1 day'`)
	f.h.Exec(`UPDATE betterauth."user" SET "emailVerified" = true WHERE "name" = 'Bob'`)
	return f
}

func TestAdminListUsers(t *testing.T) {
	t.Parallel()
	f := listUsersFixture(t)
	q := func(kv ...string) url.Values {
		v := url.Values{}
		for i := 0; i < len(kv); i += 2 {
			v.Add(kv[i], kv[i+1])
		}
		return v
	}
	// Everyone, in creation order; no limit or offset in the answer.
	r := f.admin.get("/admin/list-users")
	if m := r.JSON(t); len(m) != 2 || m["total"] != float64(6) {
		t.Fatalf("list-users: %s", r.Body)
	}
	for _, c := range []struct {
		query url.Values
		want  string
		total int
	}{
		{q(), "Root,Ann,Bob,Cy,Dee,Eve", 6},
		// Search: email by default, contains by default, case-sensitive; % and _ are plain.
		{q("searchValue", "example.com"), "Root,Ann,Bob,Dee", 4},
		{q("searchValue", "EXAMPLE"), "", 0},
		{q("searchValue", "%"), "Eve", 1},
		{q("searchValue", "_x"), "Eve", 1},
		{q("searchValue", "b", "searchField", "email", "searchOperator", "starts_with"), "Bob", 1},
		{q("searchValue", ".org", "searchOperator", "ends_with"), "Cy,Eve", 2},
		{q("searchValue", "e", "searchField", "name"), "Dee,Eve", 2},
		{q("searchValue", "d", "searchField", "name"), "", 0},
		{q("searchValue", "E", "searchField", "name", "searchOperator", "starts_with"), "Eve", 1},
		// Filter: email eq by default.
		{q("filterValue", "bob@example.com"), "Bob", 1},
		{q("filterField", "role", "filterValue", "admin"), "Root", 1},
		{q("filterField", "role", "filterOperator", "ne", "filterValue", "admin"), "Ann,Bob,Cy,Dee,Eve", 5},
		{q("filterField", "banned", "filterValue", "true"), "Cy,Eve", 2},
		{q("filterField", "banned", "filterOperator", "ne", "filterValue", "true"), "Root,Ann,Bob,Dee", 4},
		{q("filterField", "emailVerified", "filterValue", "true"), "Bob", 1},
		{q("filterField", "createdAt", "filterOperator", "lt", "filterValue", "2026-01-03T00:00:00Z"), "Root,Ann", 2},
		{q("filterField", "createdAt", "filterOperator", "lte", "filterValue", "2026-01-03T00:00:00.000Z"), "Root,Ann,Bob", 3},
		{q("filterField", "createdAt", "filterOperator", "gt", "filterValue", "2026-01-05T00:00:00Z"), "Eve", 1},
		{q("filterField", "createdAt", "filterOperator", "gte", "filterValue", "2026-01-05T00:00:00Z"), "Dee,Eve", 2},
		{q("filterField", "name", "filterOperator", "gt", "filterValue", "D"), "Root,Dee,Eve", 3},
		{q("filterField", "name", "filterOperator", "in", "filterValue", "Bob", "filterValue", "Dee", "filterValue", "Zed"), "Bob,Dee", 2},
		{q("filterField", "name", "filterOperator", "not_in", "filterValue", "Bob", "filterValue", "Dee"), "Root,Ann,Cy,Eve", 4},
		{q("filterField", "banReason", "filterOperator", "not_in", "filterValue", "spam"), "Root,Ann,Bob,Dee", 4},
		{q("filterField", "name", "filterOperator", "contains", "filterValue", "o"), "Root,Bob", 2},
		{q("filterField", "email", "filterOperator", "starts_with", "filterValue", "d"), "Dee", 1},
		{q("filterField", "email", "filterOperator", "ends_with", "filterValue", "test.org"), "Cy,Eve", 2},
		// Search and filter together.
		{q("searchValue", "example", "filterField", "banned", "filterValue", "false"), "Root,Ann,Bob,Dee", 4},
		{q("searchValue", ".org", "searchOperator", "ends_with", "filterField", "name", "filterValue", "Cy"), "Cy", 1},
		// Order.
		{q("sortBy", "name"), "Ann,Bob,Cy,Dee,Eve,Root", 6},
		{q("sortBy", "name", "sortDirection", "desc"), "Root,Eve,Dee,Cy,Bob,Ann", 6},
		{q("sortBy", "createdAt", "sortDirection", "desc"), "Eve,Dee,Cy,Bob,Ann,Root", 6},
	} {
		p := f.listUsers(t, c.query)
		if names(p) != c.want || p.Total != c.total || p.Limit != nil || p.Offset != nil {
			t.Errorf("list-users?%s: %q total %d (limit %v offset %v), want %q total %d", c.query.Encode(), names(p), p.Total, p.Limit, p.Offset, c.want, c.total)
		}
	}
	// Pages: limit and offset come back when given and not zero; total counts every match.
	p := f.listUsers(t, q("limit", "2", "sortBy", "name"))
	if names(p) != "Ann,Bob" || p.Total != 6 || p.Limit == nil || *p.Limit != 2 || p.Offset != nil {
		t.Fatalf("limit 2: %+v", p)
	}
	p = f.listUsers(t, q("limit", "2", "offset", "2", "sortBy", "name"))
	if names(p) != "Cy,Dee" || p.Total != 6 || *p.Limit != 2 || p.Offset == nil || *p.Offset != 2 {
		t.Fatalf("offset 2: %+v", p)
	}
	p = f.listUsers(t, q("limit", "2", "offset", "0", "searchValue", "example"))
	if names(p) != "Root,Ann" || p.Total != 4 || p.Offset != nil {
		t.Fatalf("offset 0: %+v", p)
	}
	p = f.listUsers(t, q("offset", "10"))
	if len(p.Users) != 0 || p.Total != 6 || *p.Offset != 10 {
		t.Fatalf("past the end: %+v", p)
	}
	p = f.listUsers(t, q("limit", "0"))
	if len(p.Users) != 6 || p.Limit != nil {
		t.Fatalf("limit 0: %+v", p)
	}
	// Users carry every field.
	r = f.admin.get("/admin/list-users?filterField=name&filterValue=Cy")
	if u := r.JSON(t)["users"].([]any)[0].(map[string]any); len(u) != 14 || u["banReason"] != "spam" || u["role"] != "user" {
		t.Fatalf("user object: %s", r.Body)
	}
}

// Fields outside the whitelist, operators that do not fit a field, and values that do not fit
// it are 400 VALIDATION_ERROR (Better Auth answers 200 with an empty page), and the query text
// never reaches the SQL.
func TestAdminListUsersRefusals(t *testing.T) {
	t.Parallel()
	f := adminHarness(t)
	before := dbState(t, f.h)
	for _, query := range []string{
		"sortBy=password", "sortBy=" + url.QueryEscape(`"name"; DROP TABLE betterauth.session; --`), "sortBy=Name",
		"filterField=password&filterValue=x", "filterField=" + url.QueryEscape("email OR 1=1") + "&filterValue=x",
		"sortDirection=up", "searchField=role&searchValue=a", "searchOperator=eq&searchValue=a", "filterOperator=like&filterValue=a",
		"filterField=banned&filterValue=yes", "filterField=banned&filterOperator=gt&filterValue=true",
		"filterField=banned&filterOperator=contains&filterValue=t", "filterField=createdAt&filterValue=yesterday",
		"filterField=createdAt&filterOperator=starts_with&filterValue=2026", "filterValue=a&filterValue=b",
		"limit=abc", "limit=-1", "offset=1.5", "limit=" + url.QueryEscape("1; DELETE"),
	} {
		r := f.admin.get("/admin/list-users?" + query)
		wantError(t, r, http.StatusBadRequest, "VALIDATION_ERROR")
		if strings.Contains(string(r.Body), "DROP") || strings.Contains(string(r.Body), "DELETE") {
			t.Fatalf("%s: the error repeats the query: %s", query, r.Body)
		}
	}
	wantUnchanged(t, f.h, before)
}

// Text PostgreSQL cannot hold (a NUL, bytes that are not UTF-8) is bad input: 400, not a 500,
// and nothing changes.
func TestAdminUnstorableText(t *testing.T) {
	t.Parallel()
	f := listUsersFixture(t)
	before := dbState(t, f.h)
	for _, q := range []url.Values{
		{"searchValue": {"a\x00b"}},
		{"searchValue": {"a\xffb"}},
		{"filterField": {"name"}, "filterValue": {"x\x00"}},
	} {
		wantError(t, f.admin.get("/admin/list-users?"+q.Encode()), http.StatusBadRequest, "VALIDATION_ERROR")
	}
	wantError(t, f.admin.get("/admin/get-user?id=%00"), http.StatusBadRequest, "VALIDATION_ERROR")
	wantError(t, f.admin.post("/admin/ban-user", map[string]any{"userId": "a\x00"}), http.StatusBadRequest, "VALIDATION_ERROR")
	wantError(t, f.admin.get("/api-key/get?id=%00"), http.StatusBadRequest, "VALIDATION_ERROR")
	wantUnchanged(t, f.h, before)
}
