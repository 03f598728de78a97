package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"
)

// Report is everything one bench run prints.
type Report struct {
	Machine Machine  `json:"machine"`
	Load    LoadJSON `json:"load"`
	URL     string   `json:"url"`
	Results []Result `json:"results"`
	// ServerPeakRSS is the server process's VmHWM in bytes, read just before
	// it is stopped; nil when the bench did not start the server.
	ServerPeakRSS *int64 `json:"server_peak_rss_bytes"`
}

// Machine describes where the figures were measured.
type Machine struct {
	CPUs      int    `json:"nproc"`
	CPUModel  string `json:"cpu_model"`
	GoVersion string `json:"go_version"`
	OSArch    string `json:"os_arch"`
}

// LoadJSON is Load with durations in seconds.
type LoadJSON struct {
	Concurrency     int     `json:"concurrency"`
	WarmupSeconds   float64 `json:"warmup_seconds"`
	DurationSeconds float64 `json:"duration_seconds"`
}

// loadJSON converts l for the JSON report.
func loadJSON(l Load) LoadJSON {
	return LoadJSON{l.Concurrency, l.Warmup.Seconds(), l.Duration.Seconds()}
}

// describeMachine reads the CPU count (as nproc counts them), the CPU model
// and the Go version of this build.
func describeMachine() Machine {
	m := Machine{
		CPUs:      runtime.NumCPU(),
		CPUModel:  "unknown",
		GoVersion: runtime.Version(),
		OSArch:    runtime.GOOS + "/" + runtime.GOARCH,
	}
	if f, err := os.Open("/proc/cpuinfo"); err == nil {
		defer f.Close()
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if k, v, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(k) == "model name" {
				m.CPUModel = strings.TrimSpace(v)
				break
			}
		}
	}
	return m
}

// writeJSON prints rep as indented JSON.
func (rep Report) writeJSON(w io.Writer) {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(rep)
}

// writeTable prints the results as an aligned table followed by the load,
// the server's peak memory and the machine.
func (rep Report) writeTable(w io.Writer) {
	nameWidth := len("scenario")
	for _, r := range rep.Results {
		nameWidth = max(nameWidth, len(r.Name))
	}
	row := func(name, reqs, rps, p50, p99, bad string) {
		fmt.Fprintf(w, "%-*s %9s %9s %9s %9s  %s\n", nameWidth, name, reqs, rps, p50, p99, bad)
	}
	row("scenario", "requests", "req/s", "p50", "p99", "non-expected")
	for _, r := range rep.Results {
		if r.SetupError != "" {
			row(r.Name, "-", "-", "-", "-", "SETUP FAILED")
			continue
		}
		bad := fmt.Sprint(r.Failed)
		if r.Failing() {
			bad += " FAIL"
		}
		row(r.Name, fmt.Sprint(r.Requests), fmt.Sprintf("%.0f", r.RPS),
			fmt.Sprintf("%.2fms", r.P50Ms), fmt.Sprintf("%.2fms", r.P99Ms), bad)
	}
	fmt.Fprintf(w, "\nload: %d workers, %gs measured after %gs warm-up per scenario, %s\n",
		rep.Load.Concurrency, rep.Load.DurationSeconds, rep.Load.WarmupSeconds, rep.URL)
	if rep.ServerPeakRSS != nil {
		fmt.Fprintf(w, "server peak RSS (VmHWM, server process only): %.1f MiB\n", float64(*rep.ServerPeakRSS)/(1<<20))
	}
	fmt.Fprintf(w, "machine: %d CPUs, %s, %s %s (load generator and server share them)\n",
		rep.Machine.CPUs, rep.Machine.CPUModel, rep.Machine.GoVersion, rep.Machine.OSArch)
}

// reportFailures writes a loud note for every failing scenario and reports
// whether there was any.
func (rep Report) reportFailures(w io.Writer) bool {
	failed := false
	for _, r := range rep.Results {
		if !r.Failing() {
			continue
		}
		failed = true
		switch {
		case r.SetupError != "":
			fmt.Fprintf(w, "\n!!! FAIL %s: setup: %s\n", r.Name, r.SetupError)
		case r.Requests == 0:
			fmt.Fprintf(w, "\n!!! FAIL %s: no request completed\n", r.Name)
		default:
			fmt.Fprintf(w, "\n!!! FAIL %s: %d of %d responses (%.1f%%) were not %d; statuses %v; e.g. %s\n",
				r.Name, r.Failed, r.Requests, 100*float64(r.Failed)/float64(r.Requests), r.Expect,
				r.Statuses, strings.Join(r.Errors, " | "))
		}
	}
	return failed
}
