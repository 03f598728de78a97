package handlers

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"

	"gatehouse/handlers/internal/bacookie"
	"gatehouse/handlers/internal/baflow"
	"gatehouse/handlers/internal/keyring"
	"gatehouse/handlers/internal/mail"
	"gatehouse/handlers/internal/oauth"
	"gatehouse/handlers/internal/password"
	"gatehouse/handlers/internal/ratelimit"
)

// setUpBetterAuth builds the Better Auth flows: its secret (BETTERAUTH_SECRET, else derived
// from SECRET), cookie jar, rate limiter, password hasher and OAuth providers.
func (a *App) setUpBetterAuth(ctx context.Context, ring *keyring.Keyring, outbox *mail.Outbox) error {
	c := a.cfg.BetterAuth
	secret := c.Secret
	if secret == "" {
		secret = hex.EncodeToString(ring.Key("betterauth-secret"))
	}
	providers := map[string]*oauth.Provider{}
	for _, pc := range c.Providers {
		p, err := oauth.New(ctx, nil, pc)
		if errors.Is(err, oauth.ErrDiscovery) && p != nil {
			// The provider may be down right now: keep it, discovery is retried on use.
			a.logger.Warn("oauth discovery failed; retried on use", "provider", pc.ID, "err", err)
		} else if err != nil {
			return fmt.Errorf("betterauth: provider %s: %w", pc.ID, err)
		}
		providers[pc.ID] = p
	}
	flows, err := baflow.New(a.store, outbox, password.New(c.PasswordHash), ring, baflow.Config{
		BaseURL: a.cfg.BaseURL, Secret: secret, ExpiresIn: c.ExpiresIn, UpdateAge: c.UpdateAge,
		RequireEmailVerification: c.RequireEmailVerification, AdminEmails: c.AdminEmails,
		TrustedOrigins: c.TrustedOrigins, Providers: providers,
		PasskeyRPID: c.PasskeyRPID, PasskeyOrigins: c.PasskeyOrigins, APIKeyRateLimitOff: c.APIKeyRateLimitOff,
	})
	if err != nil {
		return err
	}
	a.BetterAuth = flows
	a.baJar = bacookie.New(secret, strings.HasPrefix(a.cfg.BaseURL, "https://"), c.ExpiresIn)
	if !c.RateLimitOff && !a.cfg.RateLimitDisabled {
		a.baLimiter = ratelimit.New(a.store, ring, false)
	}
	return nil
}
