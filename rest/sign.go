package rest

import (
	"bytes"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"sort"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// signDelimiter joins the parts of the string to sign (spec §1.4).
const signDelimiter = "$$$"

// Sign computes the legacy request signature: MD5 over the `key=value` strings
// of every parameter except sign, sorted as whole strings in Java's UTF-16
// order, with `accessSecret=<secret>` appended last, joined by "$$$".
func Sign(params map[string]any, secret string) string {
	parts := make([]string, 0, len(params)+1)
	for k, v := range params {
		if k == "sign" {
			continue
		}
		parts = append(parts, k+"="+signText(v))
	}
	sort.Slice(parts, func(i, j int) bool { return lessUTF16(parts[i], parts[j]) })
	parts = append(parts, "accessSecret="+secret)
	sum := md5.Sum([]byte(strings.Join(parts, signDelimiter)))
	return hex.EncodeToString(sum[:])
}

// VerifySign checks a received sign (case-insensitive, newlines ignored).
func VerifySign(params map[string]any, received, secret string) bool {
	received = strings.ReplaceAll(received, "\n", "")
	return strings.EqualFold(Sign(params, secret), received)
}

// signText is how one parameter value enters the string to sign: strings
// raw, numbers as written, objects and arrays as compact JSON with sorted keys.
func signText(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case string:
		return x
	case json.Number:
		return x.String()
	case bool:
		return strconv.FormatBool(x)
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	default:
		var b bytes.Buffer
		writeCanonical(&b, v)
		return b.String()
	}
}

// writeCanonical writes v as compact JSON with object keys sorted and no
// HTML or non-ASCII escaping (fastjson's output in the original).
func writeCanonical(b *bytes.Buffer, v any) {
	switch x := v.(type) {
	case nil:
		b.WriteString("null")
	case bool:
		b.WriteString(strconv.FormatBool(x))
	case json.Number:
		b.WriteString(x.String())
	case float64:
		b.WriteString(strconv.FormatFloat(x, 'f', -1, 64))
	case string:
		writeJSONString(b, x)
	case []any:
		b.WriteByte('[')
		for i, e := range x {
			if i > 0 {
				b.WriteByte(',')
			}
			writeCanonical(b, e)
		}
		b.WriteByte(']')
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Slice(keys, func(i, j int) bool { return lessUTF16(keys[i], keys[j]) })
		b.WriteByte('{')
		for i, k := range keys {
			if i > 0 {
				b.WriteByte(',')
			}
			writeJSONString(b, k)
			b.WriteByte(':')
			writeCanonical(b, x[k])
		}
		b.WriteByte('}')
	}
}

func writeJSONString(b *bytes.Buffer, s string) {
	const hexDigits = "0123456789abcdef"
	b.WriteByte('"')
	for _, r := range s {
		switch r {
		case '"':
			b.WriteString(`\"`)
		case '\\':
			b.WriteString(`\\`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		case '\b':
			b.WriteString(`\b`)
		case '\f':
			b.WriteString(`\f`)
		default:
			if r < 0x20 {
				b.WriteString(`\u00`)
				b.WriteByte(hexDigits[r>>4])
				b.WriteByte(hexDigits[r&0xf])
				continue
			}
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
}

// lessUTF16 orders strings by UTF-16 code units like Java's String.compareTo.
// It differs from Go's byte order only between supplementary characters and
// U+E000..U+FFFF. Strings that are not valid UTF-8 (which the handler refuses
// with 400 before any sign check) decode to U+FFFD per bad byte and could
// tie with different bytes; such ties fall back to byte order, so the order
// is total and a sign never depends on map iteration.
func lessUTF16(a, b string) bool {
	x, y := a, b
	for len(x) > 0 && len(y) > 0 {
		rx, nx := utf8.DecodeRuneInString(x)
		ry, ny := utf8.DecodeRuneInString(y)
		if rx != ry {
			return utf16Key(rx) < utf16Key(ry)
		}
		x, y = x[nx:], y[ny:]
	}
	if len(x) != len(y) {
		return len(x) == 0
	}
	return a < b
}

// utf16Key is the first UTF-16 code unit of r, extended so that equal first
// units still compare by the rest.
func utf16Key(r rune) uint32 {
	if r < 0x10000 {
		return uint32(r) << 16
	}
	hi, lo := utf16.EncodeRune(r)
	return uint32(hi)<<16 | uint32(lo)
}
