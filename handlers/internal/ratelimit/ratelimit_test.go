package ratelimit_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"gatehouse/db"
	"gatehouse/db/dbtest"
	"gatehouse/handlers/internal/keyring"
	"gatehouse/handlers/internal/ratelimit"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

// limited returns the *LimitedError of err, failing the test when err is another error or nil.
func limited(t *testing.T, err error, what string) *ratelimit.LimitedError {
	t.Helper()
	var le *ratelimit.LimitedError
	if !errors.As(err, &le) {
		t.Fatalf("%s: Check = %v, want a *LimitedError", what, err)
	}
	return le
}

func allow(t *testing.T, l *ratelimit.Limiter, rule ratelimit.Rule, subject, what string) {
	t.Helper()
	if err := l.Check(context.Background(), rule, subject); err != nil {
		t.Fatalf("%s: Check = %v, want allowed", what, err)
	}
}

func TestLimitPerSubject(t *testing.T) {
	t.Parallel()
	store := dbtest.NewStore(t)
	l := ratelimit.New(store, testRing, false)
	rule := ratelimit.Rule{Name: "sign-in", Limit: 3, Window: time.Minute}
	for i := 1; i <= rule.Limit; i++ {
		allow(t, l, rule, "alice@example.com", fmt.Sprintf("hit %d", i))
	}
	for i := 1; i <= 3; i++ {
		le := limited(t, l.Check(context.Background(), rule, "alice@example.com"), fmt.Sprintf("hit %d over", i))
		if le.Rule != rule.Name {
			t.Fatalf("LimitedError.Rule = %q, want %q", le.Rule, rule.Name)
		}
		if le.RetryAfter <= 0 || le.RetryAfter > rule.Window {
			t.Fatalf("RetryAfter = %v, want in (0, %v]", le.RetryAfter, rule.Window)
		}
		if le.RetryAfter < rule.Window-10*time.Second {
			t.Fatalf("RetryAfter = %v just after the window began, want close to %v", le.RetryAfter, rule.Window)
		}
		if !strings.Contains(le.Error(), rule.Name) {
			t.Fatalf("error %q does not name the rule", le.Error())
		}
	}
	// Other subjects and other rules count apart.
	allow(t, l, rule, "bob@example.com", "another subject")
	other := ratelimit.Rule{Name: "sign-up", Limit: 1, Window: time.Minute}
	allow(t, l, other, "alice@example.com", "another rule")
	limited(t, l.Check(context.Background(), other, "alice@example.com"), "second hit of another rule")
}

func TestRetryAfterCountsFromWindowStart(t *testing.T) {
	t.Parallel()
	store := dbtest.NewStore(t)
	l := ratelimit.New(store, testRing, false)
	rule := ratelimit.Rule{Name: "reset", Limit: 1, Window: time.Minute}
	allow(t, l, rule, "carol@example.com", "first hit")
	// The window began 50 s ago: 10 s of it are left.
	dbtest.Exec(t, store, "UPDATE core.rate_limits SET window_start = window_start - interval '50 seconds'")
	le := limited(t, l.Check(context.Background(), rule, "carol@example.com"), "second hit")
	if le.RetryAfter < 8*time.Second || le.RetryAfter > 11*time.Second {
		t.Fatalf("RetryAfter = %v, want about 10 s (the rest of the window)", le.RetryAfter)
	}
}

