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
}
