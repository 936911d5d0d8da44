package modules

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/profitwell-connector/connector/manifest"
)

// ErrUnknownModule is returned for a module name the registry does not hold.
var ErrUnknownModule = errors.New("unknown module")

// ErrUnknownRPC is returned for an RPC name the registry does not hold.
var ErrUnknownRPC = errors.New("unknown rpc")

// Options configure a registry.
type Options struct {
	// LimitCap is the largest limit a list accepts; 0 means
	// manifest.DefaultLimitCap.
	LimitCap int
	// CacheEntries bounds the RPC cache; 0 means 4096.
	CacheEntries int
	// Now is the clock of the RPC cache; nil means time.Now.
	Now func() time.Time
	// CursorKeys authenticate cursors and trigger states (HMAC-SHA256): the
	// first signs, every one verifies, so replicas that share them accept
	// each other's positions and keys can be rotated. Each is at least
	// MinCursorKeyLen bytes. None means one random key for this registry:
	// positions are then accepted only by the process that wrote them.
	CursorKeys [][]byte
}

// Registry is the checked, ordered set of modules and RPCs.
type Registry struct {
	mods   []Module
	specs  []manifest.ModuleSpec
	inputs [][]manifest.Field // specs[i].Inputs(), built once
	byName map[string]int
	rpcs   map[string]*RPC
	rpcDef []manifest.RPCSpec
	cache  *ttlCache
	seal   *sealer
}

// NewRegistry checks every declaration and indexes them. It collects every
// problem (definitions, typed parameters, RPC references) and returns them
// joined, so a bad module stops the server before it serves.
func NewRegistry(opts Options, mods []Module, rpcs []*RPC) (*Registry, error) {
	if opts.LimitCap == 0 {
		opts.LimitCap = manifest.DefaultLimitCap
	}
	if opts.CacheEntries == 0 {
		opts.CacheEntries = 4096
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	r := &Registry{
		byName: map[string]int{},
		rpcs:   map[string]*RPC{},
		cache:  newTTLCache(opts.CacheEntries, opts.Now),
	}
	var errs []error
	var err error
	if r.seal, err = newSealer(opts.CursorKeys); err != nil {
		errs = append(errs, err)
	}
	if opts.LimitCap < 1 {
		errs = append(errs, fmt.Errorf("limit cap %d must be at least 1", opts.LimitCap))
	}
	for _, m := range mods {
		spec := m.Spec().WithLimitCap(opts.LimitCap)
		errs = append(errs, m.check()...)
		for _, err := range manifest.CheckBinding(spec.Inputs(), m.paramsType()) {
			errs = append(errs, fmt.Errorf("module %q: %w", spec.Name, err))
		}
		errs = append(errs, m.bundleType().check(spec)...)
		r.byName[spec.Name] = len(r.mods)
		r.mods = append(r.mods, m)
		r.specs = append(r.specs, spec)
		r.inputs = append(r.inputs, spec.Inputs())
	}
	errs = append(errs, manifest.CheckModules(r.specs))
	for _, rpc := range rpcs {
		errs = append(errs, rpc.check()...)
		r.rpcs[rpc.Def.Name] = rpc
		r.rpcDef = append(r.rpcDef, rpc.Def)
	}
	errs = append(errs, manifest.CheckRPCs(r.rpcDef))
	errs = append(errs, r.checkRPCReferences()...)
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("module definitions: %w", err)
	}
	return r, nil
}

func (r *Registry) checkRPCReferences() []error {
	var errs []error
	var walk func(where string, fields []manifest.Field)
	walk = func(where string, fields []manifest.Field) {
		for _, f := range fields {
			if f.OptionsRPC != "" && r.rpcs[f.OptionsRPC] == nil {
				errs = append(errs, fmt.Errorf("%s: field %q takes options from unknown rpc %q", where, f.Name, f.OptionsRPC))
			}
			walk(where, f.Spec)
		}
	}
	for _, s := range r.specs {
		walk(fmt.Sprintf("module %q", s.Name), s.Inputs())
	}
	for _, d := range r.rpcDef {
		walk(fmt.Sprintf("rpc %q", d.Name), d.Parameters)
	}
	return errs
}

// Specs returns the module declarations in order, with the configured limit
// cap applied.
func (r *Registry) Specs() []manifest.ModuleSpec { return r.specs }

// RPCSpecs returns the RPC declarations in order.
func (r *Registry) RPCSpecs() []manifest.RPCSpec { return r.rpcDef }

// Spec returns one module's declaration.
func (r *Registry) Spec(name string) (manifest.ModuleSpec, bool) {
	i, ok := r.byName[name]
	if !ok {
		return manifest.ModuleSpec{}, false
	}
	return r.specs[i], true
}

// Request is one execution as the engine asked for it, after envelope
// decoding.
type Request struct {
	Module string
	// TokenHash identifies the connection (never the token itself); it
	// binds cursors and cached RPC answers to one account.
	TokenHash  string
	Parameters map[string]any
	Cursor     string
	State      json.RawMessage
}

