package modules

import (
	"context"

	"github.com/profitwell-connector/connector/connection/profitwell"
	"github.com/profitwell-connector/connector/manifest"
)

type getCompanySettingsParams struct{}

// getCompanySettings reads the account's settings (GET
// /v2/company/settings/). The call counts against the 3000 a day ProfitWell
// allows for metrics and company settings together.
var getCompanySettings = &Action[getCompanySettingsParams]{
	Def: manifest.ModuleSpec{
		Name:        "getCompanySettings",
		Label:       "Get Company Settings",
		Description: "Gets the company's settings (name, time zone and currency).",
		Group:       "Company",
		Kind:        manifest.KindAction,
		CRUD:        manifest.CRUDRead,
		Annotations: manifest.Annotations{ReadOnly: true, Idempotent: true},
		Interface: []manifest.Field{
			{Name: "id", Label: "Company ID", Type: manifest.TypeText},
			{Name: "name", Label: "Name", Type: manifest.TypeText},
			{Name: "timezone", Label: "Time Zone", Type: manifest.TypeText},
			{Name: "currency", Label: "Currency", Type: manifest.TypeText},
		},
		Example: manifest.Example{
			Parameters: map[string]any{},
			Output: map[string]any{
				"id":       "637930",
				"name":     "Sandbox Company",
				"timezone": "America/New_York",
				"currency": "usd",
			},
		},
	},
	Bundle: BundleOf[profitwell.Company](),
	Run: func(ctx context.Context, env Env, _ getCompanySettingsParams) (any, error) {
		return env.PW.CompanySettings(ctx)
	},
}
