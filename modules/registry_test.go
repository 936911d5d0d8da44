package modules

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/profitwell-connector/connector/manifest"
)

type echoParams struct {
	Name string `param:"name"`
}

func echoSpec(name string) manifest.ModuleSpec {
	return manifest.ModuleSpec{
		Name: name, Label: "Echo", Description: "Echoes.", Group: "Test", Kind: manifest.KindAction,
		Expect: []manifest.Field{
			{Name: "name", Label: "Name", Help: "A name.", Type: manifest.TypeSelect, OptionsRPC: "names", Required: true},
		},
		Interface: []manifest.Field{{Name: "name", Label: "Name", Type: manifest.TypeText}},
		Samples:   map[string]any{"name": "x"},
	}
}

func echoAction(name string, invalidates ...string) *Action[echoParams] {
	return &Action[echoParams]{
		Def:         echoSpec(name),
		Run:         func(_ context.Context, _ Env, p echoParams) (any, error) { return map[string]any{"name": p.Name}, nil },
		Invalidates: invalidates,
	}
}

func namesRPC(calls *atomic.Int32) *RPC {
	return &RPC{
		Def:      manifest.RPCSpec{Name: "names", Label: "Names"},
		CacheTTL: time.Minute,
		Run: func(context.Context, Env, RPCRequest) (RPCResult, error) {
			n := calls.Add(1)
			return RPCResult{Options: []manifest.Option{{Label: "call", Value: n}}}, nil
		},
	}
}

func TestDefaultRegistryIsValid(t *testing.T) {
	t.Parallel()
	r, err := Default(Options{})
	require.NoError(t, err)
	assert.Equal(t, len(All()), len(r.Specs()))
	for _, s := range r.Specs() {
		if s.IsList() {
			inputs := s.Inputs()
			assert.Equal(t, float64(manifest.DefaultLimitCap), *inputs[len(inputs)-1].Max, s.Name)
		}
	}
}

func TestRegistryRefusesBadDefinitions(t *testing.T) {
	t.Parallel()
	type wrongParams struct {
		Nom string `param:"nom"`
	}
	wrong := &Action[wrongParams]{Def: echoSpec("wrong"), Run: func(context.Context, Env, wrongParams) (any, error) { return nil, nil }}
	noRun := &Action[echoParams]{Def: echoSpec("noRun")}
	noAll := &List[numbersParams]{Def: numbersSpec("noAll")}
	noPage := &Paged[numbersParams, Offset]{Def: numbersSpec("noPage"), MaxPageSize: 1}
	_, err := NewRegistry(Options{}, []Module{echoAction("dup"), echoAction("dup"), wrong, noRun, noAll, noPage}, nil)
	require.Error(t, err)
	for _, want := range []string{
		`module "dup": declared twice`,
		`module "wrong": field "name" has no Go field`,
		`tagged "nom", which is not a declared field`,
		`module "noRun": action without Run`,
		`module "noAll": a list needs All`,
		`module "noPage": a paged list needs Page and MaxPageSize`,
		`field "name" takes options from unknown rpc "names"`,
	} {
		assert.ErrorContains(t, err, want)
	}
}

func TestExecuteRefusals(t *testing.T) {
	t.Parallel()
	var calls atomic.Int32
	r, err := NewRegistry(Options{LimitCap: 50}, []Module{echoAction("echo"), allNumbers}, []*RPC{namesRPC(&calls)})
	require.NoError(t, err)
	ctx := context.Background()

	_, err = r.Execute(ctx, Env{}, Request{Module: "nope"})
	assert.ErrorIs(t, err, ErrUnknownModule)

	_, err = r.Execute(ctx, Env{}, Request{Module: "echo", Parameters: map[string]any{"name": "a"}, Cursor: "x", State: []byte(`{"a":1}`)})
	var verr *manifest.ValidationError
	require.ErrorAs(t, err, &verr)
	assert.Equal(t, []manifest.Problem{
		{Name: "cursor", Message: "only search modules take a cursor"},
		{Name: "state", Message: "only trigger modules take a state"},
	}, verr.Problems)

	_, err = r.Execute(ctx, Env{}, Request{Module: "allNumbers", Parameters: map[string]any{"total": 1, "limit": 51}})
	require.ErrorAs(t, err, &verr)
	assert.Equal(t, []manifest.Problem{{Name: "limit", Message: "must be at most 50"}}, verr.Problems)

	out, err := r.Execute(ctx, Env{}, Request{Module: "echo", Parameters: map[string]any{"name": "a"}})
	require.NoError(t, err)
	assert.Equal(t, []any{map[string]any{"name": "a"}}, out.Bundles)
}

