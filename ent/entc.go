//go:build ignore

// entc.go generates the ent client from ./ent/schema. It runs from the
// repository root through `go generate ./...` (see server.go).
package main

import (
	"log"

	"entgo.io/ent/entc"
	"entgo.io/ent/entc/gen"
)

func main() {
	err := entc.Generate("./ent/schema", &gen.Config{
		Target:   "./ent",
		Package:  "chaoqer/ent",
		Features: []gen.Feature{gen.FeatureModifier, gen.FeatureExecQuery, gen.FeatureUpsert, gen.FeatureVersionedMigration},
	})
	if err != nil {
		log.Fatalf("running ent codegen: %v", err)
	}
}
