package live

import (
	"context"
	"encoding/json"
	"errors"
	"strings"

	"chaoqer/ent"
	"chaoqer/ent/presence"
	"chaoqer/ent/roompin"
)

// MaxLinkChars is how much of a shared link is kept (spec §4.4, §7).
const MaxLinkChars = 500

// Handle applies a frame that uid sent in room (spec §4.4) and reports
// whether it had an effect (stored or delivered). Frames whose sender is
// not uid, and frames the rules refuse, are ignored (false, nil).
func (s *Service) Handle(ctx context.Context, room, uid string, f *Frame) (bool, error) {
	if f == nil || f.Sender != uid {
		return false, nil
	}
	var applied bool
	var err error
	switch f.Event {
	case "heartbeat":
		return false, nil
	case "live":
		applied, err = s.onLive(ctx, room, uid, f)
	case "pin":
		applied, err = s.onPin(ctx, room, uid, f)
	case "tool":
		applied, err = s.onTool(ctx, room, uid, f)
	case "role":
		applied, err = s.onRole(ctx, room, uid, f)
	case "invite":
		applied, err = s.onInvite(ctx, room, uid, f)
	case "mute":
		role, ok, rerr := s.role(ctx, room, uid)
		if rerr != nil || !ok || role != RoleHost {
			return false, rerr
		}
		s.broadcast(ctx, room, f.Raw)
		return true, nil
	default:
		// Chat and anything else the clients define: passed through
		// unchanged (the transport bounds the frame size).
		s.broadcast(ctx, room, f.Raw)
		return true, nil
	}
	if errors.Is(err, errNoRoom) {
		return false, nil
	}
	return applied, err
}

// Act is Handle for callers that are not a connection (GraphQL mutations):
// uid must be allowed in the room (Rooms.MayJoin; ErrRoomClosed otherwise,
// as if it did not exist) and connected to it (ErrNotMember).
func (s *Service) Act(ctx context.Context, room, uid string, f *Frame) (bool, error) {
	if err := s.mayReach(ctx, uid, room); err != nil {
		return false, err
	}
	if _, ok, err := s.role(ctx, room, uid); err != nil {
		return false, err
	} else if !ok {
		return false, ErrNotMember
	}
	return s.Handle(ctx, room, uid, f)
}

// role reads uid's role in room; ok is false when uid is not connected.
func (s *Service) role(ctx context.Context, room, uid string) (int, bool, error) {
	p, err := s.db.Client.Presence.Query().Where(presence.RoomID(room), presence.UID(uid)).
		Select(presence.FieldRole).Only(ctx)
	if ent.IsNotFound(err) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, err
	}
	return p.Role, true, nil
}

// onLive: open/close by a host, up by a host or speaker after open/down,
// down by a host or whoever is up, after up.
func (s *Service) onLive(ctx context.Context, room, uid string, f *Frame) (bool, error) {
	applied := false
	err := s.inRoom(ctx, room, false, func(t *txn) error {
		p, err := t.member(uid)
		if err != nil || p == nil || t.closed {
			return err
		}
		last, upBy := liveAction(t.live)
		raw := string(f.Raw)
		switch f.Action {
		case "open":
			if p.Role != RoleHost || t.live != nil {
				return nil
			}
			err = t.setLive(&raw)
		case "close":
			if p.Role != RoleHost || t.live == nil {
				return nil
			}
			err = t.clearLive()
		case "up":
			if (p.Role != RoleHost && p.Role != RoleSpeaker) || (last != "open" && last != "down") {
				return nil
			}
			err = t.setLive(&raw)
		case "down":
			if (p.Role != RoleHost && upBy != uid) || last != "up" {
				return nil
			}
			err = t.setLive(&raw)
		default:
			return nil
		}
		if err != nil {
			return err
		}
		t.broadcast(f.Raw)
		applied = true
		return nil
	})
	return applied, err
}

// pinData is the data of pin/add.
type pinData struct {
	MD5      string `json:"md5"`
	Tool     string `json:"tool"`
	ToolData string `json:"toolData"`
	ToUID    string `json:"toUid"`
}

func (f *Frame) pinData() (pinData, bool) {
	var d pinData
	raw := f.Data
	if s := f.DataText(); s != "" { // an object sent as a JSON string
		raw = json.RawMessage(s)
	}
	if json.Unmarshal(raw, &d) != nil || d.MD5 == "" {
		return d, false
	}
	return d, true
}

// onPin: hosts add (image/link, once per md5) and remove pins; from anyone
// else the frame is passed through unchanged (legacy quirk).
func (s *Service) onPin(ctx context.Context, room, uid string, f *Frame) (bool, error) {
	applied := false
	err := s.inRoom(ctx, room, false, func(t *txn) error {
		p, err := t.member(uid)
		if err != nil || t.closed {
			return err
		}
		if p == nil || p.Role != RoleHost {
			t.broadcast(f.Raw)
			applied = true
			return nil
		}
		switch f.Action {
		case "add":
			d, ok := f.pinData()
			if !ok || (d.Tool != "image" && d.Tool != "link") {
				return nil
			}
			exists, err := t.tx.RoomPin.Query().Where(roompin.RoomID(room), roompin.Md5(d.MD5)).Exist(ctx)
			if err != nil || exists {
				return err
			}
			pin := Pin{MD5: d.MD5, Tool: d.Tool, ToolData: d.ToolData, ToUID: d.ToUID, CreateTime: s.nowMs()}
			if err := t.tx.RoomPin.Create().SetRoomID(room).SetMd5(pin.MD5).SetTool(pin.Tool).
				SetToolData(pin.ToolData).SetToUID(pin.ToUID).SetCreateTime(pin.CreateTime).Exec(ctx); err != nil {
				return err
			}
			t.broadcast(f.withData(pin.JSON()))
			applied = true
			if d.ToUID == "" {
				return nil
			}
			target, err := t.member(d.ToUID)
			if err != nil || target == nil || target.Tool != d.Tool || target.ToolData != d.ToolData {
				return err
			}
			if err := t.tx.Presence.UpdateOne(target).SetTool("").SetToolData("").Exec(ctx); err != nil {
				return err
			}
			t.broadcast(msg("tool", d.ToUID, "clear", d.ToolData))
		case "remove":
			md5 := f.DataText()
			n, err := t.tx.RoomPin.Delete().Where(roompin.RoomID(room), roompin.Md5(md5)).Exec(ctx)
			if err != nil || n == 0 {
				return err
			}
			t.broadcast(f.Raw)
			applied = true
		}
		return nil
	})
	return applied, err
}

