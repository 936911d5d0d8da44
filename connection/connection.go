// Package connection is the ProfitWell connection as a platform sees it: the
// one field users fill in (the Private Token), how a token is read from an
// execution's connection object, and how a token is verified.
package connection

import (
	"context"
	"errors"

	"github.com/profitwell-connector/connector/connection/profitwell"
	"github.com/profitwell-connector/connector/manifest"
)

// TokenField is the name of the private token in a connection object.
const TokenField = "privateToken"

// Fields are the connection's parameters.
var Fields = []manifest.Field{
	{
		Name:     TokenField,
		Label:    "Private Token",
		Type:     manifest.TypePassword,
		Required: true,
		Min:      manifest.Ptr(8),
		Max:      manifest.Ptr(512),
		Pattern:  `^[\x21-\x7E]+$`,
		Help:     "In ProfitWell, click Settings > Integrations > API Keys/ DEV KIT and copy the Private Token.",
	},
}

// Spec is the connection's manifest entry.
func Spec() manifest.Connection {
	return manifest.Connection{Name: "profitwell", Type: "apiKey", Label: "ProfitWell", Parameters: Fields}
}

// Token validates a connection object and returns its token. Problems are
// named "connection.<field>"; messages never contain the token.
func Token(raw map[string]any) (profitwell.Token, error) {
	values, err := manifest.Validate(Fields, raw)
	if err != nil {
		var verr *manifest.ValidationError
		if errors.As(err, &verr) {
			out := &manifest.ValidationError{}
			for _, p := range verr.Problems {
				out.Add("connection."+p.Name, p.Message)
			}
			return profitwell.Token{}, out
		}
		return profitwell.Token{}, err
	}
	return profitwell.NewToken(values[TokenField].(string)), nil
}

// Metadata describes the account a verified token belongs to.
type Metadata struct {
	Label     string `json:"label"`
	AccountID string `json:"accountId"`
}

// Verify proves the token with one upstream call. Company settings both prove
// the token and name the account; if ProfitWell does not serve them, the
// api-status probe proves the token alone.
func Verify(ctx context.Context, s *profitwell.Session) (Metadata, error) {
	company, err := s.CompanySettings(ctx)
	if err == nil {
		label := company.Name
		if label == "" {
			label = "ProfitWell"
		}
		return Metadata{Label: label, AccountID: company.ID}, nil
	}
	var pwErr *profitwell.Error
	if !errors.As(err, &pwErr) || pwErr.Kind != profitwell.KindNotFound {
		return Metadata{}, err
	}
	if err := s.APIStatus(ctx); err != nil {
		return Metadata{}, err
	}
	return Metadata{Label: "ProfitWell"}, nil
}
