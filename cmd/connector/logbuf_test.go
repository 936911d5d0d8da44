package main

import (
	"bytes"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// syncBuffer is an output that counts writes.
type syncBuffer struct {
	mu     sync.Mutex
	b      bytes.Buffer
	writes int
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.writes++
	return s.b.Write(p)
}

func (s *syncBuffer) snapshot() (string, int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String(), s.writes
}

func TestLineBufferBatchesInfoLines(t *testing.T) {
	out := &syncBuffer{}
	b := newLineBuffer(out, 1024, 50*time.Millisecond)
	log := zerolog.New(b)
	for i := range 5 {
		log.Info().Int("n", i).Msg("request")
	}
	text, writes := out.snapshot()
	assert.Empty(t, text, "info lines wait")
	assert.Zero(t, writes)
	require.Eventually(t, func() bool { text, _ := out.snapshot(); return strings.Count(text, "\n") == 5 },
		2*time.Second, 10*time.Millisecond, "flushed after the delay")
	_, writes = out.snapshot()
	assert.Equal(t, 1, writes, "five lines, one write")
}

func TestLineBufferWritesWarningsAtOnce(t *testing.T) {
	out := &syncBuffer{}
	b := newLineBuffer(out, 1024, time.Hour)
	log := zerolog.New(b)
	log.Info().Msg("first")
	log.Warn().Msg("second")
	text, writes := out.snapshot()
	assert.Equal(t, 1, writes)
	require.Equal(t, 2, strings.Count(text, "\n"))
	assert.Less(t, strings.Index(text, "first"), strings.Index(text, "second"), "order kept")
	log.Error().Msg("third")
	text, _ = out.snapshot()
	assert.Contains(t, text, "third")
}

func TestLineBufferFullAndLargeAndClose(t *testing.T) {
	out := &syncBuffer{}
	b := newLineBuffer(out, 64, time.Hour)
	line := []byte(strings.Repeat("a", 39) + "\n") // 40 bytes
	_, err := b.Write(line)
	require.NoError(t, err)
	_, err = b.Write(line) // would exceed 64: the first is written out first
	require.NoError(t, err)
	text, writes := out.snapshot()
	assert.Equal(t, string(line), text)
	assert.Equal(t, 1, writes)

	big := []byte(strings.Repeat("b", 99) + "\n")
	_, err = b.Write(big)
	require.NoError(t, err)
	text, _ = out.snapshot()
	assert.Equal(t, string(line)+string(line)+string(big), text, "a line larger than the buffer goes straight out, after the buffered one")

	_, err = b.Write(line)
	require.NoError(t, err)
	require.NoError(t, b.Close())
	text, _ = out.snapshot()
	assert.Equal(t, 4, strings.Count(text, "\n"), "Close writes what is left")
}
