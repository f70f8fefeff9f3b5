// Package graph is the GraphQL API of the Chaoqer backend and the one place
// where its business rules are reached from: resolvers validate through and
// call the domain packages beside them (account, user, message, ...), and the
// legacy REST layer executes this same schema in-process.
package graph

import (
	"log/slog"

	"chaoqer/ent/entdb"
	"chaoqer/graph/account"
	"chaoqer/graph/admin"
	"chaoqer/graph/appinfo"
	"chaoqer/graph/club"
	"chaoqer/graph/event"
	"chaoqer/graph/kvstore"
	"chaoqer/graph/linkpreview"
	"chaoqer/graph/live"
	"chaoqer/graph/message"
	"chaoqer/graph/room"
	"chaoqer/graph/storage"
	"chaoqer/graph/user"
	"chaoqer/graph/wechat"
)

// Resolver holds the services the resolvers call.
type Resolver struct {
	DB       *entdb.DB
	KV       *kvstore.Store
	Accounts *account.Service
	Users    *user.Service
	Messages *message.Service
	Clubs    *club.Service
	Rooms    *room.Service
	Events   *event.Service
	Log      *slog.Logger
	Live     *live.Service // live rooms: presence and signalling

	// Uploads, app endpoints, link previews, share pages and operators.
	Images       *storage.Images
	App          *appinfo.Service
	LinkPreviews *linkpreview.Service
	WeChat       *wechat.Client
	Admin        *admin.Service
}