// onTool: hosts and speakers show an image or a link (stored on their
// member entry), clear it, or flash an icon for IconTTL.
func (s *Service) onTool(ctx context.Context, room, uid string, f *Frame) (bool, error) {
	if f.Action == "icon" {
		role, ok, err := s.role(ctx, room, uid)
		if err != nil || !ok || (role != RoleHost && role != RoleSpeaker) {
			return false, err
		}
		s.broadcast(ctx, room, f.Raw)
		icon := append(json.RawMessage(nil), f.Data...)
		if len(icon) == 0 {
			icon = json.RawMessage(`""`)
		}
		s.icons.set(room+"|"+uid, s.cfg.IconTTL, func() {
			ctx, cancel := context.WithTimeout(context.Background(), 5*s.cfg.CloseGrace)
			defer cancel()
			s.broadcast(ctx, room, msg("tool", uid, "clear", icon))
		})
		return true, nil
	}
	applied := false
	var link string
	err := s.inRoom(ctx, room, false, func(t *txn) error {
		p, err := t.member(uid)
		if err != nil || p == nil || t.closed || (p.Role != RoleHost && p.Role != RoleSpeaker) {
			return err
		}
		data := f.DataText()
		out := f.Raw
		switch f.Action {
		case "clear":
			if data != p.ToolData {
				return nil
			}
			err = t.tx.Presence.UpdateOne(p).SetTool("").SetToolData("").Exec(ctx)
		case "image", "link":
			tool := f.Action
			if f.Action == "link" && len(data) > MaxLinkChars {
				if cut := truncateRunes(data, MaxLinkChars); cut != data {
					data = cut
					out = f.withData(data)
				}
			}
			if strings.TrimSpace(data) == "" {
				tool, data = "", ""
			} else if f.Action == "link" {
				link = data
			}
			err = t.tx.Presence.UpdateOne(p).SetTool(tool).SetToolData(data).Exec(ctx)
		default:
			return nil
		}
		if err != nil {
			return err
		}
		t.broadcast(out)
		applied = true
		return nil
	})
	if err == nil && link != "" && s.links != nil {
		s.links.Record(ctx, link)
	}
	return applied, err
}

// onRole: action 0 demotes (host, or the target himself; target speaker or
// host), 2 promotes a speaker (host), 1 accepts an invitation (the target
// himself, audience with a pending invitation).
func (s *Service) onRole(ctx context.Context, room, uid string, f *Frame) (bool, error) {
	want, ok := roleAction(f.Action)
	target := f.DataText()
	if !ok || target == "" {
		return false, nil
	}
	applied := false
	err := s.inRoom(ctx, room, false, func(t *txn) error {
		if t.closed {
			return nil
		}
		me, err := t.member(uid)
		if err != nil || me == nil {
			return err
		}
		p := me
		if target != uid {
			if p, err = t.member(target); err != nil || p == nil {
				return err
			}
		}
		switch want {
		case RoleAudience:
			if (me.Role != RoleHost && target != uid) || (p.Role != RoleSpeaker && p.Role != RoleHost) {
				return nil
			}
		case RoleHost:
			if me.Role != RoleHost || p.Role != RoleSpeaker {
				return nil
			}
		case RoleSpeaker:
			if target != uid || p.Role != RoleAudience {
				return nil
			}
			invited, err := t.dropRequest(kindInvite, uid)
			if err != nil || !invited {
				return err
			}
		}
		applied = true
		return t.setRole(p, want)
	})
	return applied, err
}

// onInvite: an audience member raises a hand (heard by hosts only); a host
// invites an audience member to speak (heard by that member only).
func (s *Service) onInvite(ctx context.Context, room, uid string, f *Frame) (bool, error) {
	applied := false
	err := s.inRoom(ctx, room, false, func(t *txn) error {
		me, err := t.member(uid)
		if err != nil || me == nil || t.closed {
			return err
		}
		switch f.Action {
		case "request":
			if me.Role != RoleAudience {
				return nil
			}
			if _, err := t.dropRequest(kindInvite, uid); err != nil {
				return err
			}
			added, err := t.addRequest(kindHand, uid)
			if err != nil || !added {
				return err
			}
			hosts, err := t.hostUIDs()
			if err != nil {
				return err
			}
			t.to(hosts, f.Raw)
			applied = true
		case "response":
			target := f.DataText()
			if me.Role != RoleHost || target == "" {
				return nil
			}
			p, err := t.member(target)
			if err != nil || p == nil || p.Role != RoleAudience {
				return err
			}
			added, err := t.addRequest(kindInvite, target)
			if err != nil || !added {
				return err
			}
			if _, err := t.dropRequest(kindHand, target); err != nil {
				return err
			}
			t.to([]string{target}, f.Raw)
			applied = true
		}
		return nil
	})
	return applied, err
}
