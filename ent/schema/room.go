package schema

import (
	"entgo.io/ent"
	"entgo.io/ent/dialect/entsql"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// Room is a live audio room (活动). A room with a club_id is visible to the
// club's members, one with invite_only > 0 only by invitation, any other is
// public. sequence_id is "{create_time}:{id}".
type Room struct{ ent.Schema }

// Annotations names the table.
func (Room) Annotations() []schema.Annotation {
	return []schema.Annotation{entsql.Table("rooms")}
}

// Fields of Room.
func (Room) Fields() []ent.Field {
	return []ent.Field{
		hexID(),
		uidField("uid"),
		field.String("name").MaxLen(400).Optional().Nillable(),
		field.String("club_id").MaxLen(32).Optional().Nillable(),
		field.Int("invite_only").Default(0),
		field.Bool("closed").Default(false),
		msField("create_time"),
		field.Int64("close_time").Optional().Nillable(),
		seqField(),
		// live_state is the last accepted `live` WebSocket message (raw JSON).
		field.Text("live_state").Optional().Nillable(),
		// empty_since is when the last connection left (for the sweeper).
		field.Int64("empty_since").Optional().Nillable(),
		// ruid_seq is the last room-local id (ruid) handed to a connection;
		// incremented atomically on every join (spec §12 B19).
		field.Int64("ruid_seq").Default(0),
	}
}

// Indexes of Room.
func (Room) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("club_id", "closed", "sequence_id"),
		index.Fields("closed", "invite_only", "sequence_id"),
		// The feed's public segment (spec R3) walks this newest first
		// without stepping over club rooms: 19 buffers instead of 52 for a
		// page of 20 on the issue 13 data set (EXPLAIN ANALYZE, BUFFERS).
		index.Fields("closed", "invite_only", "sequence_id").StorageKey("room_public_feed").
			Annotations(entsql.IndexWhere("club_id IS NULL")),
	}
}

// RoomInvite records that inviter_uid invited uid to a room; invited users may
// see private rooms.
type RoomInvite struct{ ent.Schema }

// Annotations names the table.
func (RoomInvite) Annotations() []schema.Annotation {
	return []schema.Annotation{entsql.Table("room_invites")}
}

// Fields of RoomInvite.
func (RoomInvite) Fields() []ent.Field {
	return []ent.Field{
		field.String("room_id").MaxLen(32),
		uidField("uid"),
		uidField("inviter_uid"),
		msField("create_time"),
	}
}

// Indexes of RoomInvite.
func (RoomInvite) Indexes() []ent.Index {
	return []ent.Index{index.Fields("room_id", "uid").Unique()}
}

// Presence is one user connected to a live room, with the role
// (0 audience, 1 speaker, 2 host) and the server instance holding the socket.
type Presence struct{ ent.Schema }

// Annotations names the table.
func (Presence) Annotations() []schema.Annotation {
	return []schema.Annotation{entsql.Table("room_presences")}
}

// Fields of Presence.
func (Presence) Fields() []ent.Field {
	return []ent.Field{
		field.String("room_id").MaxLen(32),
		uidField("uid"),
		field.Int64("ruid"),
		field.Int("role").Default(0),
		field.String("conn_id").MaxLen(64),
		field.String("instance_id").MaxLen(64),
		field.Text("tool").Default(""),
		field.Text("tool_data").Default(""),
		msField("create_time"),
		msField("seen_time"),
	}
}

// Indexes of Presence.
func (Presence) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("room_id", "uid").Unique(),
		index.Fields("room_id", "ruid"),
		index.Fields("instance_id"),
	}
}

// RoomPin is an item a host pinned in a live room.
type RoomPin struct{ ent.Schema }

// Annotations names the table.
func (RoomPin) Annotations() []schema.Annotation {
	return []schema.Annotation{entsql.Table("room_pins")}
}

// Fields of RoomPin.
func (RoomPin) Fields() []ent.Field {
	return []ent.Field{
		field.String("room_id").MaxLen(32),
		field.String("md5").MaxLen(64),
		field.String("tool").MaxLen(16),
		field.Text("tool_data"),
		field.String("to_uid").MaxLen(64).Default(""),
		msField("create_time"),
	}
}

// Indexes of RoomPin.
func (RoomPin) Indexes() []ent.Index {
	return []ent.Index{index.Fields("room_id", "md5").Unique()}
}

// RoomRequest is a raised hand (kind "hand") or a host's pending invitation
// to speak (kind "invite") in a live room.
type RoomRequest struct{ ent.Schema }

// Annotations names the table.
func (RoomRequest) Annotations() []schema.Annotation {
	return []schema.Annotation{entsql.Table("room_requests")}
}

// Fields of RoomRequest.
func (RoomRequest) Fields() []ent.Field {
	return []ent.Field{
		field.String("room_id").MaxLen(32),
		uidField("uid"),
		field.String("kind").MaxLen(8),
		msField("create_time"),
	}
}

// Indexes of RoomRequest.
func (RoomRequest) Indexes() []ent.Index {
	return []ent.Index{index.Fields("room_id", "kind", "uid").Unique()}
}

// ShareSnapshot is a frozen view of a room made for sharing (roomCacheId).
type ShareSnapshot struct{ ent.Schema }

// Annotations names the table.
func (ShareSnapshot) Annotations() []schema.Annotation {
	return []schema.Annotation{entsql.Table("share_snapshots")}
}

// Fields of ShareSnapshot. data is the JSON of the snapshot.
func (ShareSnapshot) Fields() []ent.Field {
	return []ent.Field{
		hexID(),
		field.String("room_id").MaxLen(32),
		uidField("sharer_uid"),
		field.Text("data"),
		msField("create_time"),
		msField("expire_time"),
	}
}

// Indexes of ShareSnapshot.
func (ShareSnapshot) Indexes() []ent.Index {
	return []ent.Index{index.Fields("expire_time")}
}
