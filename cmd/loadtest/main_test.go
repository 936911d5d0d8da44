package main

import (
	"bytes"
	"context"
	"io"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestParseSettings(t *testing.T) {
	t.Parallel()
	env := func(kv map[string]string) func(string) string { return func(k string) string { return kv[k] } }
	for _, tc := range []struct {
		name string
		args []string
		env  map[string]string
		want settings
		err  string
	}{
		{name: "defaults", want: settings{Concurrency: 16, Duration: 20 * time.Second, Faults: true, MaxRequests: 400000, Seed: 1}},
		{name: "environment", env: map[string]string{"LOAD_CONCURRENCY": "4", "LOAD_DURATION": "3s", "LOAD_FAULTS": "off", "LOAD_MAX_REQUESTS": "100", "LOAD_SEED": "9"},
			want: settings{Concurrency: 4, Duration: 3 * time.Second, MaxRequests: 100, Seed: 9}},
		{name: "flags win", args: []string{"-concurrency", "2", "-duration", "1s", "-faults", "on"}, env: map[string]string{"LOAD_CONCURRENCY": "4", "LOAD_FAULTS": "off"},
			want: settings{Concurrency: 2, Duration: time.Second, Faults: true, MaxRequests: 400000, Seed: 1}},
		{name: "bad faults", env: map[string]string{"LOAD_FAULTS": "sometimes"}, err: "LOAD_FAULTS must be on or off"},
		{name: "unbounded duration", env: map[string]string{"LOAD_DURATION": "2h"}, err: "duration must be above 0 and at most 1h"},
		{name: "too many workers", env: map[string]string{"LOAD_CONCURRENCY": "5000"}, err: "concurrency must be 1 to 1024"},
		{name: "not a number", env: map[string]string{"LOAD_CONCURRENCY": "many"}, err: "LOAD_CONCURRENCY"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseSettings(tc.args, env(tc.env), io.Discard)
			if tc.err != "" {
				require.ErrorContains(t, err, tc.err)
				return
			}
			require.NoError(t, err)
			tc.want.Settle = 2 * time.Second
			assert.Equal(t, tc.want, got)
		})
	}
}

// TestShortRunPasses runs the whole load test briefly, faults on: every
// check must pass, and the report must carry the figures.
func TestShortRunPasses(t *testing.T) {
	if testing.Short() {
		t.Skip("load")
	}
	var out bytes.Buffer
	rep, err := run(context.Background(), settings{Concurrency: 4, Duration: 1500 * time.Millisecond, Faults: true,
		MaxRequests: 20000, Seed: 3, Settle: 300 * time.Millisecond}, &out)
	require.NoError(t, err)
	assert.Empty(t, rep.Failures, out.String())
	for _, want := range []string{"executions:", "p99 ms", "errors by type and code:", "peak RSS", "goroutines:", "heap in use:", "each exists exactly once upstream: true"} {
		assert.Contains(t, out.String(), want)
	}
}

// TestMaxRequestsBoundsTheRun: the request bound stops the workers before
// the duration. Not parallel: runs measure the process's goroutines.
func TestMaxRequestsBoundsTheRun(t *testing.T) {
	var out bytes.Buffer
	start := time.Now()
	rep, err := run(context.Background(), settings{Concurrency: 2, Duration: time.Minute, MaxRequests: 30, Seed: 4, Settle: 100 * time.Millisecond}, &out)
	require.NoError(t, err)
	assert.Empty(t, rep.Failures, out.String())
	assert.Less(t, time.Since(start), 30*time.Second)
	assert.Contains(t, out.String(), "executions: 30 ")
}
