package main

import "runtime/debug"

// defaultGCPercent is the connector's GOGC when the environment sets none.
// Its live heap is small (a few MB), so Go's default of 100 collects every
// few MB allocated, while one large list execution allocates about half a
// megabyte: make bench measured about 10 to 25% more listCustomers
// throughput at concurrency 8 with 400 than with 100, for 10 to 20 MB more
// peak RSS (docs/BENCHMARKS.md). GOGC, and GOMEMLIMIT in a container with a
// memory limit, still decide when set.
const defaultGCPercent = 400

// tuneGC applies defaultGCPercent unless GOGC is set.
func tuneGC(getenv func(string) string) {
	if getenv("GOGC") == "" {
		debug.SetGCPercent(defaultGCPercent)
	}
}
