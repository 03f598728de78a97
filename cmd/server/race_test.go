//go:build race

package main

// The tests run with -race: build the server under test with it too, so that data races in the
// real server under end-to-end traffic fail the tests.
func init() { raceEnabled = true }
