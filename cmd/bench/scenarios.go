package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// Scenario is one benchmarked request shape. Each API adds its own entries to
// scenarios; Setup runs once, before the warm-up, and may create whatever the
// requests need (users, tokens) through client.
type Scenario struct {
	// Name identifies the scenario in the output and in the -scenarios filter;
	// by convention it is "METHOD /path" plus a short qualifier if needed.
	Name string
	// Expect is the status every response should have; any other status, or a
	// transport error, counts as a failure.
	Expect int
	// Setup prepares the scenario against the server at baseURL and returns the
	// targeter that produces each request. It must not send more than a few
	// requests.
	Setup func(ctx context.Context, client *http.Client, baseURL string) (vegeta.Targeter, error)
}

// scenarios is the single table of benchmarked requests, run in this order.
var scenarios = []Scenario{
	{
		Name:   "GET /healthz",
		Expect: http.StatusOK,
		Setup:  static(http.MethodGet, "/healthz", nil),
	},
	{
		Name:   "GET /api/v1/auth/me",
		Expect: http.StatusOK,
		Setup: func(ctx context.Context, client *http.Client, baseURL string) (vegeta.Targeter, error) {
			token, err := anonymousToken(ctx, client, baseURL)
			if err != nil {
				return nil, err
			}
			hdr := http.Header{"Authorization": {"Bearer " + token}}
			return static(http.MethodGet, "/api/v1/auth/me", hdr)(ctx, client, baseURL)
		},
	},
	{
		Name:   "POST /api/v1/auth/anonymous",
		Expect: http.StatusOK,
		Setup:  static(http.MethodPost, "/api/v1/auth/anonymous", nil),
	},
	{
		Name:   "POST /custodian/auth/login",
		Expect: http.StatusOK,
		Setup: func(ctx context.Context, client *http.Client, baseURL string) (vegeta.Targeter, error) {
			email := uniqueEmail("bench-custodian-login")
			if err := custodianRegister(ctx, client, baseURL, email); err != nil {
				return nil, err
			}
			return jsonTarget(baseURL+"/custodian/auth/login", map[string]any{"email": email, "password": benchPassword}), nil
		},
	},
	{
		Name:   "GET /custodian/me/profile",
		Expect: http.StatusOK,
		Setup: func(ctx context.Context, client *http.Client, baseURL string) (vegeta.Targeter, error) {
			email := uniqueEmail("bench-custodian-profile")
			if err := custodianRegister(ctx, client, baseURL, email); err != nil {
				return nil, err
			}
			var out struct {
				Token string `json:"token"`
			}
			if err := postJSON(ctx, client, baseURL+"/custodian/auth/login", nil, map[string]any{"email": email, "password": benchPassword}, http.StatusOK, &out); err != nil {
				return nil, err
			}
			return static(http.MethodGet, "/custodian/me/profile", http.Header{"Authorization": {"Bearer " + out.Token}})(ctx, client, baseURL)
		},
	},
	{
		Name:   "GET /api/auth/get-session",
		Expect: http.StatusOK,
		Setup: func(ctx context.Context, client *http.Client, baseURL string) (vegeta.Targeter, error) {
			cookie, err := betterAuthSignUp(ctx, client, baseURL, uniqueEmail("bench-session"))
			if err != nil {
				return nil, err
			}
			return static(http.MethodGet, "/api/auth/get-session", http.Header{"Cookie": {cookie}})(ctx, client, baseURL)
		},
	},
	{
		Name:   "POST /api/auth/sign-in/email",
		Expect: http.StatusOK,
		Setup: func(ctx context.Context, client *http.Client, baseURL string) (vegeta.Targeter, error) {
			email := uniqueEmail("bench-sign-in")
			if _, err := betterAuthSignUp(ctx, client, baseURL, email); err != nil {
				return nil, err
			}
			return jsonTarget(baseURL+"/api/auth/sign-in/email", map[string]any{"email": email, "password": benchPassword}), nil
		},
	},
	{
		Name:   "GET /api/auth/get-session with x-api-key",
		Expect: http.StatusOK,
		Setup: func(ctx context.Context, client *http.Client, baseURL string) (vegeta.Targeter, error) {
			cookie, err := betterAuthSignUp(ctx, client, baseURL, uniqueEmail("bench-api-key"))
			if err != nil {
				return nil, err
			}
			// The server must not rate-limit keys (BETTERAUTH_API_KEY_RATE_LIMIT=off; a key
			// allows 10 requests a day otherwise).
			var key struct {
				Key string `json:"key"`
			}
			if err := betterAuthPost(ctx, client, baseURL, cookie, "/api/auth/api-key/create", map[string]any{"name": "bench"}, &key); err != nil {
				return nil, err
			}
			return static(http.MethodGet, "/api/auth/get-session", http.Header{"X-Api-Key": {key.Key}})(ctx, client, baseURL)
		},
	},
	{
		Name:   "GET /api/auth/organization/list",
		Expect: http.StatusOK,
		Setup: func(ctx context.Context, client *http.Client, baseURL string) (vegeta.Targeter, error) {
			email := uniqueEmail("bench-org")
			cookie, err := betterAuthSignUp(ctx, client, baseURL, email)
			if err != nil {
				return nil, err
			}
			// Three organizations, so that the answer is a list.
			for i := range 3 {
				slug := fmt.Sprintf("%s-%d", strings.NewReplacer("@", "-", ".", "-").Replace(email), i)
				body := map[string]any{"name": "Bench " + slug, "slug": slug}
				if err := betterAuthPost(ctx, client, baseURL, cookie, "/api/auth/organization/create", body, nil); err != nil {
					return nil, err
				}
			}
			return static(http.MethodGet, "/api/auth/organization/list", http.Header{"Cookie": {cookie}})(ctx, client, baseURL)
		},
	},
}

