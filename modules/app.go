package modules

import (
	"github.com/profitwell-connector/connector/connection"
	"github.com/profitwell-connector/connector/manifest"
)

// Version is the app's semantic version, published in the manifest.
const Version = "1.0.0"

// App describes the ProfitWell app.
func App() manifest.App {
	return manifest.App{
		Name:        "profitwell",
		Label:       "ProfitWell",
		Version:     Version,
		Description: "Subscription metrics and revenue analytics: manage ProfitWell subscriptions, users, plans and customers, and read metrics.",
		BaseURL:     "https://api.profitwell.com",
		DocsURL:     "https://profitwellapiv2.docs.apiary.io/",
		Theme:       "#1f6bff",
	}
}

// Document builds the manifest of a registry.
func Document(r *Registry) manifest.Document {
	return manifest.Build(App(), connection.Spec(), r.RPCSpecs(), r.Specs())
}
