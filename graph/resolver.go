// Package graph is the GraphQL API of the Chaoqer backend and the one place
// where its business rules are reached from: resolvers validate through and
// call the domain packages beside them (account, user, message, ...), and the
// legacy REST layer executes this same schema in-process.
package graph

import (
	"log/slog"

	"chaoqer/ent/entdb"
	"chaoqer/graph/account"
	"chaoqer/graph/kvstore"
	"chaoqer/graph/live"
	"chaoqer/graph/message"
	"chaoqer/graph/user"
)

// Resolver holds the services the resolvers call.
type Resolver struct {
	DB       *entdb.DB
	KV       *kvstore.Store
	Accounts *account.Service
	Users    *user.Service
	Messages *message.Service
	Log      *slog.Logger
	Live     *live.Service // live rooms: presence and signalling
}