func TestRPCAnswersAreCachedPerTokenAndDroppedByWrites(t *testing.T) {
	t.Parallel()
	var calls atomic.Int32
	now := time.Unix(1000, 0)
	clock := func() time.Time { return now }
	r, err := NewRegistry(Options{Now: clock}, []Module{echoAction("echo"), echoAction("writer", "names")}, []*RPC{namesRPC(&calls)})
	require.NoError(t, err)
	ctx := context.Background()
	call := func(token string) any {
		res, err := r.CallRPC(ctx, Env{}, RPCCall{Name: "names", TokenHash: token})
		require.NoError(t, err)
		return res.Options[0].Value
	}
	assert.Equal(t, int32(1), call("a"))
	assert.Equal(t, int32(1), call("a"), "cached")
	assert.Equal(t, int32(2), call("b"), "another token has its own cache")

	_, err = r.Execute(ctx, Env{}, Request{Module: "echo", TokenHash: "a", Parameters: map[string]any{"name": "x"}})
	require.NoError(t, err)
	assert.Equal(t, int32(1), call("a"), "a module without Invalidates keeps the cache")

	_, err = r.Execute(ctx, Env{}, Request{Module: "writer", TokenHash: "a", Parameters: map[string]any{"name": "x"}})
	require.NoError(t, err)
	assert.Equal(t, int32(3), call("a"), "a write drops the token's cached answers")
	assert.Equal(t, int32(2), call("b"), "other tokens keep theirs")

	now = now.Add(2 * time.Minute)
	assert.Equal(t, int32(4), call("b"), "expired")

	_, err = r.CallRPC(ctx, Env{}, RPCCall{Name: "nope"})
	assert.ErrorIs(t, err, ErrUnknownRPC)
	_, err = r.CallRPC(ctx, Env{}, RPCCall{Name: "names", Parameters: map[string]any{"x": 1}})
	var verr *manifest.ValidationError
	assert.True(t, errors.As(err, &verr))
}

func TestTTLCacheEvictsLeastRecentlyUsed(t *testing.T) {
	t.Parallel()
	c := newTTLCache(2, time.Now)
	c.put("a", 1, time.Minute)
	c.put("b", 2, time.Minute)
	_, _ = c.get("a")
	c.put("c", 3, time.Minute)
	_, okA := c.get("a")
	_, okB := c.get("b")
	assert.True(t, okA)
	assert.False(t, okB)
	assert.Equal(t, 2, c.lru.Len())
}

// TestOneClock: the date "now" in parameters and a module's Env.Now are the
// registry's clock.
func TestOneClock(t *testing.T) {
	t.Parallel()
	type atParams struct {
		At *time.Time `param:"at"`
	}
	frozen := time.Date(2026, 12, 4, 17, 30, 0, 0, time.UTC)
	spec := manifest.ModuleSpec{
		Name: "clock", Label: "Clock", Description: "Tells the time.", Group: "Test", Kind: manifest.KindAction,
		Expect:    []manifest.Field{{Name: "at", Label: "At", Help: "A date.", Type: manifest.TypeDate}},
		Interface: []manifest.Field{{Name: "at", Label: "At", Type: manifest.TypeDate}},
		Samples:   map[string]any{"at": "2026-01-01T00:00:00Z"},
	}
	mod := &Action[atParams]{Def: spec, Run: func(_ context.Context, env Env, p atParams) (any, error) {
		return []time.Time{*p.At, env.Now()}, nil
	}}
	r, err := NewRegistry(Options{Now: func() time.Time { return frozen }}, []Module{mod}, nil)
	require.NoError(t, err)
	out, err := r.Execute(context.Background(), Env{}, Request{Module: "clock", Parameters: map[string]any{"at": "now"}})
	require.NoError(t, err)
	assert.Equal(t, []any{[]time.Time{frozen, frozen}}, out.Bundles)
}