// betterAuthPost sends a JSON body to path with a session cookie (and the Origin a browser
// would send with it) and decodes the 200 answer into out, unless out is nil.
func betterAuthPost(ctx context.Context, client *http.Client, baseURL, cookie, path string, body, out any) error {
	hdr := http.Header{"Cookie": {cookie}, "Origin": {baseURL}}
	return postJSON(ctx, client, baseURL+path, hdr, body, http.StatusOK, out)
}

// custodianRegister creates a Custodian account with benchPassword.
func custodianRegister(ctx context.Context, client *http.Client, baseURL, email string) error {
	return postJSON(ctx, client, baseURL+"/custodian/auth/register", nil, map[string]any{"email": email, "password": benchPassword}, http.StatusCreated, nil)
}

// postJSON sends body as JSON to url, with the headers hdr (may be nil), and decodes the answer
// into out (unless nil), failing unless the status is want.
func postJSON(ctx context.Context, client *http.Client, url string, hdr http.Header, body any, want int, out any) error {
	raw, _ := json.Marshal(body)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(raw))
	if err != nil {
		return err
	}
	for k, v := range hdr {
		req.Header[k] = v
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	msg, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode != want {
		return fmt.Errorf("POST %s: status %d: %.200s", url, resp.StatusCode, msg)
	}
	if out == nil {
		return nil
	}
	return json.Unmarshal(msg, out)
}

// benchPassword is the password of the Better Auth users the scenarios create.
const benchPassword = "bench-password-1234"

// uniqueEmail returns a new address, so that scenarios can run again against
// the same database (-url).
func uniqueEmail(prefix string) string {
	return fmt.Sprintf("%s-%d@example.com", prefix, time.Now().UnixNano())
}

// betterAuthSignUp signs up email with benchPassword and returns the session
// cookie ("name=value") to send with its requests.
func betterAuthSignUp(ctx context.Context, client *http.Client, baseURL, email string) (string, error) {
	body, _ := json.Marshal(map[string]any{"email": email, "password": benchPassword, "name": "Bench"})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, baseURL+"/api/auth/sign-up/email", bytes.NewReader(body))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	msg, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("POST /api/auth/sign-up/email: status %d: %.200s", resp.StatusCode, msg)
	}
	for _, c := range resp.Cookies() {
		if strings.HasSuffix(c.Name, "better-auth.session_token") && c.Value != "" {
			return c.Name + "=" + c.Value, nil
		}
	}
	return "", fmt.Errorf("POST /api/auth/sign-up/email: no session cookie in %q", resp.Header.Values("Set-Cookie"))
}

// jsonTarget sends the same JSON body to url by POST every time.
func jsonTarget(url string, body any) vegeta.Targeter {
	raw, _ := json.Marshal(body)
	return vegeta.NewStaticTargeter(vegeta.Target{Method: http.MethodPost, URL: url, Body: raw,
		Header: http.Header{"Content-Type": {"application/json"}}})
}

// static returns a Setup that sends the same request, without a body, every time.
func static(method, path string, hdr http.Header) func(context.Context, *http.Client, string) (vegeta.Targeter, error) {
	return func(_ context.Context, _ *http.Client, baseURL string) (vegeta.Targeter, error) {
		return vegeta.NewStaticTargeter(vegeta.Target{Method: method, URL: baseURL + path, Header: hdr}), nil
	}
}

// anonymousToken signs in a new guest and returns its bearer token.
func anonymousToken(ctx context.Context, client *http.Client, baseURL string) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, baseURL+"/api/v1/auth/anonymous", nil)
	if err != nil {
		return "", err
	}
	resp, err := client.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return "", err
	}
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("POST /api/v1/auth/anonymous: status %d: %.200s", resp.StatusCode, body)
	}
	var out struct {
		Data struct {
			Token string `json:"token"`
		} `json:"data"`
	}
	if err := json.Unmarshal(body, &out); err != nil {
		return "", fmt.Errorf("POST /api/v1/auth/anonymous: %w", err)
	}
	if out.Data.Token == "" {
		return "", fmt.Errorf("POST /api/v1/auth/anonymous: no data.token in %.200s", body)
	}
	return out.Data.Token, nil
}
