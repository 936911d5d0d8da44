package main

import (
	"runtime/debug"
	"strconv"
)

// defaultGCPercent is the connector's GOGC when the environment sets none.
// Its live heap is small (a few MB), so Go's default of 100 collects every
// few MB allocated, while one large list execution allocates about half a
// megabyte: make bench measured about 10 to 25% more listCustomers
// throughput at concurrency 8 with 400 than with 100, for 10 to 20 MB more
// peak RSS (docs/BENCHMARKS.md). GOGC, and GOMEMLIMIT in a container with a
// memory limit, still decide when set.
const defaultGCPercent = 400

// memoryLimitEnv names the container's memory limit in bytes (the
// Deployment sets it from limits.memory); the Go runtime's soft limit is
// then memoryLimitShare of it, leaving room for what the runtime does not
// count (stacks of idle goroutines are counted; the binary, kernel buffers
// and fragmentation are not), so the GC works hard well before the kernel
// would kill the pod.
const memoryLimitEnv = "CONNECTOR_MEMORY_LIMIT"

// memoryLimitShare is the part of the container's limit given to the Go
// runtime as its soft limit.
const memoryLimitShare = 0.75

// tuneGC applies defaultGCPercent unless GOGC is set, and a soft memory
// limit below the container's unless GOMEMLIMIT is set.
func tuneGC(getenv func(string) string) {
	if getenv("GOGC") == "" {
		debug.SetGCPercent(defaultGCPercent)
	}
	if getenv("GOMEMLIMIT") == "" {
		if limit, err := strconv.ParseInt(getenv(memoryLimitEnv), 10, 64); err == nil && limit > 0 {
			debug.SetMemoryLimit(int64(float64(limit) * memoryLimitShare))
		}
	}
}