func TestNewWindowStartsAfterTheWindow(t *testing.T) {
	t.Parallel()
	store := dbtest.NewStore(t)
	l := ratelimit.New(store, testRing, false)
	rule := ratelimit.Rule{Name: "code", Limit: 2, Window: time.Minute}
	allow(t, l, rule, "dave@example.com", "hit 1")
	allow(t, l, rule, "dave@example.com", "hit 2")
	limited(t, l.Check(context.Background(), rule, "dave@example.com"), "hit 3")

	dbtest.Exec(t, store, "UPDATE core.rate_limits SET window_start = window_start - interval '61 seconds'")
	allow(t, l, rule, "dave@example.com", "first hit of the next window")
	allow(t, l, rule, "dave@example.com", "second hit of the next window")
	le := limited(t, l.Check(context.Background(), rule, "dave@example.com"), "third hit of the next window")
	if le.RetryAfter < rule.Window-10*time.Second || le.RetryAfter > rule.Window {
		t.Fatalf("RetryAfter = %v in a fresh window, want about %v", le.RetryAfter, rule.Window)
	}

	// With a real one-second window.
	short := ratelimit.Rule{Name: "short", Limit: 1, Window: time.Second}
	allow(t, l, short, "erin@example.com", "short hit 1")
	le = limited(t, l.Check(context.Background(), short, "erin@example.com"), "short hit 2")
	if le.RetryAfter <= 0 || le.RetryAfter > short.Window {
		t.Fatalf("RetryAfter = %v, want in (0, %v]", le.RetryAfter, short.Window)
	}
	time.Sleep(1100 * time.Millisecond)
	allow(t, l, short, "erin@example.com", "short hit after the window")
}

func TestInstancesShareOneLimit(t *testing.T) {
	t.Parallel()
	conn := dbtest.NewDB(t)
	// Two pools on one database stand for two server instances.
	a := ratelimit.New(dbtest.OpenStore(t, conn), testRing, false)
	b := ratelimit.New(dbtest.OpenStore(t, conn), testRing, false)
	rule := ratelimit.Rule{Name: "shared", Limit: 4, Window: time.Minute}
	for i, l := range []*ratelimit.Limiter{a, b, a, b} {
		allow(t, l, rule, "frank@example.com", fmt.Sprintf("hit %d", i+1))
	}
	limited(t, a.Check(context.Background(), rule, "frank@example.com"), "hit 5 on instance a")
	limited(t, b.Check(context.Background(), rule, "frank@example.com"), "hit 6 on instance b")
}

func TestInstancesShareOneLimitUnderConcurrency(t *testing.T) {
	t.Parallel()
	conn := dbtest.NewDB(t)
	stores := []*db.Store{dbtest.OpenStore(t, conn), dbtest.OpenStore(t, conn)}
	limiters := []*ratelimit.Limiter{ratelimit.New(stores[0], testRing, false), ratelimit.New(stores[1], testRing, false)}
	rule := ratelimit.Rule{Name: "burst", Limit: 7, Window: time.Minute}
	const hits = 60
	var (
		wg               sync.WaitGroup
		mu               sync.Mutex
		allowed, refused int
		other            []error
		start            = make(chan struct{})
	)
	for i := range hits {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			err := limiters[i%2].Check(context.Background(), rule, "grace@example.com")
			var le *ratelimit.LimitedError
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				allowed++
			case errors.As(err, &le):
				refused++
			default:
				other = append(other, err)
			}
		}()
	}
	close(start)
	wg.Wait()
	if len(other) > 0 {
		t.Fatalf("concurrent checks failed: %v", other)
	}
	if allowed != rule.Limit || refused != hits-rule.Limit {
		t.Fatalf("%d allowed and %d refused of %d concurrent hits, want exactly %d allowed", allowed, refused, hits, rule.Limit)
	}
	if n := dbtest.Count(t, stores[0], "SELECT count(*) FROM core.rate_limits"); n != 1 {
		t.Fatalf("%d counters for one subject and rule, want 1", n)
	}
}

