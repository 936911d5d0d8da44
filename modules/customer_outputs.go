package modules

import "github.com/profitwell-connector/connector/manifest"

// customerInterface declares a customer bundle: ProfitWell's customer object.
var customerInterface = []manifest.Field{
	{Name: "customer_id", Label: "Customer ID", Type: manifest.TypeText},
	{Name: "email", Label: "Email", Type: manifest.TypeEmail},
	{Name: "first_name", Label: "First Name", Type: manifest.TypeText},
	{Name: "last_name", Label: "Last Name", Type: manifest.TypeText},
	{Name: "mrr_cents", Label: "MRR (cents)", Type: manifest.TypeUInteger},
	{Name: "plans", Label: "Plans", Type: manifest.TypeArray, Spec: []manifest.Field{{Type: manifest.TypeText}}},
	{Name: "status", Label: "Status", Type: manifest.TypeText},
	{Name: "created_on", Label: "Created On", Type: manifest.TypeDate},
	{Name: "activated_on", Label: "Activated On", Type: manifest.TypeDate},
	{Name: "churned_on", Label: "Churned On", Type: manifest.TypeDate},
	{Name: "updated_on", Label: "Updated On", Type: manifest.TypeDate},
	{Name: "total_spend_cents", Label: "Total Spend (cents)", Type: manifest.TypeUInteger},
}

// sandboxCustomer is the customer the examples' sandbox updated last, as
// getCustomer and listCustomers (newest first) answer it; a fresh map each
// time, so samples never share one.
func sandboxCustomer() map[string]any {
	return map[string]any{
		"customer_id": "cus_vRmPOReoNbnv8R", "email": "levi.larsen44@acme.io", "first_name": "Levi", "last_name": "Larsen",
		"mrr_cents": 0, "plans": []any{"annual-pro"}, "status": "churned_trial",
		"created_on": "2025-12-23T12:16:08Z", "activated_on": nil, "churned_on": "2026-01-14T23:00:00Z",
		"updated_on": "2026-01-14T23:58:30Z", "total_spend_cents": 0,
	}
}

// customerIDField is the customer picker shared by the customer actions.
func customerIDField(help string) manifest.Field {
	return manifest.Field{
		Name: "customerId", Label: "Customer ID", Type: manifest.TypeSelect, OptionsRPC: "searchCustomers",
		Required: true, Help: help,
	}
}
