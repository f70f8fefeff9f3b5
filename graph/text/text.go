// Package text holds the legacy rules for user-entered text: lengths counted
// in UTF-16 code units (the unit of the original Java limits), "blank" as in
// bean validation's @NotBlank, and the one-line normalisation applied to club,
// room and event names (spec §2.3).
package text

import (
	"strings"
	"unicode/utf16"
	"unicode/utf8"
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

// Storable reports whether s is text every supported database keeps as
// given: valid UTF-8 without NUL. PostgreSQL refuses both in text columns
// and parameters (SQLite stores them), so text from a request is checked
// with this once, where it enters the server, and refused there the same
// way on every database.
func Storable(s string) bool {
	return utf8.ValidString(s) && strings.IndexByte(s, 0) < 0
}

// StorableValue reports whether every string in v (a decoded JSON or
// GraphQL input value: strings, maps with their keys, slices, scalars) is
// Storable.
func StorableValue(v any) bool {
	switch x := v.(type) {
	case string:
		return Storable(x)
	case map[string]any:
		for k, e := range x {
			if !Storable(k) || !StorableValue(e) {
				return false
			}
		}
	case []any:
		for _, e := range x {
			if !StorableValue(e) {
				return false
			}
		}
	}
	return true
}
