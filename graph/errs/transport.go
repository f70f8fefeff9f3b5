package errs

// ExtWebsocketRequired is the extensions.code of a subscription sent
// outside a WebSocket (HTTP GET or POST, or the in-process executor of the
// REST layer): it is refused before anything runs, since a subscription
// holds state (roomEvents joins a live room) for as long as its transport
// lives. The HTTP status is that of an unexecutable document: 200 for
// application/json, 400 for application/graphql-response+json.
const ExtWebsocketRequired = "WEBSOCKET_REQUIRED"
