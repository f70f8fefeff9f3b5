package user

import (
	"context"

	"chaoqer/ent"
	"chaoqer/ent/block"
	"chaoqer/ent/card"
	"chaoqer/ent/entdb"
	"chaoqer/graph/errs"
	"chaoqer/graph/ids"
	"chaoqer/graph/message"
	"chaoqer/graph/page"
	"chaoqer/graph/push"
)

// Entry is one row of a block list or card holder: the other user and when.
type Entry struct {
	UID        string
	CreateTime int64
	SequenceID string
}

// Cursor is the entry's legacy sequenceId.
func (e *Entry) Cursor() string { return e.SequenceID }

// Block makes uid block target. Blocking twice keeps the first time.
func (s *Service) Block(ctx context.Context, uid, target string) error {
	if uid == target {
		return errs.Failure(msgBlockSelf)
	}
	if err := s.mustExist(ctx, target); err != nil {
		return err
	}
	nowMs := ids.Ms(s.now())
	return entdb.IgnoreConflict(s.db.Block.Create().SetUID(uid).SetTargetUID(target).SetCreateTime(nowMs).
		SetSequenceID(ids.Seq(nowMs, target)).
		OnConflictColumns(block.FieldUID, block.FieldTargetUID).DoNothing().
		Exec(ctx))
}

// Unblock removes uid's block of target (a no-op when there is none).
func (s *Service) Unblock(ctx context.Context, uid, target string) error {
	if err := s.mustExist(ctx, target); err != nil {
		return err
	}
	_, err := s.db.Block.Delete().Where(block.UID(uid), block.TargetUID(target)).Exec(ctx)
	return err
}

// Blocks lists the users uid has blocked, newest first.
func (s *Service) Blocks(ctx context.Context, uid string, args page.Args) ([]*Entry, page.Info, error) {
	q := s.db.Block.Query().Where(block.UID(uid)).Order(ent.Desc(block.FieldSequenceID)).Limit(args.First + 1)
	if args.After != "" {
		q.Where(block.SequenceIDLT(args.After))
	}
	rows, err := q.All(ctx)
	if err != nil {
		return nil, page.Info{}, err
	}
	items := make([]*Entry, len(rows))
	for i, r := range rows {
		items[i] = &Entry{UID: r.TargetUID, CreateTime: r.CreateTime, SequenceID: r.SequenceID}
	}
	items, info := page.Trim(items, args.First, (*Entry).Cursor)
	return items, info, nil
}

// SendCard gives sender's card to holder. A card sent to someone who has
// blocked the sender is filed as deleted and announces nothing.
func (s *Service) SendCard(ctx context.Context, sender, holder string) error {
	if sender == holder {
		return errs.Failure(msgCardSelf)
	}
	if err := s.mustExist(ctx, holder); err != nil {
		return err
	}
	blocked, err := s.db.Block.Query().Where(block.UID(holder), block.TargetUID(sender)).Exist(ctx)
	if err != nil {
		return err
	}
	deleted := 0
	if blocked {
		deleted = 1
	}
	prev, err := s.db.Card.Query().Where(card.HolderUID(holder), card.SenderUID(sender)).Only(ctx)
	if err != nil && !ent.IsNotFound(err) {
		return err
	}
	if prev != nil && prev.Deleted == 0 && deleted == 0 {
		return nil // already in the holder's list
	}
	nowMs := ids.Ms(s.now())
	err = s.db.Card.Create().SetHolderUID(holder).SetSenderUID(sender).SetDeleted(deleted).
		SetCreateTime(nowMs).SetSequenceID(ids.Seq(nowMs, sender)).
		OnConflictColumns(card.FieldHolderUID, card.FieldSenderUID).UpdateNewValues().
		Exec(ctx)
	if err != nil {
		return err
	}
	if deleted == 1 {
		return nil
	}
	me, err := s.StoredProfile(ctx, sender) // its nickname is kept in the notice
	if err != nil {
		return err
	}
	return s.messages.Send(ctx, message.Notice{
		UID: holder, OriginPushType: push.OriginInteractive, OriginUID: sender,
		Title: me.Nickname, Content: cardNoticeContent, URL: "chaoqer://profile/" + sender,
	})
}

// DeleteCard removes the card sender gave to holder from holder's list.
func (s *Service) DeleteCard(ctx context.Context, holder, sender string) error {
	if err := s.mustExist(ctx, sender); err != nil {
		return err
	}
	_, err := s.db.Card.Update().
		Where(card.HolderUID(holder), card.SenderUID(sender), card.Deleted(0)).
		SetDeleted(1).Save(ctx)
	return err
}

// Cards lists the cards in holder's card holder, newest first.
func (s *Service) Cards(ctx context.Context, holder string, args page.Args) ([]*Entry, page.Info, error) {
	q := s.db.Card.Query().Where(card.HolderUID(holder), card.Deleted(0)).
		Order(ent.Desc(card.FieldSequenceID)).Limit(args.First + 1)
	if args.After != "" {
		q.Where(card.SequenceIDLT(args.After))
	}
	rows, err := q.All(ctx)
	if err != nil {
		return nil, page.Info{}, err
	}
	items := make([]*Entry, len(rows))
	for i, r := range rows {
		items[i] = &Entry{UID: r.SenderUID, CreateTime: r.CreateTime, SequenceID: r.SequenceID}
	}
	items, info := page.Trim(items, args.First, (*Entry).Cursor)
	return items, info, nil
}
