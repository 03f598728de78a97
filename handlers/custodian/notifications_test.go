package custodian_test

import (
	"net/http"
	"testing"
)

type settings struct {
	Enabled, Alerts, Updates, Reminders, Newsletters, Marketing bool
}

func TestNotificationSettingsDefaultAndUpdate(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	_, tok := signUp(t, h, "pam@example.com")
	defaults := settings{Enabled: true, Alerts: true, Updates: true, Reminders: true}
	for _, ch := range []string{"app-push", "email"} {
		var s settings
		get(h, "/me/notification-settings/"+ch, tok).Decode(t, &s)
		if s != defaults {
			t.Fatalf("%s defaults %+v", ch, s)
		}
	}
	var s settings
	resp := send(h, http.MethodPut, "/me/notification-settings/email", tok, map[string]any{"marketing": true, "alerts": false})
	if resp.Status != http.StatusOK {
		t.Fatalf("put: %d %s", resp.Status, resp.Body)
	}
	resp.Decode(t, &s)
	want := settings{Enabled: true, Updates: true, Reminders: true, Marketing: true}
	if s != want {
		t.Fatalf("after put %+v, want %+v", s, want)
	}
	send(h, http.MethodPut, "/me/notification-settings/email", tok, map[string]any{"enabled": false}).Decode(t, &s)
	want.Enabled = false
	if s != want {
		t.Fatalf("second put %+v, want %+v", s, want)
	}
	get(h, "/me/notification-settings/email", tok).Decode(t, &s)
	if s != want {
		t.Fatalf("read back %+v", s)
	}
	get(h, "/me/notification-settings/app-push", tok).Decode(t, &s)
	if s != defaults {
		t.Fatalf("the other channel changed: %+v", s)
	}
}

func TestNotificationSettingsRefuseBadInput(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	_, tok := signUp(t, h, "quin@example.com")
	for _, ch := range []string{"sms", "EMAIL", "push"} {
		msg := wantError(t, get(h, "/me/notification-settings/"+ch, tok), http.StatusBadRequest, "INVALID_CHANNEL")
		wantMessage(t, msg, "Invalid notification channel")
		wantError(t, send(h, http.MethodPut, "/me/notification-settings/"+ch, tok, map[string]any{"enabled": true}), http.StatusBadRequest, "INVALID_CHANNEL")
	}
	for _, body := range []any{map[string]any{"enabled": "yes"}, map[string]any{"sms": true}, "[", []any{}} {
		wantError(t, send(h, http.MethodPut, "/me/notification-settings/email", tok, body), http.StatusBadRequest, "BAD_REQUEST")
	}
	wantError(t, get(h, "/me/notification-settings/email", ""), http.StatusUnauthorized, "UNAUTHORIZED")
	if n := h.Count(`SELECT count(*) FROM custodian.notification_settings`); n != 0 {
		t.Fatal("bad input stored settings")
	}
}
