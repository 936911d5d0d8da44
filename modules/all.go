package modules

import (
	"errors"
	"fmt"
)

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

// Default builds the registry of every module and RPC with the given
// options. Every module of the connector declares its bundle type.
func Default(opts Options) (*Registry, error) {
	var errs []error
	for _, m := range All() {
		if !m.decl().bundle.declared() {
			errs = append(errs, fmt.Errorf("module %q: no bundle type (Bundle)", m.Spec().Name))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("module definitions: %w", err)
	}
	return NewRegistry(opts, All(), AllRPCs())
}
