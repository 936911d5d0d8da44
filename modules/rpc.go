package modules

import (
	"context"
	"fmt"
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
	Cursor string
}

// RPCResult is an RPC's answer.
type RPCResult struct {
	Options    []manifest.Option `json:"options"`
	NextCursor string            `json:"nextCursor,omitempty"`
}

func (r *RPC) check() []error {
	if r.Run == nil {
		return []error{fmt.Errorf("rpc %q: no Run", r.Def.Name)}
	}
	return nil
}
