package betterauth_test

import (
	"net/http"
	"strings"
	"testing"

	"gatehouse/handlers/internal/handlertest"
)

// raceChallenges signs in n browsers of a (each with a challenge of its own, so that only the
// code can stop them) and sends path with body from all of them at once.
func raceChallenges(t *testing.T, a *tfAccount, n int, path string, body map[string]any) ([]*browser, []*handlertest.Response) {
	t.Helper()
	browsers := make([]*browser, n)
	for i := range browsers {
		browsers[i] = a.challenge(t)
	}
	answers := race(a.h, n, func(i int) handlertest.Request {
		return handlertest.Request{Method: http.MethodPost, Path: base + path, Body: body,
			Header: http.Header{"Origin": {origin}, "Cookie": {browsers[i].cookieHeader()}}}
	})
	return browsers, answers
}

// wantOneWinner checks that exactly one of answers signed in and the others got code.
func wantOneWinner(t *testing.T, a *tfAccount, answers []*handlertest.Response, code string) {
	t.Helper()
	winners := 0
	for _, r := range answers {
		if r.Status == http.StatusOK {
			winners++
			continue
		}
		wantError(t, r, http.StatusUnauthorized, code)
	}
	if winners != 1 {
		t.Fatalf("%d requests succeeded, want exactly 1", winners)
	}
	if n := a.h.Count(`SELECT count(*) FROM betterauth."session" WHERE "userId" = $1`, a.userID); n != 2 { // a.b's and the winner's
		t.Fatalf("%d sessions, want 2", n)
	}
}

// One backup code sent by eight requests at once is accepted exactly once.
func TestTwoFactorBackupCodeSingleUseUnderConcurrency(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	a := newTFAccount(t, h, "tf-race-backup@example.com", "tf_race_backup")
	_, answers := raceChallenges(t, a, 8, "/two-factor/verify-backup-code", map[string]any{"code": a.codes[4]})
	wantOneWinner(t, a, answers, "INVALID_BACKUP_CODE")
	if got := h.Count(`SELECT json_array_length("backupCodes"::json) FROM betterauth."twoFactor"`); got != 9 {
		t.Fatalf("%d codes left, want 9", got)
	}
}

// One TOTP code (one time step) sent by eight requests at once is accepted exactly once.
func TestTwoFactorTOTPStepSingleUseUnderConcurrency(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	a := newTFAccount(t, h, "tf-race-totp@example.com", "tf_race_totp")
	browsers := make([]*browser, 8)
	for i := range browsers {
		browsers[i] = a.challenge(t)
	}
	awayFromStepEnd()
	code := totpCode(t, a.uri, 0)
	answers := race(h, len(browsers), func(i int) handlertest.Request {
		return handlertest.Request{Method: http.MethodPost, Path: base + "/two-factor/verify-totp", Body: map[string]any{"code": code},
			Header: http.Header{"Origin": {origin}, "Cookie": {browsers[i].cookieHeader()}}}
	})
	wantOneWinner(t, a, answers, "INVALID_CODE")
	// The next step's code still works for a browser that lost.
	for i, r := range answers {
		if r.Status != http.StatusOK {
			if r := browsers[i].post("/two-factor/verify-totp", map[string]any{"code": totpCode(t, a.uri, 1)}); r.Status != http.StatusOK {
				t.Fatalf("next step: %d %s", r.Status, r.Body)
			}
			break
		}
	}
}

// Wrong codes sent at once on one challenge get no more than its five attempts: the others are
// refused without being checked, so a burst cannot try more codes than a patient client.
func TestTwoFactorChallengeAttemptsUnderConcurrency(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	a := newTFAccount(t, h, "tf-race-attempts@example.com", "tf_race_attempts")
	b := a.challenge(t)
	answers := race(h, 12, func(i int) handlertest.Request {
		return handlertest.Request{Method: http.MethodPost, Path: base + "/two-factor/verify-totp", Body: map[string]any{"code": "999999x"},
			Header: http.Header{"Origin": {origin}, "Cookie": {b.cookieHeader()}}}
	})
	checked := 0
	for _, r := range answers {
		if r.Status == http.StatusUnauthorized && strings.Contains(string(r.Body), "INVALID_CODE") {
			checked++
		}
	}
	if checked > 5 {
		t.Fatalf("%d codes checked on one challenge, want at most 5", checked)
	}
	if n := h.Count(`SELECT "failedVerificationCount" FROM betterauth."twoFactor" WHERE "userId" = $1`, a.userID); n > 5 {
		t.Fatalf("%d failures recorded on one challenge, want at most 5", n)
	}
}

// Wrong codes sent at once on several challenges (each within its own five attempts) get no
// more than the account's ten: the lock is claimed before a code is checked, so starting more
// challenges does not buy more guesses.
func TestTwoFactorLockoutUnderConcurrency(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	a := newTFAccount(t, h, "tf-race-lock@example.com", "tf_race_lock")
	challenges := []*browser{a.challenge(t), a.challenge(t), a.challenge(t)}
	answers := race(h, 15, func(i int) handlertest.Request {
		return handlertest.Request{Method: http.MethodPost, Path: base + "/two-factor/verify-totp", Body: map[string]any{"code": "999999x"},
			Header: http.Header{"Origin": {origin}, "Cookie": {challenges[i%3].cookieHeader()}}}
	})
	checked, locked := 0, 0
	for _, r := range answers {
		switch {
		case r.Status == http.StatusUnauthorized && strings.Contains(string(r.Body), "INVALID_CODE"):
			checked++
		case r.Status == http.StatusTooManyRequests && strings.Contains(string(r.Body), "ACCOUNT_TEMPORARILY_LOCKED"):
			locked++
		default:
			t.Fatalf("unexpected answer %d %s", r.Status, r.Body)
		}
	}
	if checked != 10 || locked != 5 {
		t.Fatalf("%d codes checked and %d refused as locked, want 10 and 5", checked, locked)
	}
	if h.Count(`SELECT count(*) FROM betterauth."twoFactor" WHERE "userId" = $1 AND "lockedUntil" > now() + interval '14 minutes'`, a.userID) != 1 {
		t.Fatal("the account is not locked")
	}
}
