package errs

// GraphQL extensions.code values of refusals at the edge. The legacy REST
// layer and the HTTP middleware use the same constants.
const (
	// CodeComplexityLimit: the operation's estimated cost is over the limit
	// (extensions: cost, limit).
	CodeComplexityLimit = "COMPLEXITY_LIMIT_EXCEEDED"
	// CodeDepthLimit: fields nest deeper than the limit (extensions: depth, limit).
	CodeDepthLimit = "DEPTH_LIMIT_EXCEEDED"
	// CodeSelectionLimit: more fields and aliases, after fragment expansion,
	// than the limit (extensions: selections, limit).
	CodeSelectionLimit = "SELECTION_LIMIT_EXCEEDED"
	// CodeTokenLimit: the document has more lexical tokens than the parser
	// accepts (extensions: limit).
	CodeTokenLimit = "TOKEN_LIMIT_EXCEEDED" //nolint:gosec // G101: an error code naming parser tokens, not a credential
	// CodeIntrospectionDisabled: __schema or __type asked where
	// introspection is off for the caller.
	CodeIntrospectionDisabled = "INTROSPECTION_DISABLED"
	// CodeSubscriptionLimit: a WebSocket connection asked for more
	// subscriptions at once than the limit (extensions: limit).
	CodeSubscriptionLimit = "SUBSCRIPTION_LIMIT_EXCEEDED"
	// CodeRateLimited: too many requests (HTTP 429 with Retry-After).
	CodeRateLimited = "RATE_LIMITED"
	// CodePayloadTooLarge: the request body is over the size limit (HTTP 413).
	CodePayloadTooLarge = "PAYLOAD_TOO_LARGE"
)
