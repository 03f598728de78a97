package main

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"slices"
	"strconv"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// maxFailRate is the share of unexpected responses above which a scenario fails.
const maxFailRate = 0.01

// Load is how hard and how long each scenario is driven.
type Load struct {
	// Concurrency is the number of workers, each sending its next request as
	// soon as the previous one is answered (a closed loop: no rate limit).
	Concurrency int
	// Warmup is sent first and not counted.
	Warmup time.Duration
	// Duration is the measured period.
	Duration time.Duration
}

// Result is the measured outcome of one scenario.
type Result struct {
	Name       string         `json:"name"`
	Requests   int            `json:"requests"`
	Seconds    float64        `json:"seconds"`
	RPS        float64        `json:"requests_per_second"`
	P50Ms      float64        `json:"p50_ms"`
	P99Ms      float64        `json:"p99_ms"`
	Expect     int            `json:"expect_status"`
	Failed     int            `json:"failed"`
	Statuses   map[string]int `json:"statuses"`
	Errors     []string       `json:"errors,omitempty"`
	SetupError string         `json:"setup_error,omitempty"`
}

// Failing reports whether the scenario could not run or more than maxFailRate
// of its responses were not the expected status.
func (r Result) Failing() bool {
	return r.SetupError != "" || r.Requests == 0 || float64(r.Failed) > maxFailRate*float64(r.Requests)
}

// runScenario sets sc up, warms it up and measures it. client is shared by all
// phases so that the measured period reuses the warm-up's connections.
func runScenario(ctx context.Context, client *http.Client, baseURL string, sc Scenario, load Load) Result {
	res := Result{Name: sc.Name, Expect: sc.Expect, Statuses: map[string]int{}}
	setupCtx, cancel := context.WithTimeout(ctx, 30*time.Second)
	tr, err := sc.Setup(setupCtx, client, baseURL)
	cancel()
	if err != nil {
		res.SetupError = err.Error()
		return res
	}
	if load.Warmup > 0 {
		attack(ctx, client, tr, load.Concurrency, load.Warmup, sc.Name, func(*vegeta.Result) {})
	}

	var latencies []time.Duration
	seenErr := map[string]bool{}
	elapsed := attack(ctx, client, tr, load.Concurrency, load.Duration, sc.Name, func(r *vegeta.Result) {
		latencies = append(latencies, r.Latency)
		res.Statuses[strconv.Itoa(int(r.Code))]++
		if int(r.Code) == sc.Expect && r.Error == "" {
			return
		}
		res.Failed++
		msg := r.Error
		if msg == "" {
			msg = fmt.Sprintf("status %d", r.Code)
		}
		if !seenErr[msg] && len(res.Errors) < 5 {
			seenErr[msg] = true
			res.Errors = append(res.Errors, msg)
		}
	})

	res.Requests = len(latencies)
	res.Seconds = elapsed.Seconds()
	if res.Seconds > 0 {
		res.RPS = float64(res.Requests) / res.Seconds
	}
	slices.Sort(latencies)
	res.P50Ms = ms(quantile(latencies, 0.50))
	res.P99Ms = ms(quantile(latencies, 0.99))
	return res
}

// attack drives tr with concurrency closed-loop workers for du (or until ctx
// ends), hands every result to add, and returns the time until the last
// response. vegeta's attacker stops itself after one attack, so each call
// makes a new one over the shared client.
func attack(ctx context.Context, client *http.Client, tr vegeta.Targeter, concurrency int, du time.Duration, name string, add func(*vegeta.Result)) time.Duration {
	atk := vegeta.NewAttacker(
		vegeta.Client(client),
		vegeta.Workers(uint64(concurrency)),
		vegeta.MaxWorkers(uint64(concurrency)),
		vegeta.MaxBody(0), // read and discard bodies; only statuses matter
	)
	stop := context.AfterFunc(ctx, func() { atk.Stop() })
	defer stop()
	start := time.Now()
	// A zero rate means "as fast as the workers can go".
	for r := range atk.Attack(tr, vegeta.Rate{}, du, name) {
		add(r)
	}
	return time.Since(start)
}

// quantile returns the nearest-rank q-quantile of sorted, or 0 if it is empty.
func quantile(sorted []time.Duration, q float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(math.Ceil(q*float64(len(sorted)))) - 1
	return sorted[max(i, 0)]
}

// ms converts d to fractional milliseconds.
func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
