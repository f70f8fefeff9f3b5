//go:build tools

// This file pins the code generators in go.mod (see server.go's
// go:generate lines).
package main

import (
	_ "entgo.io/ent/entc/gen"
	_ "github.com/99designs/gqlgen"
)