// Execute validates the parameters against the module's fields (defaults
// first, every bad field named), checks the cursor and runs the module.
func (r *Registry) Execute(ctx context.Context, env Env, req Request) (Output, error) {
	i, ok := r.byName[req.Module]
	if !ok {
		return Output{}, fmt.Errorf("%w %q", ErrUnknownModule, safeName(req.Module))
	}
	m, spec := r.mods[i], r.specs[i]
	values, verr := manifest.Validate(r.inputs[i], req.Parameters)
	wrongCursor := req.Cursor != "" && spec.Kind != manifest.KindSearch
	badState := len(req.State) > 0 && string(req.State) != "null" && spec.Kind != manifest.KindTrigger
	if verr != nil || wrongCursor || badState {
		problems := &manifest.ValidationError{}
		if verr != nil && !errors.As(verr, &problems) {
			return Output{}, verr
		}
		if wrongCursor {
			problems.Add("cursor", "only search modules take a cursor")
		}
		if badState {
			problems.Add("state", "only trigger modules take a state")
		}
		return Output{}, problems
	}
	in := input{values: values}
	// The binding of a list's cursor is computed only when a cursor comes
	// in or goes out (modules never change values).
	var binding string
	if spec.IsList() {
		in.limit = int(values[manifest.LimitName].(int64))
	}
	if req.Cursor != "" {
		binding = cursorBinding(spec.Name, req.TokenHash, values)
		pos, err := r.seal.open(binding, req.Cursor)
		if err != nil {
			return Output{}, badCursor(err.Error())
		}
		in.at = pos
	}
	if spec.Kind == manifest.KindTrigger && len(req.State) > 0 && string(req.State) != "null" {
		pos, err := r.openState(spec.Name, req.State)
		if err != nil {
			return Output{}, err
		}
		in.at = pos
	}
	out, err := m.run(ctx, env, in)
	if err != nil {
		return Output{}, err
	}
	if len(out.next) > maxPositionLen {
		return Output{}, fmt.Errorf("%s: %w", spec.Name, errPositionTooLarge)
	}
	switch {
	case spec.Kind == manifest.KindTrigger:
		out.State, _ = json.Marshal(triggerState{Module: spec.Name, Position: r.seal.seal(stateBinding(spec.Name), out.next)})
	case out.next != nil:
		if binding == "" {
			binding = cursorBinding(spec.Name, req.TokenHash, values)
		}
		out.NextCursor = r.seal.seal(binding, out.next)
	}
	for _, name := range out.Invalidates {
		r.cache.dropPrefix(cachePrefix(name, req.TokenHash))
	}
	return out, nil
}

// RPCCall is one RPC call after envelope decoding.
type RPCCall struct {
	Name       string
	TokenHash  string
	Parameters map[string]any
	Query      string
	Cursor     string
}

// CallRPC validates and runs an RPC, answering from the cache when a fresh
// answer for the same token and arguments is there.
func (r *Registry) CallRPC(ctx context.Context, env Env, call RPCCall) (RPCResult, error) {
	rpc, ok := r.rpcs[call.Name]
	if !ok {
		return RPCResult{}, fmt.Errorf("%w %q", ErrUnknownRPC, safeName(call.Name))
	}
	values, err := manifest.Validate(rpc.Def.Parameters, call.Parameters)
	if err != nil {
		return RPCResult{}, err
	}
	key := cachePrefix(call.Name, call.TokenHash) +
		cursorBinding(call.Name, call.Query+"\x00"+call.Cursor, values)
	if rpc.CacheTTL > 0 {
		if v, ok := r.cache.get(key); ok {
			return v.(RPCResult), nil
		}
	}
	res, err := rpc.Run(ctx, env, RPCRequest{Values: values, Query: call.Query, Cursor: call.Cursor})
	if err != nil {
		return RPCResult{}, err
	}
	if res.Options == nil {
		res.Options = []manifest.Option{}
	}
	if rpc.CacheTTL > 0 {
		r.cache.put(key, res, rpc.CacheTTL)
	}
	return res, nil
}

// triggerState is what the engine stores between a trigger's runs.
type triggerState struct {
	Module   string `json:"module"`
	Position string `json:"position"`
}

// openState checks a trigger's state and returns the position inside.
func (r *Registry) openState(module string, state json.RawMessage) (json.RawMessage, error) {
	var st triggerState
	dec := json.NewDecoder(bytes.NewReader(state))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&st); err != nil || st.Position == "" || dec.More() {
		return nil, manifest.Invalid("state", "is not a state this module wrote")
	}
	if st.Module != module {
		return nil, manifest.Invalid("state", "belongs to another module")
	}
	pos, err := r.seal.open(stateBinding(module), st.Position)
	if errors.Is(err, errAltered) {
		return nil, manifest.Invalid("state", "is not a state this module wrote")
	}
	if err != nil {
		return nil, manifest.Invalid("state", err.Error())
	}
	return pos, nil
}

func cachePrefix(rpc, tokenHash string) string { return rpc + "\x00" + tokenHash + "\x00" }

// safeName shortens a caller-supplied name for an error message.
func safeName(s string) string {
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return -1
		}
		return r
	}, s)
	if len(s) > 64 {
		return s[:64] + "…"
	}
	return s
}
