package modules

import "github.com/profitwell-connector/connector/manifest"

// Output fields shared by several modules.

var planInterface = []manifest.Field{
	{Name: "id", Label: "Plan ID", Type: manifest.TypeText},
	{Name: "name", Label: "Name", Type: manifest.TypeText},
}

var planSample = map[string]any{"id": "pro-monthly", "name": "Pro (monthly)"}

// planIDField is a plan picker whose options come from listPlans; users can
// also map any plan id.
func planIDField(help string) manifest.Field {
	return manifest.Field{
		Name: "planId", Label: "Plan ID", Type: manifest.TypeSelect,
		OptionsRPC: "listPlans", Required: true, Help: help,
	}
}
