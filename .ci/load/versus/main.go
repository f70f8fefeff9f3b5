// Command versus seeds the data set of the side-by-side benchmark against
// PostGraphile and drives it; run.sh beside this file starts everything.
//
//	versus seed -db postgres://…          # after the chaoqer binary migrated the database
//	versus run -ours http://… -theirs http://… -db postgres://… -ours-pid N -theirs-pid N
package main

import (
	"fmt"
	"os"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: versus seed|run [flags]")
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "seed":
		err = seed(os.Args[2:])
	case "run":
		err = run(os.Args[2:])
	default:
		err = fmt.Errorf("unknown command %q", os.Args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "versus:", err)
		os.Exit(1)
	}
}
