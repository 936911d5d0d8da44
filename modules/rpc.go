package modules

import (
	"context"
	"encoding/json"
	"time"

	"github.com/profitwell-connector/connector/manifest"
)

// RPC supplies the options of select fields ("rpc://<name>").
type RPC struct {
	// Def is the RPC's declaration.
	Def manifest.RPCSpec
	// CacheTTL keeps successful answers per token for this long; 0 disables
	// caching.
	CacheTTL time.Duration
	// Run computes the options.
	Run func(ctx context.Context, env Env, req RPCRequest) (RPCResult, error)
}

// RPCRequest is one validated RPC call.
type RPCRequest struct {
	Values manifest.Values
	Query  string
	// At is the authenticated position of the call's cursor; nil without
	// one.
	At json.RawMessage
}

// RPCResult is an RPC's answer.
type RPCResult struct {
	Options    []manifest.Option `json:"options"`
	NextCursor string            `json:"nextCursor,omitempty"`

	// next is the position after these options; the registry seals it
	// into NextCursor, bound to the RPC, the token, the parameters and the
	// query, like a list's cursor.
	next json.RawMessage
}
