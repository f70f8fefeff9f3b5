-- PostGraphile v4 smart comments: the ent schema declares no foreign keys
-- (rows reference each other by id columns, see ent/schema/doc.go), so the
-- relations PostGraphile needs for nested fields are declared on the table
-- comments. Applied by run.sh after the chaoqer binary migrated the schema,
-- before PostGraphile starts (it reads comments once, at introspection).
-- Field names PostGraphile derives from them: rooms.clubByClubId,
-- rooms.userProfileByUid, rooms.roomPresencesByRoomId,
-- clubs.clubMembersByClubId, userProfiles.userCardsByHolderUid, ...
COMMENT ON TABLE clubs IS
  E'@foreignKey (uid) references user_profiles (id)';
COMMENT ON TABLE club_members IS
  E'@foreignKey (club_id) references clubs (id)\n@foreignKey (uid) references user_profiles (id)';
COMMENT ON TABLE rooms IS
  E'@foreignKey (club_id) references clubs (id)\n@foreignKey (uid) references user_profiles (id)';
COMMENT ON TABLE room_presences IS
  E'@foreignKey (room_id) references rooms (id)\n@foreignKey (uid) references user_profiles (id)';
COMMENT ON TABLE user_blocks IS
  E'@foreignKey (uid) references user_profiles (id)\n@foreignKey (target_uid) references user_profiles (id)';
COMMENT ON TABLE user_cards IS
  E'@foreignKey (holder_uid) references user_profiles (id)\n@foreignKey (sender_uid) references user_profiles (id)';
-- The profile row shares its id with the account.
COMMENT ON TABLE user_profiles IS
  E'@foreignKey (id) references accounts (id)';
-- Tables the benchmark never reads through PostGraphile stay out of its
-- schema, as they would in a deployment (sessions hold signing secrets).
COMMENT ON TABLE sessions IS E'@omit';
COMMENT ON TABLE captchas IS E'@omit';
COMMENT ON TABLE kv_entries IS E'@omit';