func TestDisabledAndZeroLimitAllowEverything(t *testing.T) {
	t.Parallel()
	store := dbtest.NewStore(t)
	rule := ratelimit.Rule{Name: "strict", Limit: 1, Window: time.Hour}
	off := ratelimit.New(store, testRing, true)
	for i := range 10 {
		allow(t, off, rule, "henry@example.com", fmt.Sprintf("disabled limiter, hit %d", i+1))
	}
	on := ratelimit.New(store, testRing, false)
	zero := ratelimit.Rule{Name: "zero", Limit: 0, Window: time.Hour}
	for i := range 10 {
		allow(t, on, zero, "henry@example.com", fmt.Sprintf("zero limit, hit %d", i+1))
	}
	var none *ratelimit.Limiter
	allow(t, none, rule, "henry@example.com", "nil limiter")
	if n := dbtest.Count(t, store, "SELECT count(*) FROM core.rate_limits"); n != 0 {
		t.Fatalf("%d counters written by limits that are off", n)
	}
	// The same rule on an enabled limiter does limit: the allowances above come from the switch.
	allow(t, on, rule, "henry@example.com", "enabled, hit 1")
	limited(t, on.Check(context.Background(), rule, "henry@example.com"), "enabled, hit 2")
}

func TestSubjectsAreStoredHashed(t *testing.T) {
	t.Parallel()
	store := dbtest.NewStore(t)
	l := ratelimit.New(store, testRing, false)
	rule := ratelimit.Rule{Name: "privacy", Limit: 5, Window: time.Minute}
	subjects := []string{"Ivy.Secret@Example.com", "203.0.113.77"}
	for _, s := range subjects {
		allow(t, l, rule, s, s)
	}
	rows, err := store.Pool().Query(context.Background(), "SELECT key FROM core.rate_limits")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var keys []string
	for rows.Next() {
		var k string
		if err := rows.Scan(&k); err != nil {
			t.Fatal(err)
		}
		keys = append(keys, k)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if len(keys) != len(subjects) {
		t.Fatalf("%d counters for %d subjects", len(keys), len(subjects))
	}
	for _, k := range keys {
		lower := strings.ToLower(k)
		for _, s := range subjects {
			for _, part := range []string{s, strings.ToLower(s), "ivy", "secret", "example", "203.0.113"} {
				if strings.Contains(lower, strings.ToLower(part)) {
					t.Fatalf("key %q holds %q of subject %q", k, part, s)
				}
			}
		}
	}
}

func TestSweepRemovesOldWindows(t *testing.T) {
	t.Parallel()
	store := dbtest.NewStore(t)
	l := ratelimit.New(store, testRing, false)
	rule := ratelimit.Rule{Name: "sweep", Limit: 1, Window: time.Minute}
	allow(t, l, rule, "old@example.com", "old subject")
	allow(t, l, rule, "new@example.com", "new subject")
	limited(t, l.Check(context.Background(), rule, "new@example.com"), "new subject over")
	limited(t, l.Check(context.Background(), rule, "old@example.com"), "old subject over")
	// The old subject's window, the first one opened, began two hours ago.
	dbtest.Exec(t, store, `UPDATE core.rate_limits SET window_start = now() - interval '2 hours'
		WHERE key = (SELECT key FROM core.rate_limits ORDER BY window_start LIMIT 1)`)

	n, err := l.Sweep(context.Background(), time.Hour)
	if err != nil {
		t.Fatalf("Sweep: %v", err)
	}
	if n != 1 {
		t.Fatalf("Sweep removed %d counters, want the 1 old one", n)
	}
	if left := dbtest.Count(t, store, "SELECT count(*) FROM core.rate_limits WHERE window_start > now() - interval '1 hour'"); left != 1 {
		t.Fatalf("%d recent counters left, want 1", left)
	}
	// The fresh window survives the sweep: its subject stays limited.
	limited(t, l.Check(context.Background(), rule, "new@example.com"), "new subject after the sweep")
	// A second sweep finds nothing.
	if n, err := l.Sweep(context.Background(), time.Hour); err != nil || n != 0 {
		t.Fatalf("second Sweep = %d, %v; want 0", n, err)
	}
}

// testRing is the keyring every limiter of these tests shares, as instances share SECRET.
var testRing = func() *keyring.Keyring {
	r, err := keyring.New([]byte("0123456789abcdef0123456789abcdef"))
	if err != nil {
		panic(err)
	}
	return r
}()
