// Package model holds the GraphQL types gqlgen generates (connections, edges,
// payloads and inputs); domain types are bound from their own packages.
package model
