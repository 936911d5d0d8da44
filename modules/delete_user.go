package modules

import (
	"context"

	"github.com/profitwell-connector/connector/manifest"
)

type deleteUserParams struct {
	UserIDOrAlias string `param:"userIdOrAlias"`
}

// deleteUser deletes a user with all their subscriptions and history; their
// aliases can be used again. ProfitWell answers with no content, so the
// output is the user id or alias with deleted: true.
var deleteUser = &Action[deleteUserParams]{
	Def: manifest.ModuleSpec{
		Name:        "deleteUser",
		Label:       "Delete a User",
		Description: "Deletes a user.",
		Group:       "Users",
		Kind:        manifest.KindAction,
		CRUD:        manifest.CRUDDelete,
		Annotations: manifest.Annotations{Destructive: true},
		Expect: []manifest.Field{
			userIDOrAliasField("Select or map the User ID you want to delete."),
		},
		Interface: userDeletedInterface,
		Example: manifest.Example{
			Parameters: map[string]any{"userIdOrAlias": "user_003"},
			Output:     map[string]any{"user_id_or_alias": "user_003", "deleted": true},
		},
	},
	Bundle: BundleOf[userDeletedBundle](),
	Run: func(ctx context.Context, env Env, p deleteUserParams) (any, error) {
		key := trimIDOrAlias(p.UserIDOrAlias)
		if err := env.PW.DeleteUser(ctx, key); err != nil {
			return nil, err
		}
		return userDeletedBundle{UserIDOrAlias: key, Deleted: true}, nil
	},
}
