package custodian_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"gatehouse/handlers"
	"gatehouse/handlers/internal/handlertest"
)

func TestMain(m *testing.M) { handlertest.Main(m, "custodian") }

const base = "/custodian"

// goodPassword satisfies the password rule.
const goodPassword = "correct-Horse7"

func newHarness(t *testing.T) *handlertest.Harness {
	t.Helper()
	return handlertest.New(t, handlers.Config{})
}

type user struct {
	ID    int64  `json:"id"`
	Email string `json:"email"`
}

// register creates an account and returns it.
func register(t *testing.T, h *handlertest.Harness, email string) user {
	t.Helper()
	resp := h.Do(handlertest.Request{Method: http.MethodPost, Path: base + "/auth/register",
		Body: map[string]any{"email": email, "password": goodPassword}})
	if resp.Status != http.StatusCreated {
		t.Fatalf("register: %d %s", resp.Status, resp.Body)
	}
	var u user
	resp.Decode(t, &u)
	return u
}

// loginResp logs in with the body given.
func loginResp(h *handlertest.Harness, body map[string]any) *handlertest.Response {
	return h.Do(handlertest.Request{Method: http.MethodPost, Path: base + "/auth/login", Body: body})
}

// login logs in with a password and returns the token.
func login(t *testing.T, h *handlertest.Harness, email, password string) string {
	t.Helper()
	resp := loginResp(h, map[string]any{"email": email, "password": password})
	if resp.Status != http.StatusOK {
		t.Fatalf("login: %d %s", resp.Status, resp.Body)
	}
	var out struct {
		Token string `json:"token"`
	}
	resp.Decode(t, &out)
	if out.Token == "" {
		t.Fatal("no token")
	}
	return out.Token
}

// signUp registers email and logs in; it returns the user and a token.
func signUp(t *testing.T, h *handlertest.Harness, email string) (user, string) {
	t.Helper()
	u := register(t, h, email)
	return u, login(t, h, email, goodPassword)
}

// admin signs up an admin.
func admin(t *testing.T, h *handlertest.Harness, email string) (user, string) {
	t.Helper()
	u := register(t, h, email)
	if _, err := h.App.Custodian.SetAdmin(context.Background(), email, true); err != nil {
		t.Fatal(err)
	}
	return u, login(t, h, email, goodPassword)
}

// wantError checks status and the error body's code, and returns the message.
func wantError(t *testing.T, resp *handlertest.Response, status int, code string) string {
	t.Helper()
	if resp.Status != status {
		t.Fatalf("status %d, want %d; body %s", resp.Status, status, resp.Body)
	}
	var body struct {
		Error struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	resp.Decode(t, &body)
	if body.Error.Code != code || body.Error.Message == "" {
		t.Fatalf("error %+v, want code %s with a message", body.Error, code)
	}
	return body.Error.Message
}

// wantMessage checks that an error's message contains each of parts.
func wantMessage(t *testing.T, msg string, parts ...string) {
	t.Helper()
	for _, p := range parts {
		if !strings.Contains(msg, p) {
			t.Errorf("message %q does not say %q", msg, p)
		}
	}
}

type event struct {
	ID      int64          `json:"id"`
	UserID  int64          `json:"user_id"`
	Created string         `json:"created"`
	Type    string         `json:"type"`
	Data    map[string]any `json:"data"`
}

// eventTypes returns the types of the user's events, newest first, read from the database.
func eventTypes(t *testing.T, h *handlertest.Harness, userID int64) []string {
	t.Helper()
	rows, err := h.Store.Pool().Query(context.Background(),
		`SELECT type FROM custodian.events WHERE user_id = $1 ORDER BY id DESC`, userID)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var typ string
		if err := rows.Scan(&typ); err != nil {
			t.Fatal(err)
		}
		out = append(out, typ)
	}
	return out
}

// lastEventData returns the data of the user's newest event of typ.
func lastEventData(t *testing.T, h *handlertest.Harness, userID int64, typ string) map[string]any {
	t.Helper()
	var raw []byte
	err := h.Store.Pool().QueryRow(context.Background(),
		`SELECT data FROM custodian.events WHERE user_id = $1 AND type = $2 ORDER BY id DESC LIMIT 1`, userID, typ).Scan(&raw)
	if err != nil {
		t.Fatalf("no %s event: %v", typ, err)
	}
	var data map[string]any
	if err := json.Unmarshal(raw, &data); err != nil {
		t.Fatal(err)
	}
	if _, ok := data["ip"]; !ok {
		t.Errorf("%s event without ip: %v", typ, data)
	}
	if _, ok := data["userAgent"]; !ok {
		t.Errorf("%s event without userAgent: %v", typ, data)
	}
	return data
}

// get sends a GET with a token.
func get(h *handlertest.Harness, path, token string) *handlertest.Response {
	return h.Do(handlertest.Request{Method: http.MethodGet, Path: base + path, Token: token})
}

// send sends a request with a JSON body and a token.
func send(h *handlertest.Harness, method, path, token string, body any) *handlertest.Response {
	return h.Do(handlertest.Request{Method: method, Path: base + path, Token: token, Body: body})
}
