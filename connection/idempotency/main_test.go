package idempotency_test

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package's tests when a goroutine outlives them (HTTP
// servers, client connections, emulators): cleanups must close what they
// start.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
