package rest

// route maps one legacy method and path to a GraphQL operation.
type route struct {
	method string
	path   string // gin pattern; parameters are 32-hex ids unless listed in rawParams
	op     string // operation name in ops/*.graphql
	// result is the dotted path of the legacy result inside the operation's
	// data; "" answers {}. The message comes from the root field's `message`.
	result string
	// list: the result is a connection, answered as {"page":…,"list":[…]}.
	list bool
	// anonymous: Authorization is ignored (login and captcha; spec D26).
	anonymous bool
	// unsigned: no ts/sign (version check, H5 pages).
	unsigned  bool
	rawParams []string
	// notServed are values of a raw parameter that name other, unserved
	// paths: a request with one answers 404 as if it matched no route.
	notServed []string
}

// routes is the legacy route table.
var routes = []route{
	// Account (A1-A3)
	{method: "POST", path: "/account/captcha", op: "RequestCaptcha", anonymous: true},
	{method: "POST", path: "/account/login/captcha", op: "LoginWithCaptcha", result: "loginWithCaptcha.credentials", anonymous: true},
	{method: "POST", path: "/account/logout", op: "Logout"},

	// User (U1-U11)
	{method: "POST", path: "/user/profile/init", op: "InitProfile", result: "initProfile.user"},
	{method: "PUT", path: "/user/profile", op: "UpdateProfile", result: "updateProfile.user"},
	{method: "GET", path: "/user/:uid/profile", op: "UserProfile", result: "user"},
	{method: "GET", path: "/user/block", op: "BlockList", result: "viewer.blockedUsers", list: true},
	{method: "POST", path: "/user/:uid/block", op: "BlockUser"},
	{method: "DELETE", path: "/user/:uid/block", op: "UnblockUser"},
	{method: "GET", path: "/user/message", op: "MessageList", result: "viewer.messages", list: true},
	{method: "GET", path: "/user/message/unread_total", op: "UnreadTotal", result: "viewer.unreadMessageCount"},
	{method: "POST", path: "/user/:uid/card", op: "SendCard"},
	{method: "DELETE", path: "/user/:uid/card", op: "DeleteCard"},
	{method: "GET", path: "/user/card", op: "CardHolder", result: "viewer.cardHolder", list: true},

	// Club (C1-C6)
	{method: "POST", path: "/club", op: "CreateClub", result: "createClub.club"},
	{method: "GET", path: "/club/:clubId", op: "Club", result: "club"},
	{method: "GET", path: "/club", op: "ClubList", result: "viewer.clubs", list: true},
	{method: "GET", path: "/club/:clubId/member", op: "ClubMemberList", result: "club.members", list: true},
	{method: "POST", path: "/club/:clubId/join", op: "JoinClub", result: "joinClub.club"},
	{method: "POST", path: "/club/:clubId/leave", op: "LeaveClub"},

	// Room (R1-R7); the token and the share snapshot on GET (implemented)
	// and POST (documented).
	{method: "POST", path: "/room", op: "CreateRoom", result: "createRoom.room"},
	{method: "GET", path: "/room/:roomId", op: "Room", result: "room"},
	{method: "GET", path: "/room", op: "RoomList", result: "roomFeed", list: true},
	{method: "GET", path: "/room/:roomId/token", op: "RoomToken", result: "roomToken"},
	{method: "POST", path: "/room/:roomId/token", op: "RoomToken", result: "roomToken"},
	{method: "POST", path: "/room/:roomId/close", op: "CloseRoom"},
	{method: "GET", path: "/room/:roomId/cache", op: "ShareRoom", result: "shareRoom.roomCacheId"},
	{method: "POST", path: "/room/:roomId/cache", op: "ShareRoom", result: "shareRoom.roomCacheId"},
	{method: "POST", path: "/room/:roomId/invite/:uid", op: "InviteToRoom"},

	// Event (E1-E7)
	{method: "POST", path: "/event", op: "CreateEvent", result: "createEvent.event"},
	{method: "PUT", path: "/event/:eventId", op: "UpdateEvent", result: "updateEvent.event"},
	{method: "DELETE", path: "/event/:eventId", op: "DeleteEvent"},
	{method: "GET", path: "/event/:eventId", op: "Event", result: "event"},
	{method: "GET", path: "/event", op: "EventList", result: "events", list: true},
	{method: "POST", path: "/event/:eventId/notify", op: "BookEvent"},
	{method: "POST", path: "/event/:eventId/start", op: "StartEvent", result: "startEvent.event"},

	// Push (P1): the implemented path and the documented one.
	{method: "POST", path: "/push/update/:jPushId", op: "BindPushDevice", rawParams: []string{"jPushId"}},
	// The undocumented push admin pages (P2: GET /push, POST /push/template,
	// POST /push/attach) are not served: operators use the sendNotice
	// mutation (spec §12 S3). Their paths are not device ids either.
	{method: "POST", path: "/push/:jPushId", op: "BindPushDevice", rawParams: []string{"jPushId"}, notServed: []string{"template", "attach"}},

	// Aliyun (L1)
	{method: "POST", path: "/aliyun/image/upload", op: "ImageUpload", result: "createImageUpload.upload"},

	// App (V1-V4); the link preview answers the implemented GET and the documented POST.
	{method: "GET", path: "/app/version/upgrade", op: "VersionUpgrade", result: "appUpgrade", unsigned: true},
	{method: "POST", path: "/app/feedback", op: "Feedback"},
	{method: "POST", path: "/app/report", op: "Report"},
	{method: "GET", path: "/app/link/preview/:linkMD5", op: "LinkPreview", result: "linkPreview"},
	{method: "POST", path: "/app/link/preview/:linkMD5", op: "LinkPreview", result: "linkPreview"},

	// H5 share pages (spec §2.9): unsigned, on GET and the documented POST;
	// anonymous unless an Authorization header is sent, which is then checked.
	{method: "GET", path: "/h5/weixin/config", op: "WeixinConfig", result: "wechatJSConfig", unsigned: true},
	{method: "POST", path: "/h5/weixin/config", op: "WeixinConfig", result: "wechatJSConfig", unsigned: true},
	{method: "GET", path: "/h5/profile/:uid", op: "H5Profile", result: "publicUser", unsigned: true},
	{method: "POST", path: "/h5/profile/:uid", op: "H5Profile", result: "publicUser", unsigned: true},
	{method: "GET", path: "/h5/club/:clubId", op: "H5Club", result: "publicClub", unsigned: true},
	{method: "POST", path: "/h5/club/:clubId", op: "H5Club", result: "publicClub", unsigned: true},
	{method: "GET", path: "/h5/event/:eventId", op: "H5Event", result: "publicEvent", unsigned: true},
	{method: "POST", path: "/h5/event/:eventId", op: "H5Event", result: "publicEvent", unsigned: true},
	{method: "GET", path: "/h5/room/:roomCacheId", op: "H5Room", result: "roomSnapshot", unsigned: true},
	{method: "POST", path: "/h5/room/:roomCacheId", op: "H5Room", result: "roomSnapshot", unsigned: true},
}
