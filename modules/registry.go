package modules

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"

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
	// CacheEntries bounds the RPC cache; 0 or less means 4096.
	CacheEntries int
	// Now is the registry's clock: the instant the date "now" stands for in
	// parameters, the modules' Env.Now when the caller gives none, and the
	// RPC cache's expiry. Nil means time.Now.
	Now func() time.Time
	// CursorKeys (each at least MinCursorKeyLen bytes) authenticate
	// cursors and trigger states: the first signs, every one verifies, so
	// replicas that share them accept each other's positions and keys can
	// be rotated. None: one random key, valid only in this process.
	CursorKeys [][]byte
}

// Registry is the checked, ordered set of modules and RPCs.
type Registry struct {
	specs  []manifest.ModuleSpec
	byName map[string]*registered
	rpcs   map[string]*RPC
	rpcDef []manifest.RPCSpec
	cache  *ttlCache
	seal   *sealer
	now    func() time.Time
}

// NewRegistry checks every declaration and indexes them. It collects every
// problem (definitions, typed parameters, RPC references) and returns them
// joined, so a bad module stops the server before it serves.
func NewRegistry(opts Options, mods []Module, rpcs []*RPC) (*Registry, error) {
	opts.LimitCap = cmp.Or(opts.LimitCap, manifest.DefaultLimitCap)
	if opts.CacheEntries <= 0 {
		opts.CacheEntries = 4096
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	r := &Registry{
		byName: map[string]*registered{},
		rpcs:   map[string]*RPC{},
		cache:  newTTLCache(opts.CacheEntries, opts.Now),
		now:    opts.Now,
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
		e := &registered{m: m, spec: m.Spec().WithLimitCap(opts.LimitCap), d: m.decl()}
		e.inputs = e.spec.Inputs()
		for _, defect := range e.d.defects {
			errs = append(errs, fmt.Errorf("module %q: %s", e.spec.Name, defect))
		}
		for _, err := range manifest.CheckBinding(e.inputs, e.d.params) {
			errs = append(errs, fmt.Errorf("module %q: %w", e.spec.Name, err))
		}
		errs = append(errs, e.d.bundle.check(e.spec)...)
		r.byName[e.spec.Name] = e
		r.specs = append(r.specs, e.spec)
	}
	errs = append(errs, manifest.CheckModules(r.specs))
	for _, rpc := range rpcs {
		if rpc.Run == nil {
			errs = append(errs, fmt.Errorf("rpc %q: no Run", rpc.Def.Name))
		}
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
	if e, ok := r.byName[name]; ok {
		return e.spec, true
	}
	return manifest.ModuleSpec{}, false
}

// registered is a module as the registry checked it.
type registered struct {
	m      Module
	spec   manifest.ModuleSpec // with the limit cap applied
	inputs []manifest.Field    // spec.Inputs(), built once
	d      decl
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

// Prepared is an execution whose request passed validation.
type Prepared struct {
	*registered
	token   string
	in      input
	binding string // the cursor binding, once computed
}

// Execute validates a request (Prepare) and runs it (Run).
func (r *Registry) Execute(ctx context.Context, env Env, req Request) (Output, error) {
	x, err := r.Prepare(req)
	if err != nil {
		return Output{}, err
	}
	return r.Run(ctx, env, x)
}

// Prepare checks in one pass the parameters (defaults first), the module's
// rules across fields, and the cursor or state (that the module takes one,
// written by this connector for this module, connection and parameters).
// All problems come back in one manifest.ValidationError (wrapping
// ErrBadCursor when the cursor is one of them).
func (r *Registry) Prepare(req Request) (*Prepared, error) {
	e, ok := r.byName[req.Module]
	if !ok {
		return nil, fmt.Errorf("%w %q", ErrUnknownModule, safeName(req.Module))
	}
	x := &Prepared{registered: e, token: req.TokenHash}
	problems := &manifest.ValidationError{}
	add := func(err error) error {
		if v, ok := errors.AsType[*manifest.ValidationError](err); ok {
			problems.Problems = append(problems.Problems, v.Problems...)
			return nil
		}
		return err
	}
	values, err := manifest.ValidateAt(e.inputs, req.Parameters, r.now())
	if err := add(err); err != nil {
		return nil, err
	}
	if err == nil && e.d.check != nil {
		if err := add(e.d.check(values)); err != nil {
			return nil, err
		}
	}
	x.in.values = values
	if x.spec.IsList() && err == nil {
		x.in.limit = int(values[manifest.LimitName].(int64))
	}
	hasState := len(req.State) > 0 && string(req.State) != "null"
	var cursorErr error
	switch {
	case req.Cursor != "" && x.spec.Kind != manifest.KindSearch:
		problems.Add("cursor", "only search modules take a cursor")
	case req.Cursor != "" && err == nil:
		x.binding = cursorBinding(x.spec.Name, req.TokenHash, values)
		if x.in.at, cursorErr = r.seal.open(x.binding, req.Cursor); cursorErr != nil {
			problems.Add("cursor", cursorErr.Error())
		}
	}
	switch {
	case hasState && x.spec.Kind != manifest.KindTrigger:
		problems.Add("state", "only trigger modules take a state")
	case hasState:
		pos, after, err := r.openState(x.spec.Name, req.State, e.d.resumes)
		if err := add(err); err != nil {
			return nil, err
		}
		x.in.at, x.in.after = pos, after
	}
	if err := problems.Err(); err != nil {
		if cursorErr != nil {
			return nil, errors.Join(ErrBadCursor, err)
		}
		return nil, err
	}
	return x, nil
}

// Run runs a prepared execution and writes the position after it into the
// answer: the next cursor of a list, the new state of a trigger.
func (r *Registry) Run(ctx context.Context, env Env, x *Prepared) (Output, error) {
	if env.Now == nil {
		env.Now = r.now
	}
	out, err := x.m.run(ctx, env, x.in)
	if err != nil {
		return Output{}, err
	}
	if len(out.next) > maxPositionLen {
		return Output{}, fmt.Errorf("%s: %w", x.spec.Name, errPositionTooLarge)
	}
	switch {
	case x.spec.Kind == manifest.KindTrigger:
		out.State, _ = json.Marshal(triggerState{Module: x.spec.Name, Position: r.seal.seal(stateBinding(x.spec.Name), out.next)})
	case out.next != nil:
		if x.binding == "" {
			x.binding = cursorBinding(x.spec.Name, x.token, x.in.values)
		}
		out.NextCursor = r.seal.seal(x.binding, out.next)
	}
	for _, name := range out.Invalidates {
		r.cache.dropPrefix(cachePrefix(name, x.token))
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
	values, err := manifest.ValidateAt(rpc.Def.Parameters, call.Parameters, r.now())
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
	req := RPCRequest{Values: values, Query: call.Query}
	binding := cursorBinding(call.Name, call.TokenHash+"\x00"+call.Query, values)
	if call.Cursor != "" {
		if req.At, err = r.seal.open(binding, call.Cursor); err != nil {
			return RPCResult{}, badCursor(err.Error())
		}
	}
	res, err := rpc.Run(ctx, env, req)
	if err != nil {
		return RPCResult{}, err
	}
	if len(res.next) > maxPositionLen {
		return RPCResult{}, fmt.Errorf("%s: %w", call.Name, errPositionTooLarge)
	}
	if res.next != nil {
		res.NextCursor, res.next = r.seal.seal(binding, res.next), nil
	}
	if res.Options == nil {
		res.Options = []manifest.Option{}
	}
	if rpc.CacheTTL > 0 {
		r.cache.put(key, res, rpc.CacheTTL)
	}
	return res, nil
}

// triggerState is what the engine stores between a trigger's runs: the
// signed position the connector wrote, or, for a trigger with a Resume hook,
// the last item the engine emitted as the engine composes it (After).
type triggerState struct {
	Module   string       `json:"module"`
	Position string       `json:"position,omitempty"`
	After    *engineAfter `json:"after,omitempty"`
}

// engineAfter is the engine's form of a position: the date and id of the
// last item it emitted, either absent or empty when it has none.
type engineAfter struct {
	Date string `json:"date,omitempty"`
	ID   string `json:"id,omitempty"`
}

// openState checks a trigger's state and returns the authenticated position
// inside, or the engine's own position when the state is in that form and
// the module takes it (resumes).
func (r *Registry) openState(module string, state json.RawMessage, resumes bool) (json.RawMessage, *EngineAfter, error) {
	var st triggerState
	dec := json.NewDecoder(bytes.NewReader(state))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&st); err != nil || (st.Position == "") == (st.After == nil) || dec.More() ||
		(st.After != nil && !resumes) {
		return nil, nil, manifest.Invalid("state", "is not a state this module wrote")
	}
	if st.Module != module {
		return nil, nil, manifest.Invalid("state", "belongs to another module")
	}
	if st.After != nil {
		after, err := st.After.open()
		return nil, after, err
	}
	pos, err := r.seal.open(stateBinding(module), st.Position)
	if errors.Is(err, errAltered) {
		return nil, nil, manifest.Invalid("state", "is not a state this module wrote")
	}
	if err != nil {
		return nil, nil, manifest.Invalid("state", err.Error())
	}
	return pos, nil, nil
}

// maxEngineIDLen bounds the id of an engine's position.
const maxEngineIDLen = 256

// open checks an engine's position: an id needs a date, a date is ISO 8601
// (RFC 3339, any fraction of a second), an id is text without control
// characters of at most maxEngineIDLen bytes.
func (a *engineAfter) open() (*EngineAfter, error) {
	switch {
	case len(a.ID) > maxEngineIDLen || strings.ContainsFunc(a.ID, unicode.IsControl):
		return nil, manifest.Invalid("state", "has an id that is too long or holds control characters")
	case a.Date == "" && a.ID != "":
		return nil, manifest.Invalid("state", "has an id without a date")
	case a.Date == "":
		return &EngineAfter{}, nil
	}
	d, err := time.Parse(time.RFC3339Nano, a.Date)
	if err != nil {
		return nil, manifest.Invalid("state", "has a date that is not ISO 8601")
	}
	return &EngineAfter{Date: d, ID: a.ID}, nil
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
