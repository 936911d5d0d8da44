package modules

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/profitwell-connector/connector/connection/profitwell"
	"github.com/profitwell-connector/connector/connection/profitwell/profitwelltest"
	"github.com/profitwell-connector/connector/manifest"
)

// sandbox is the default registry wired to a fresh emulator.
type sandbox struct {
	t      *testing.T
	reg    *Registry
	client *profitwell.Client
	emu    *profitwelltest.Emulator
	token  profitwell.Token
	now    func() time.Time // the modules' clock; nil means time.Now
}

func newSandbox(t *testing.T) *sandbox {
	t.Helper()
	srv := profitwelltest.NewTestServer(t, profitwelltest.Options{Seed: 42})
	return sandboxAt(t, srv.URL, srv.Emulator, nil)
}

// sandboxAt is a sandbox whose client calls url (the emulator, or a handler
// in front of it) with the emulator's token; a nil reg means the default
// registry.
func sandboxAt(t *testing.T, url string, emu *profitwelltest.Emulator, reg *Registry) *sandbox {
	t.Helper()
	client, err := profitwell.New(profitwell.Config{BaseURL: url, Rate: 1000, Burst: 1000})
	require.NoError(t, err)
	t.Cleanup(client.Close)
	if reg == nil {
		reg, err = Default(Options{})
		require.NoError(t, err)
	}
	return &sandbox{t: t, reg: reg, client: client, emu: emu, token: profitwell.NewToken(profitwelltest.DefaultToken)}
}

// run executes a module and returns its output and the upstream request count.
func (s *sandbox) run(module string, params map[string]any, cursor ...string) (Output, int, error) {
	s.t.Helper()
	session := s.client.Session(s.token)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req := Request{Module: module, TokenHash: s.token.Hash(), Parameters: params}
	if len(cursor) > 0 {
		req.Cursor = cursor[0]
	}
	now := s.now
	if now == nil {
		now = time.Now
	}
	out, err := s.reg.Execute(ctx, Env{PW: session, Now: now}, req)
	return out, session.Requests(), err
}

// mustRun executes a module that must succeed.
func (s *sandbox) mustRun(module string, params map[string]any, cursor ...string) (Output, int) {
	s.t.Helper()
	out, n, err := s.run(module, params, cursor...)
	require.NoError(s.t, err)
	return out, n
}

func (s *sandbox) rpc(name string, params map[string]any) RPCResult {
	s.t.Helper()
	res, err := s.reg.CallRPC(context.Background(), Env{PW: s.client.Session(s.token), Now: time.Now},
		RPCCall{Name: name, TokenHash: s.token.Hash(), Parameters: params})
	require.NoError(s.t, err)
	return res
}

// fieldProblems returns the problems of a validation error by field name.
func fieldProblems(t *testing.T, err error) map[string]string {
	t.Helper()
	var verr *manifest.ValidationError
	require.ErrorAs(t, err, &verr)
	out := map[string]string{}
	for _, p := range verr.Problems {
		out[p.Name] = p.Message
	}
	return out
}

// pwKind returns the kind of a ProfitWell error.
func pwKind(t *testing.T, err error) profitwell.Kind {
	t.Helper()
	var pw *profitwell.Error
	require.ErrorAs(t, err, &pw)
	return pw.Kind
}
