package errs

// GraphQL extensions.code values of refusals at the edge (Ext*, like the
// codes of errs.go; Code* names are legacy errorCode numbers). The legacy
// REST layer and the HTTP middleware use the same constants.
const (
	// ExtComplexityLimit: the operation's estimated cost is over the limit
	// (extensions: cost, limit).
	ExtComplexityLimit = "COMPLEXITY_LIMIT_EXCEEDED"
	// ExtDepthLimit: fields nest deeper than the limit (extensions: depth, limit).
	ExtDepthLimit = "DEPTH_LIMIT_EXCEEDED"
	// ExtSelectionLimit: more fields and aliases, after fragment expansion,
	// than the limit (extensions: selections, limit).
	ExtSelectionLimit = "SELECTION_LIMIT_EXCEEDED"
	// ExtTokenLimit: the document has more lexical tokens than the parser
	// accepts (extensions: limit).
	ExtTokenLimit = "TOKEN_LIMIT_EXCEEDED" //nolint:gosec // G101: an error code naming parser tokens, not a credential
	// ExtIntrospectionDisabled: __schema or __type asked where
	// introspection is off for the caller.
	ExtIntrospectionDisabled = "INTROSPECTION_DISABLED"
	// ExtSubscriptionLimit: a WebSocket connection asked for more
	// subscriptions at once than the limit (extensions: limit).
	ExtSubscriptionLimit = "SUBSCRIPTION_LIMIT_EXCEEDED"
	// ExtRateLimited: too many requests (HTTP 429 with Retry-After).
	ExtRateLimited = "RATE_LIMITED"
	// ExtPayloadTooLarge: the request body is over the size limit (HTTP 413).
	ExtPayloadTooLarge = "PAYLOAD_TOO_LARGE"
)
