package modules

// All returns every module, in the order the manifest lists them.
func All() []Module {
	return []Module{
		listSubscriptions,
		createSubscription,
		updateSubscription,
		churnSubscription,
		unchurnSubscription,
		updateUser,
		deleteUser,
		listPlans,
		getPlan,
		createPlan,
		updatePlan,
		listCustomers,
		getCustomer,
		watchCustomers,
		excludeCustomer,
		getMonthlyMetrics,
		getDailyMetrics,
		getCompanySettings,
		makeApiCall,
	}
}

// AllRPCs returns every RPC, in manifest order.
func AllRPCs() []*RPC {
	return []*RPC{
		rpcListPlans,
		rpcSearchCustomers,
		rpcListMetricPlanIds,
	}
}

// Default builds the registry of every module and RPC with the given options.
func Default(opts Options) (*Registry, error) {
	return NewRegistry(opts, All(), AllRPCs())
}
