// Command bench measures the server's throughput and latency under a fixed
// concurrency, one scenario at a time, and reports the server's peak memory.
//
// It starts the server binary itself (-server, with a fresh embedded database
// in a temporary folder) or drives one already running (-url):
//
//	go build -o bin/server ./cmd/server && go run ./cmd/bench -server bin/server
//	go run ./cmd/bench -url http://127.0.0.1:8080 -scenarios healthz -duration 3s
//
// Each scenario runs -concurrency closed-loop workers (no rate limit) for
// -warmup, uncounted, then for -duration. A scenario in which more than 1% of
// responses do not have the expected status is reported as failing, and the
// command then exits with status 1. Load generator and server share the
// machine's cores, so compare figures measured in one run, not across
// machines.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"
)

func main() {
	os.Exit(run())
}

// run parses the flags, runs the selected scenarios and returns the exit
// status: 0 if all passed, 1 if any failed, 2 on a usage or start-up error.
func run() int {
	serverPath := flag.String("server", "", "server binary to start on a fresh temporary database")
	baseURL := flag.String("url", "", "base URL of an already running server (instead of -server)")
	duration := flag.Duration("duration", 10*time.Second, "measured time per scenario")
	warmup := flag.Duration("warmup", 2*time.Second, "uncounted warm-up per scenario")
	concurrency := flag.Int("concurrency", 32, "concurrent closed-loop workers")
	filter := flag.String("scenarios", "", "comma-separated substrings; run the scenarios whose name contains any (default all)")
	asJSON := flag.Bool("json", false, "print the results as JSON instead of a table")
	list := flag.Bool("list", false, "list the scenario names and exit")
	flag.Parse()

	if *list {
		for _, sc := range scenarios {
			fmt.Println(sc.Name)
		}
		return 0
	}
	if (*serverPath == "") == (*baseURL == "") {
		fmt.Fprintln(os.Stderr, "bench: give exactly one of -server or -url")
		return 2
	}
	if *concurrency < 1 || *duration <= 0 || *warmup < 0 {
		fmt.Fprintln(os.Stderr, "bench: need -concurrency >= 1, -duration > 0, -warmup >= 0")
		return 2
	}
	selected := selectScenarios(*filter)
	if len(selected) == 0 {
		fmt.Fprintf(os.Stderr, "bench: no scenario matches %q (see -list)\n", *filter)
		return 2
	}

	ctx, stopSignals := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stopSignals()

	var srv *server
	if *serverPath != "" {
		var err error
		fmt.Fprintf(os.Stderr, "bench: starting %s\n", *serverPath)
		if srv, err = startServer(ctx, *serverPath); err != nil {
			fmt.Fprintf(os.Stderr, "bench: %v\n", err)
			return 2
		}
		*baseURL = srv.baseURL
	}
	*baseURL = strings.TrimRight(*baseURL, "/")

	load := Load{Concurrency: *concurrency, Warmup: *warmup, Duration: *duration}
	rep := Report{Machine: describeMachine(), Load: loadJSON(load), URL: *baseURL}
	client := newClient(*concurrency)
	for _, sc := range selected {
		if ctx.Err() != nil {
			break
		}
		fmt.Fprintf(os.Stderr, "bench: %s ...\n", sc.Name)
		rep.Results = append(rep.Results, runScenario(ctx, client, *baseURL, sc, load))
	}
	client.CloseIdleConnections()

	var stopErr error
	if srv != nil {
		if rss, err := srv.peakRSS(); err != nil {
			fmt.Fprintf(os.Stderr, "bench: server peak RSS: %v\n", err)
		} else {
			rep.ServerPeakRSS = &rss
		}
		stopErr = srv.stop()
	}
	if ctx.Err() != nil {
		stopErr = errors.Join(stopErr, errors.New("interrupted"))
	}

	if *asJSON {
		rep.writeJSON(os.Stdout)
	} else {
		rep.writeTable(os.Stdout)
	}
	failed := rep.reportFailures(os.Stderr)
	if stopErr != nil {
		fmt.Fprintf(os.Stderr, "bench: %v\n", stopErr)
		failed = true
	}
	if failed {
		return 1
	}
	return 0
}

// selectScenarios returns the scenarios whose name contains any of the
// comma-separated substrings in filter, or all of them if filter is empty.
func selectScenarios(filter string) []Scenario {
	if strings.TrimSpace(filter) == "" {
		return scenarios
	}
	var out []Scenario
	for _, sc := range scenarios {
		for _, part := range strings.Split(filter, ",") {
			if part = strings.TrimSpace(part); part != "" && strings.Contains(sc.Name, part) {
				out = append(out, sc)
				break
			}
		}
	}
	return out
}

// newClient returns the HTTP client shared by setup and load: keep-alive
// connections enough for every worker, no proxy, no redirects followed.
func newClient(concurrency int) *http.Client {
	return &http.Client{
		Timeout: 10 * time.Second,
		Transport: &http.Transport{
			DialContext:         (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
			MaxIdleConns:        concurrency,
			MaxIdleConnsPerHost: concurrency,
			IdleConnTimeout:     90 * time.Second,
		},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}
