package modules

// All returns every module, in the order the manifest lists them.
func All() []Module {
	return []Module{
		listPlans,
		getPlan,
		createPlan,
		updatePlan,
	}
}

// AllRPCs returns every RPC, in manifest order.
func AllRPCs() []*RPC {
	return []*RPC{
		rpcListPlans,
	}
}

// Default builds the registry of every module and RPC with the given options.
func Default(opts Options) (*Registry, error) {
	return NewRegistry(opts, All(), AllRPCs())
}
