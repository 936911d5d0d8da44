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

// customerIDField is the customer picker shared by the customer actions.
func customerIDField(help string) manifest.Field {
	return manifest.Field{
		Name: "customerId", Label: "Customer ID", Type: manifest.TypeSelect, OptionsRPC: "searchCustomers",
		Required: true, Help: help,
	}
}
