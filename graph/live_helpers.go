package graph

import (
	"context"
	"encoding/json"
	"errors"

	"chaoqer/graph/errs"
	"chaoqer/graph/ids"
	"chaoqer/graph/live"
	"chaoqer/graph/model"
	"chaoqer/graph/viewer"
)

// liveRoles maps the legacy role numbers to the GraphQL enum.
var liveRoles = []model.LiveRole{model.LiveRoleAudience, model.LiveRoleSpeaker, model.LiveRoleHost}

// msgNotInRoom answers live-room mutations of a caller who is not connected.
const msgNotInRoom = "你不在此活动中"

// liveError turns live-room errors into business errors.
func liveError(err error) error {
	switch {
	case errors.Is(err, live.ErrRoomClosed):
		return errs.RoomNotFound
	case errors.Is(err, live.ErrNotMember):
		return errs.Failure(msgNotInRoom)
	}
	return err
}

// liveAct sends a frame as the caller's membership of roomID, under the
// same rules as a WebSocket frame.
func (r *mutationResolver) liveAct(ctx context.Context, roomID, event, action string, data json.RawMessage) (*model.LivePayload, error) {
	if !ids.Valid(roomID) {
		return nil, errs.RoomNotFound
	}
	uid := viewer.UID(ctx)
	applied, err := r.Live.Act(ctx, roomID, uid, live.NewFrame(event, uid, action, data))
	if err != nil {
		return nil, liveError(err)
	}
	return &model.LivePayload{Message: msgSuccess, Applied: applied}, nil
}

// liveStream relays a connection's messages to a subscription until the
// server ends the connection or the client unsubscribes; the membership
// ends with it.
func liveStream(ctx context.Context, svc *live.Service, c *live.Conn) <-chan *live.Event {
	ch := make(chan *live.Event, 16)
	go func() {
		defer close(ch)
		defer svc.Disconnect(ctx, c)
		for {
			select {
			case m := <-c.Out():
				select {
				case ch <- live.ParseEvent(m):
				case <-ctx.Done():
					return
				case <-c.Done():
					return
				}
			case <-c.Done():
				return
			case <-ctx.Done():
				return
			}
		}
	}()
	return ch
}

func jsonString(s string) json.RawMessage {
	b, _ := json.Marshal(s)
	return b
}

func optional(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}
