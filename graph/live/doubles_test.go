package live

import (
	"context"
	"time"

	"chaoqer/ent"
	"chaoqer/ent/entdb"
	"chaoqer/ent/linkpreview"
	"chaoqer/ent/presence"
	"chaoqer/ent/room"
	"chaoqer/ent/roompin"
	"chaoqer/ent/roomrequest"
	"chaoqer/graph/ids"
)

// dbCloser stands in for the room service in these tests: it marks the
// room closed and deletes its live state, as room.Service.Close does.
type dbCloser struct {
	Client *ent.Client
}

// MayJoin lets everyone in (the room service refuses closed rooms and
// strangers; see refusing in access_test.go).
func (d dbCloser) MayJoin(context.Context, string, string) error { return nil }

// Close closes roomID; closing a closed or missing room does nothing.
func (d dbCloser) Close(ctx context.Context, roomID string) error {
	return entdb.WithTx(ctx, d.Client, func(tx *ent.Tx) error {
		n, err := tx.Room.Update().Where(room.ID(roomID), room.Closed(false)).
			SetClosed(true).SetCloseTime(ids.Ms(time.Now())).ClearLiveState().Save(ctx)
		if err != nil || n == 0 {
			return err
		}
		if _, err := tx.Presence.Delete().Where(presence.RoomID(roomID)).Exec(ctx); err != nil {
			return err
		}
		if _, err := tx.RoomPin.Delete().Where(roompin.RoomID(roomID)).Exec(ctx); err != nil {
			return err
		}
		_, err = tx.RoomRequest.Delete().Where(roomrequest.RoomID(roomID)).Exec(ctx)
		return err
	})
}

// dbLinkRecorder stands in for the link-preview service: it records the
// link as a not-yet-fetched preview keyed by the MD5 of the text.
type dbLinkRecorder struct {
	Client *ent.Client
}

// Record inserts the link unless it is already known.
func (d dbLinkRecorder) Record(ctx context.Context, text string) {
	ms := ids.Ms(time.Now())
	_ = entdb.IgnoreConflict(d.Client.LinkPreview.Create().SetID(ids.MD5(text)).SetLink(text).SetStatus(0).
		SetCreateTime(ms).SetUpdateTime(ms).
		OnConflictColumns(linkpreview.FieldID).DoNothing().Exec(ctx))
}
