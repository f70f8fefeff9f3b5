package live

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"

	"chaoqer/ent"
	"chaoqer/graph/text"
)

// closeMsg tells a client its connection (or the room) is over.
var closeMsg = []byte(`{"event":"close"}`)

// Frame is a client message: a JSON object with event, sender, an optional
// action (a string, or a number for role changes) and data.
type Frame struct {
	Event  string
	Sender string
	Action string
	Data   json.RawMessage
	// Raw is the frame as received; it is what most events broadcast.
	Raw []byte
}

// ParseFrame reads a client frame; ok is false for anything malformed
// (not a JSON object, event or sender missing or not strings) or holding
// text a database cannot store (text.Storable), raw (live frames are stored
// as received) or decoded (an escaped \u0000 in data becomes a NUL in a
// stored tool value).
func ParseFrame(raw []byte) (*Frame, bool) {
	var decoded any
	if !text.Storable(string(raw)) || json.Unmarshal(raw, &decoded) != nil || !text.StorableValue(decoded) {
		return nil, false
	}
	var f struct {
		Event  *string         `json:"event"`
		Sender *string         `json:"sender"`
		Action json.RawMessage `json:"action"`
		Data   json.RawMessage `json:"data"`
	}
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || raw[0] != '{' {
		return nil, false
	}
	if err := json.Unmarshal(raw, &f); err != nil || f.Event == nil || f.Sender == nil ||
		*f.Event == "" || *f.Sender == "" {
		return nil, false
	}
	return &Frame{Event: *f.Event, Sender: *f.Sender, Action: scalarText(f.Action), Data: f.Data, Raw: raw}, true
}

// NewFrame builds a frame from its parts (GraphQL mutations); data is any
// JSON value or nil.
func NewFrame(event, sender, action string, data json.RawMessage) *Frame {
	f := &Frame{Event: event, Sender: sender, Action: action, Data: data}
	f.Raw = encode(out{Event: event, Sender: sender, Action: action, Data: rawOrNil(data)})
	return f
}

func rawOrNil(d json.RawMessage) any {
	if len(d) == 0 {
		return nil
	}
	return d
}

// DataText is the frame's data as text: a JSON string's value, a number's
// digits, "" otherwise.
func (f *Frame) DataText() string { return scalarText(f.Data) }

// scalarText reads a JSON string or number as text.
func scalarText(v json.RawMessage) string {
	v = bytes.TrimSpace(v)
	if len(v) == 0 {
		return ""
	}
	switch v[0] {
	case '"':
		var s string
		if json.Unmarshal(v, &s) == nil {
			return s
		}
	case '-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9':
		var n json.Number
		if json.Unmarshal(v, &n) == nil {
			return n.String()
		}
	}
	return ""
}

// withData returns the frame's raw JSON with data replaced by d.
func (f *Frame) withData(d any) []byte {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(f.Raw, &m); err != nil {
		return f.Raw
	}
	m["data"] = encode(d)
	return encode(m)
}

// out is a server message; fields in the legacy order.
type out struct {
	Event  string `json:"event"`
	Sender string `json:"sender,omitempty"`
	Action string `json:"action,omitempty"`
	Data   any    `json:"data,omitempty"`
}

// encode marshals v without HTML escaping (links keep their '&').
func encode(v any) []byte {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return []byte("null")
	}
	return bytes.TrimRight(b.Bytes(), "\n")
}

func msg(event, sender, action string, data any) []byte {
	return encode(out{Event: event, Sender: sender, Action: action, Data: data})
}

// Member is a connected member as the legacy protocol describes it.
type Member struct {
	UID        string `json:"-"`
	RUID       int64  `json:"ruid"`
	Role       int    `json:"role"`
	ConnID     string `json:"textHandlerId"`
	Tool       string `json:"tool"`
	ToolData   string `json:"toolData"`
	CreateTime int64  `json:"createTime"`
}

func memberOf(p *ent.Presence) Member {
	return Member{UID: p.UID, RUID: p.Ruid, Role: p.Role, ConnID: p.ConnID, Tool: p.Tool, ToolData: p.ToolData, CreateTime: p.CreateTime}
}

// JSON is the member entry as a JSON string (legacy messages carry it as a
// string value).
func (m Member) JSON() string { return string(encode(m)) }

// Pin is a pinned item.
type Pin struct {
	MD5        string `json:"md5"`
	Tool       string `json:"tool"`
	ToolData   string `json:"toolData"`
	ToUID      string `json:"toUid"`
	CreateTime int64  `json:"createTime"`
}

func pinOf(p *ent.RoomPin) Pin {
	return Pin{MD5: p.Md5, Tool: p.Tool, ToolData: p.ToolData, ToUID: p.ToUID, CreateTime: p.CreateTime}
}

// JSON is the pin as a JSON string.
func (p Pin) JSON() string { return string(encode(p)) }

// Event is a room event as delivered to a member.
type Event struct {
	Event  string
	Sender string
	Action string
	// Data is the data value as JSON (nil when absent).
	Data JSON
	// Frame is the whole message as the legacy protocol sends it.
	Frame string
}

// ParseEvent reads a delivered message.
func ParseEvent(b []byte) *Event {
	var f struct {
		Event  string          `json:"event"`
		Sender string          `json:"sender"`
		Action json.RawMessage `json:"action"`
		Data   json.RawMessage `json:"data"`
	}
	_ = json.Unmarshal(b, &f)
	return &Event{Event: f.Event, Sender: f.Sender, Action: scalarText(f.Action), Data: JSON(f.Data), Frame: string(b)}
}

// liveAction reads the action and sender of a stored live message.
func liveAction(state *string) (action, sender string) {
	if state == nil {
		return "", ""
	}
	f, ok := ParseFrame([]byte(*state))
	if !ok {
		return "", ""
	}
	return f.Action, f.Sender
}

// truncateRunes cuts s to at most n characters.
func truncateRunes(s string, n int) string {
	if len(s) <= n {
		return s
	}
	i := 0
	for pos := range s {
		if i == n {
			return s[:pos]
		}
		i++
	}
	return s
}

// roleAction reads the target role of a role frame: a number or a numeric
// string, 0..2.
func roleAction(a string) (int, bool) {
	n, err := strconv.Atoi(strings.TrimSpace(a))
	if err != nil || n < 0 || n > 2 {
		return 0, false
	}
	return n, true
}
