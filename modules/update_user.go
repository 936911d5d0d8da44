package modules

import (
	"context"

	"github.com/profitwell-connector/connector/manifest"
)

type updateUserParams struct {
	UserIDOrAlias string `param:"userIdOrAlias"`
	Email         string `param:"email"`
}

// updateUser changes a user's email (ProfitWell's display text for the
// user). The output echoes the user id or alias and the new email, with the
// user's history when ProfitWell sends it back (otherwise subscriptions is
// empty and user_id and user_alias are left out).
var updateUser = &Action[updateUserParams]{
	Def: manifest.ModuleSpec{
		Name:        "updateUser",
		Label:       "Update a User",
		Description: "Updates a user.",
		Group:       "Users",
		Kind:        manifest.KindAction,
		CRUD:        manifest.CRUDUpdate,
		Annotations: manifest.Annotations{Idempotent: true},
		Expect: []manifest.Field{
			userIDOrAliasField("Select or map the User ID whose details you want to update."),
			{Name: "email", Label: "Email address", Type: manifest.TypeText, Required: true, Help: "Enter a new email address."},
		},
		Interface: userInterface,
		Example: manifest.Example{
			Parameters: map[string]any{"userIdOrAlias": "spiderman 1a", "email": "peter.parker@example.com"},
			Output: map[string]any{
				"user_id_or_alias": "spiderman 1a",
				"user_id":          "pwu_wBgjjtuzTHX4",
				"user_alias":       "spiderman 1a",
				"email":            "peter.parker@example.com",
				"subscriptions": []any{
					spiderman.record("peter.parker@example.com", "starter", "active", 1900, 1755402580),
					spiderman.record("peter.parker@example.com", "growth", "active", 4900, 1760050427),
					spiderman.record("peter.parker@example.com", "pro", "active", 9900, 1763316346),
				},
			},
		},
	},
	Bundle: BundleOf[userBundle](),
	Run: func(ctx context.Context, env Env, p updateUserParams) (any, error) {
		key := trimIDOrAlias(p.UserIDOrAlias)
		history, err := env.PW.UpdateUser(ctx, key, p.Email)
		if err != nil {
			return nil, err
		}
		b := userBundle{UserIDOrAlias: key, Email: p.Email, Subscriptions: subscriptionBundlesOf(history)}
		if len(history) > 0 {
			b.UserID, b.UserAlias = &history[0].UserID, history[0].UserAlias
		}
		return b, nil
	},
}
