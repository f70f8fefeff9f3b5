package live

import "testing"

func TestParseFrameRefusesUnstorableText(t *testing.T) {
	good := `{"event":"live","sender":"u","data":{"text":"中文\ufffd"}}`
	if _, ok := ParseFrame([]byte(good)); !ok {
		t.Fatal("a valid frame refused")
	}
	for _, bad := range []string{
		`{"event":"tool","sender":"u","action":"link","data":"a\u0000b"}`, // decoded NUL
		`{"event":"live","sender":"u","data":{"k\u0000":1}}`,
		"{\"event\":\"live\",\"sender\":\"u\",\"data\":\"\xff\"}",
		"{\"event\":\"live\",\"sender\":\"u\xc0\xaf\"}",
		"{\"event\":\"live\",\"sender\":\"u\",\"data\":\"a\x00b\"}",
	} {
		if _, ok := ParseFrame([]byte(bad)); ok {
			t.Errorf("ParseFrame(%q) accepted", bad)
		}
	}
}
