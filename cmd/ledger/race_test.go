//go:build race

package main

// raceEnabled makes the end-to-end test build the binary with -race too, so
// it reuses the packages the test binary was compiled with.
const raceEnabled = true
