//go:build linux

package console_test

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"
)

// TestBrowserLeavesNoProcessBehind: Chromium forks a zygote and renderers
// that outlive the browser process when only it is stopped, so every test
// run used to leave a few dozen processes on the machine (and on CI's).
// After a page's cleanup, nothing of its process group is still running.
func TestBrowserLeavesNoProcessBehind(t *testing.T) {
	var pgid int
	t.Run("a page", func(t *testing.T) {
		p := newPage(t)
		p.run(chromedp.Navigate("about:blank"))
		pgid = p.pgid()
		require.NotZero(t, pgid)
		require.Greater(t, len(running(t, pgid)), 1, "the browser runs helper processes beside its own")
	})
	require.Eventually(t, func() bool { return len(running(t, pgid)) == 0 }, 10*time.Second, 50*time.Millisecond,
		"processes of the browser's group still running after its cleanup")
}

// running lists the processes of group pgid that have not exited, from
// /proc/<pid>/stat ("pid (comm) state ppid pgrp ...", proc(5)). An exited
// process not yet reaped by its parent (state Z) holds nothing but its
// table entry and is not counted.
func running(t *testing.T, pgid int) []int {
	t.Helper()
	stats, err := filepath.Glob("/proc/[0-9]*/stat")
	require.NoError(t, err)
	var pids []int
	for _, path := range stats {
		b, err := os.ReadFile(path)
		if err != nil {
			continue // the process ended while we looked
		}
		// comm may hold spaces and parentheses: the fields after it
		// start after the last ')'.
		stat := string(b)
		fields := strings.Fields(stat[strings.LastIndexByte(stat, ')')+1:])
		if len(fields) < 3 || fields[0] == "Z" || fields[2] != strconv.Itoa(pgid) {
			continue
		}
		pid, _ := strconv.Atoi(filepath.Base(filepath.Dir(path)))
		pids = append(pids, pid)
	}
	return pids
}
