// Package text holds the legacy rules for user-entered text: lengths counted
// in UTF-16 code units (the unit of the original Java limits), "blank" as in
// bean validation's @NotBlank, and the one-line normalisation applied to club,
// room and event names (spec §2.3).
package text

import (
	"strings"
	"unicode/utf16"
)

// Len counts s in UTF-16 code units.
func Len(s string) int {
	n := 0
	for _, r := range s {
		n += utf16.RuneLen(r)
	}
	return n
}

// Blank reports whether s is absent or only white space.
func Blank(s *string) bool { return s == nil || strings.TrimSpace(*s) == "" }

// nameReplacer turns control and invisible spaces into spaces and every line
// break into a space, so a name is one line.
var nameReplacer = strings.NewReplacer(
	"\r\n", " ",
	"\n", " ",
	"\u2028", " ",
	"\u2029", " ",
	"\u0008", " ",
	"\u0009", " ",
	"\u000b", " ",
	"\u000c", " ",
	"\u00a0", " ",
	"\ufeff", " ",
)

// Name normalises a club, room or event name: U+0008, U+0009, U+000B,
// U+000C, U+00A0 and U+FEFF become spaces, U+2028/U+2029 become line breaks,
// and line breaks (\r\n, \n) then become spaces.
func Name(s string) string { return nameReplacer.Replace(s) }
