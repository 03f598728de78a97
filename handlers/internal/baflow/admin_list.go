package baflow

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"gatehouse/db"
	"gatehouse/handlers/internal/baaccess"
)

// UserQuery is list-users' search, filter, order and page. Field names are user fields as
// Better Auth names them; only those of userColumns are accepted.
type UserQuery struct {
	SearchValue, SearchField, SearchOperator string
	FilterField, FilterOperator              string
	// FilterValues holds the filter's value (several for in and not_in); nil for no filter.
	FilterValues          []string
	SortBy, SortDirection string
	Limit, Offset         int
}

type columnKind int

const (
	textColumn columnKind = iota
	boolColumn
	timeColumn
)

// userColumns is the whitelist list-users builds its SQL from: field name to SQL expression.
// Rows moved over from a deployment without the admin or two-factor plugins hold NULL where
// the API shows a default; the expressions read them as that default.
var userColumns = map[string]struct {
	expr string
	kind columnKind
}{
	"id":               {`"id"`, textColumn},
	"name":             {`"name"`, textColumn},
	"email":            {`"email"`, textColumn},
	"emailVerified":    {`"emailVerified"`, boolColumn},
	"image":            {`"image"`, textColumn},
	"createdAt":        {`"createdAt"`, timeColumn},
	"updatedAt":        {`"updatedAt"`, timeColumn},
	"username":         {`"username"`, textColumn},
	"displayUsername":  {`"displayUsername"`, textColumn},
	"twoFactorEnabled": {`coalesce("twoFactorEnabled", false)`, boolColumn},
	"role":             {`coalesce("role", 'user')`, textColumn},
	"banned":           {`coalesce("banned", false)`, boolColumn},
	"banReason":        {`"banReason"`, textColumn},
	"banExpires":       {`"banExpires"`, timeColumn},
}

// DefaultUserPage is the page size of list-users without a limit (Better Auth's adapter default).
const DefaultUserPage = 100

func invalidQuery(field, msg string) error {
	return baError(400, "VALIDATION_ERROR", fmt.Sprintf("[query.%s] %s", field, msg))
}

// where collects SQL conditions and their arguments.
type where struct {
	conds []string
	args  []any
}

func (w *where) arg(v any) string {
	w.args = append(w.args, v)
	return "$" + strconv.Itoa(len(w.args))
}

// add appends "field op values" with the values parsed for the column's kind.
func (w *where) add(param, field, op string, values []string) error {
	col, ok := userColumns[field]
	if !ok {
		return invalidQuery(param, "unknown field "+strconv.Quote(field))
	}
	if len(values) == 0 {
		return invalidQuery("filterValue", "a value is required")
	}
	if len(values) > 1 && op != "in" && op != "not_in" {
		return invalidQuery("filterValue", "several values need the operator in or not_in")
	}
	parsed := make([]any, len(values))
	for i, v := range values {
		switch col.kind {
		case boolColumn:
			b, err := strconv.ParseBool(v)
			if err != nil || (v != "true" && v != "false") {
				return invalidQuery("filterValue", field+" takes true or false")
			}
			parsed[i] = b
		case timeColumn:
			t, err := time.Parse(time.RFC3339Nano, v)
			if err != nil {
				return invalidQuery("filterValue", field+" takes an ISO 8601 date-time")
			}
			parsed[i] = t
		default:
			parsed[i] = v
		}
	}
	e := col.expr
	switch op {
	case "eq", "ne", "lt", "lte", "gt", "gte":
		if col.kind == boolColumn && op != "eq" && op != "ne" {
			return invalidQuery("filterOperator", op+" does not apply to "+field)
		}
		sqlOp := map[string]string{"eq": "=", "ne": "<>", "lt": "<", "lte": "<=", "gt": ">", "gte": ">="}[op]
		w.conds = append(w.conds, e+" "+sqlOp+" "+w.arg(parsed[0]))
	case "in", "not_in":
		var list string
		switch col.kind {
		case boolColumn:
			list = w.arg(toSlice[bool](parsed)) + "::boolean[]"
		case timeColumn:
			list = w.arg(toSlice[time.Time](parsed)) + "::timestamptz[]"
		default:
			list = w.arg(toSlice[string](parsed)) + "::text[]"
		}
		if op == "in" {
			w.conds = append(w.conds, e+" = ANY("+list+")")
		} else {
			w.conds = append(w.conds, "("+e+" IS NULL OR "+e+" <> ALL("+list+"))")
		}
	case "contains", "starts_with", "ends_with":
		if col.kind != textColumn {
			return invalidQuery("filterOperator", op+" applies to text fields only")
		}
		p := w.arg(parsed[0])
		switch op {
		case "contains":
			w.conds = append(w.conds, "strpos("+e+", "+p+"::text) > 0")
		case "starts_with":
			w.conds = append(w.conds, "starts_with("+e+", "+p+"::text)")
		default:
			w.conds = append(w.conds, "right("+e+", length("+p+"::text)) = "+p+"::text")
		}
	default:
		return invalidQuery("filterOperator", "unknown operator "+strconv.Quote(op))
	}
	return nil
}

