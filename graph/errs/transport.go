package errs

// ExtWebsocketRequired is the extensions.code of a subscription sent
// outside a WebSocket (HTTP GET or POST, or the in-process executor of the
// REST layer): it is refused before anything runs, since a subscription
// holds state (roomEvents joins a live room) for as long as its transport
// lives. The HTTP status is that of an unexecutable document: 200 for
// application/json, 400 for application/graphql-response+json.
const ExtWebsocketRequired = "WEBSOCKET_REQUIRED"

// ExtUnsupportedMediaType is the extensions.code of a POST to /graphql whose
// Content-Type is not application/json (HTTP 415; GraphQL over HTTP,
// "Request": a server MUST support application/json bodies and may refuse
// others).
const ExtUnsupportedMediaType = "UNSUPPORTED_MEDIA_TYPE"

// ExtMethodNotAllowed is the extensions.code of a mutation or subscription
// sent with GET (HTTP 405 with Allow: POST; GraphQL over HTTP, "GET": GET
// runs queries only).
const ExtMethodNotAllowed = "METHOD_NOT_ALLOWED"
