package main

import (
	"runtime/debug"
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestTuneGC is not parallel: serve calls tuneGC too.
func TestTuneGC(t *testing.T) {
	prev := debug.SetGCPercent(100)
	defer debug.SetGCPercent(prev)
	tuneGC(env(map[string]string{"GOGC": "50"}))
	assert.Equal(t, 100, debug.SetGCPercent(100), "GOGC set: left to the runtime")
	tuneGC(env(nil))
	assert.Equal(t, defaultGCPercent, debug.SetGCPercent(100), "GOGC unset: the connector's default")

	prevLimit := debug.SetMemoryLimit(-1)
	defer debug.SetMemoryLimit(prevLimit)
	tuneGC(env(map[string]string{memoryLimitEnv: "268435456"}))
	assert.Equal(t, int64(192<<20), debug.SetMemoryLimit(-1), "3/4 of a 256 MiB container")
	debug.SetMemoryLimit(prevLimit)
	tuneGC(env(map[string]string{memoryLimitEnv: "268435456", "GOMEMLIMIT": "100MiB"}))
	assert.Equal(t, prevLimit, debug.SetMemoryLimit(-1), "GOMEMLIMIT set: left to the runtime")
}