func toSlice[T any](vs []any) []T {
	out := make([]T, len(vs))
	for i, v := range vs {
		out[i] = v.(T)
	}
	return out
}

func (w *where) sql() string {
	if len(w.conds) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(w.conds, " AND ")
}

const userSelect = `SELECT "id", "name", "email", "emailVerified", "image", "createdAt", "updatedAt", "username",
	"displayUsername", "role", "banned", "banReason", "banExpires", "twoFactorEnabled" FROM betterauth."user"`

// AdminListUsers returns one page of the users matching q and how many match in all. The SQL
// is built from userColumns and fixed operators only; the client's values travel as arguments.
func (s *Service) AdminListUsers(ctx context.Context, a *Auth, q UserQuery) ([]User, int, error) {
	if err := allow(a, baaccess.Permissions{"user": {"list"}}, ErrNotAllowedListUsers); err != nil {
		return nil, 0, err
	}
	var w where
	if q.SearchValue != "" {
		field, op := q.SearchField, q.SearchOperator
		if field == "" {
			field = "email"
		}
		if op == "" {
			op = "contains"
		}
		if err := w.add("searchField", field, op, []string{q.SearchValue}); err != nil {
			return nil, 0, err
		}
	}
	if q.FilterValues != nil {
		field, op := q.FilterField, q.FilterOperator
		if field == "" {
			field = "email"
		}
		if op == "" {
			op = "eq"
		}
		if err := w.add("filterField", field, op, q.FilterValues); err != nil {
			return nil, 0, err
		}
	}
	order := `"createdAt", "id"`
	if q.SortBy != "" {
		col, ok := userColumns[q.SortBy]
		if !ok {
			return nil, 0, invalidQuery("sortBy", "unknown field "+strconv.Quote(q.SortBy))
		}
		dir := " ASC"
		if q.SortDirection == "desc" {
			dir = " DESC"
		}
		order = col.expr + dir + `, "id"` + dir
	}
	limit := q.Limit
	if limit <= 0 {
		limit = DefaultUserPage
	}
	pool := s.store.Pool()
	var total int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM betterauth."user"`+w.sql(), w.args...).Scan(&total); err != nil {
		return nil, 0, db.Translate(err)
	}
	args := append(w.args, limit, max(q.Offset, 0))
	n := len(w.args)
	rows, err := pool.Query(ctx, userSelect+w.sql()+" ORDER BY "+order+
		" LIMIT $"+strconv.Itoa(n+1)+" OFFSET $"+strconv.Itoa(n+2), args...)
	if err != nil {
		return nil, 0, db.Translate(err)
	}
	defer rows.Close()
	users := []User{}
	for rows.Next() {
		var u User
		if err := rows.Scan(&u.ID, &u.Name, &u.Email, &u.EmailVerified, &u.Image, &u.CreatedAt, &u.UpdatedAt,
			&u.Username, &u.DisplayUsername, &u.Role, &u.Banned, &u.BanReason, &u.BanExpires, &u.TwoFactorEnabled); err != nil {
			return nil, 0, db.Translate(err)
		}
		users = append(users, u)
	}
	return users, total, db.Translate(rows.Err())
}
