package token

import (
	"fmt"
	"testing"
	"time"

	"github.com/google/uuid"
)

func TestVerifiedCache(t *testing.T) {
	t.Parallel()
	now := time.Now()
	c := newVerifiedCache(10)
	claims := Claims{Subject: "u", SessionID: uuid.New(), Audience: "emailcode", ExpiresAt: now.Add(time.Minute)}
	c.put("tok", claims)
	if got, ok := c.get("tok", "emailcode", now); !ok || got != claims {
		t.Fatalf("get = %+v, %v", got, ok)
	}
	if _, ok := c.get("tok", "other", now); ok {
		t.Fatal("a token verified for one audience was accepted for another")
	}
	if _, ok := c.get("tok", "emailcode", now.Add(2*time.Minute)); ok {
		t.Fatal("an expired token came out of the cache")
	}
	for i := range 100 {
		c.put(fmt.Sprint(i), claims)
	}
	if n := len(c.entries); n > 10 {
		t.Fatalf("%d entries, bound is 10", n)
	}
}
