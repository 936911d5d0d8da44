package main

import (
	"io"
	"sync"
	"time"

	"github.com/rs/zerolog"
)

// lineBuffer batches JSON log lines before they reach the output. zerolog
// writes each line with one Write; unbuffered, a busy server makes one write
// system call per request for its access log (on Kubernetes, to a pipe read
// by the container runtime). Lines wait at most flushDelay, a full buffer is
// written at once, and a line at warn level or above is written before
// WriteLevel returns, with everything before it. Close writes what is left.
// A process killed outright loses at most flushDelay of info lines.
type lineBuffer struct {
	mu    sync.Mutex
	out   io.Writer
	buf   []byte
	size  int
	delay time.Duration
	timer *time.Timer
	armed bool
}

const (
	logBufferSize = 32 << 10
	logFlushDelay = 100 * time.Millisecond
)

func newLineBuffer(out io.Writer, size int, delay time.Duration) *lineBuffer {
	b := &lineBuffer{out: out, buf: make([]byte, 0, size), size: size, delay: delay}
	b.timer = time.AfterFunc(time.Hour, func() { _ = b.Flush() })
	b.timer.Stop()
	return b
}

// Write buffers a line of unknown level.
func (b *lineBuffer) Write(p []byte) (int, error) { return b.WriteLevel(zerolog.NoLevel, p) }

// WriteLevel buffers a line; warnings and errors are written at once.
func (b *lineBuffer) WriteLevel(level zerolog.Level, p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.buf)+len(p) > b.size {
		if err := b.flushLocked(); err != nil {
			return 0, err
		}
	}
	if len(p) > b.size {
		return b.out.Write(p)
	}
	b.buf = append(b.buf, p...)
	if level >= zerolog.WarnLevel && level <= zerolog.PanicLevel {
		return len(p), b.flushLocked()
	}
	if !b.armed {
		b.armed = true
		b.timer.Reset(b.delay)
	}
	return len(p), nil
}

// Flush writes the buffered lines.
func (b *lineBuffer) Flush() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.flushLocked()
}

func (b *lineBuffer) flushLocked() error {
	if b.armed {
		b.timer.Stop()
		b.armed = false
	}
	if len(b.buf) == 0 {
		return nil
	}
	_, err := b.out.Write(b.buf)
	b.buf = b.buf[:0]
	return err
}

// Close writes what is left and stops the timer.
func (b *lineBuffer) Close() error { return b.Flush() }
