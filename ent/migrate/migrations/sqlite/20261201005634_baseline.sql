-- Create "accounts" table
CREATE TABLE `accounts` (`id` text NOT NULL, `country_code` text NOT NULL, `mobile` text NOT NULL, `mobile_md5` text NOT NULL, `status` integer NOT NULL DEFAULT (0), `client_type` integer NOT NULL DEFAULT (0), `version_name` text NOT NULL DEFAULT (''), `version_code` integer NOT NULL DEFAULT (0), `create_time` integer NOT NULL, `update_time` integer NOT NULL, `active_time` integer NOT NULL, PRIMARY KEY (`id`));
-- Create index "accounts_mobile_md5_key" to table: "accounts"
CREATE UNIQUE INDEX `accounts_mobile_md5_key` ON `accounts` (`mobile_md5`);
-- Create index "account_country_code_mobile" to table: "accounts"
CREATE UNIQUE INDEX `account_country_code_mobile` ON `accounts` (`country_code`, `mobile`);
-- Create "app_versions" table
CREATE TABLE `app_versions` (`id` text NOT NULL, `client_type` integer NOT NULL, `version_code` integer NOT NULL, `version_name` text NOT NULL, `version_desc` text NOT NULL DEFAULT (''), `forced_upgrade` bool NOT NULL DEFAULT (false), `download_url` text NOT NULL DEFAULT (''), `create_time` integer NOT NULL, PRIMARY KEY (`id`));
-- Create index "appversion_client_type_version_code" to table: "app_versions"
CREATE UNIQUE INDEX `appversion_client_type_version_code` ON `app_versions` (`client_type`, `version_code`);
-- Create "user_blocks" table
CREATE TABLE `user_blocks` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `uid` text NOT NULL, `target_uid` text NOT NULL, `create_time` integer NOT NULL, `sequence_id` text NOT NULL);
-- Create index "block_uid_target_uid" to table: "user_blocks"
CREATE UNIQUE INDEX `block_uid_target_uid` ON `user_blocks` (`uid`, `target_uid`);
-- Create index "block_uid_sequence_id" to table: "user_blocks"
CREATE INDEX `block_uid_sequence_id` ON `user_blocks` (`uid`, `sequence_id`);
-- Create index "block_target_uid" to table: "user_blocks"
CREATE INDEX `block_target_uid` ON `user_blocks` (`target_uid`);
-- Create "captchas" table
CREATE TABLE `captchas` (`id` text NOT NULL, `code` text NOT NULL, `wrong_tries` integer NOT NULL DEFAULT (0), `expire_time` integer NOT NULL, PRIMARY KEY (`id`));
-- Create "user_cards" table
CREATE TABLE `user_cards` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `holder_uid` text NOT NULL, `sender_uid` text NOT NULL, `deleted` integer NOT NULL DEFAULT (0), `create_time` integer NOT NULL, `sequence_id` text NOT NULL);
-- Create index "card_holder_uid_sender_uid" to table: "user_cards"
CREATE UNIQUE INDEX `card_holder_uid_sender_uid` ON `user_cards` (`holder_uid`, `sender_uid`);
-- Create index "card_holder_uid_deleted_sequence_id" to table: "user_cards"
CREATE INDEX `card_holder_uid_deleted_sequence_id` ON `user_cards` (`holder_uid`, `deleted`, `sequence_id`);
-- Create index "card_sender_uid" to table: "user_cards"
CREATE INDEX `card_sender_uid` ON `user_cards` (`sender_uid`);
-- Create "clubs" table
CREATE TABLE `clubs` (`id` text NOT NULL, `uid` text NOT NULL, `name` text NOT NULL, `cover` text NOT NULL, `create_time` integer NOT NULL, PRIMARY KEY (`id`));
-- Create index "club_uid" to table: "clubs"
CREATE INDEX `club_uid` ON `clubs` (`uid`);
-- Create "club_members" table
CREATE TABLE `club_members` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `club_id` text NOT NULL, `uid` text NOT NULL, `admin` bool NOT NULL DEFAULT (false), `create_time` integer NOT NULL, `sequence_id` text NOT NULL);
-- Create index "clubmember_club_id_uid" to table: "club_members"
CREATE UNIQUE INDEX `clubmember_club_id_uid` ON `club_members` (`club_id`, `uid`);
-- Create index "clubmember_club_id_sequence_id_uid" to table: "club_members"
CREATE INDEX `clubmember_club_id_sequence_id_uid` ON `club_members` (`club_id`, `sequence_id`, `uid`);
-- Create index "clubmember_uid_sequence_id" to table: "club_members"
CREATE INDEX `clubmember_uid_sequence_id` ON `club_members` (`uid`, `sequence_id`);
-- Create "events" table
CREATE TABLE `events` (`id` text NOT NULL, `uid` text NOT NULL, `name` text NOT NULL, `desc` text NULL, `member_uids` json NOT NULL, `event_time` integer NOT NULL, `room_id` text NULL, `deleted` bool NOT NULL DEFAULT (false), `create_time` integer NOT NULL, `update_time` integer NOT NULL, `sequence_id` text NOT NULL, PRIMARY KEY (`id`));
-- Create index "event_deleted_sequence_id" to table: "events"
CREATE INDEX `event_deleted_sequence_id` ON `events` (`deleted`, `sequence_id`);
-- Create "event_reminders" table
CREATE TABLE `event_reminders` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `event_id` text NOT NULL, `uid` text NOT NULL, `create_time` integer NOT NULL, `notify_time` integer NULL);
-- Create index "eventreminder_event_id_uid" to table: "event_reminders"
CREATE UNIQUE INDEX `eventreminder_event_id_uid` ON `event_reminders` (`event_id`, `uid`);
-- Create index "eventreminder_notify_time" to table: "event_reminders"
CREATE INDEX `eventreminder_notify_time` ON `event_reminders` (`notify_time`);
-- Create "app_feedback" table
CREATE TABLE `app_feedback` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `uid` text NOT NULL, `origin_feedback_type` integer NOT NULL, `origin_id` text NOT NULL, `origin_uid` text NULL, `origin_content` text NULL, `origin_content_create_time` integer NULL, `client_type` integer NOT NULL DEFAULT (0), `version_name` text NOT NULL DEFAULT (''), `version_code` integer NOT NULL DEFAULT (0), `feedback_type` integer NOT NULL DEFAULT (0), `feedback_content` text NOT NULL, `feedback_images` json NULL, `status` integer NOT NULL DEFAULT (0), `create_time` integer NOT NULL);
-- Create index "feedback_uid_create_time" to table: "app_feedback"
CREATE INDEX `feedback_uid_create_time` ON `app_feedback` (`uid`, `create_time`);
-- Create "kv_entries" table
CREATE TABLE `kv_entries` (`id` text NOT NULL, `value` text NOT NULL DEFAULT (''), `expire_time` integer NOT NULL, PRIMARY KEY (`id`));
-- Create index "kv_expire_time" to table: "kv_entries"
CREATE INDEX `kv_expire_time` ON `kv_entries` (`expire_time`);
-- Create "link_previews" table
CREATE TABLE `link_previews` (`id` text NOT NULL, `link` text NOT NULL, `url` text NOT NULL DEFAULT (''), `title` text NOT NULL DEFAULT (''), `description` text NOT NULL DEFAULT (''), `image` text NOT NULL DEFAULT (''), `status` integer NOT NULL DEFAULT (0), `create_time` integer NOT NULL, `update_time` integer NOT NULL, PRIMARY KEY (`id`));
-- Create "user_messages" table
CREATE TABLE `user_messages` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `uid` text NOT NULL, `origin_push_type` integer NOT NULL, `origin_uid` text NULL, `message_type` integer NOT NULL DEFAULT (0), `body` text NOT NULL, `unread` bool NOT NULL DEFAULT (true), `deleted` integer NOT NULL DEFAULT (0), `create_time` integer NOT NULL, `update_time` integer NOT NULL);
-- Create index "message_uid_deleted_unread" to table: "user_messages"
CREATE INDEX `message_uid_deleted_unread` ON `user_messages` (`uid`, `deleted`, `unread`);
-- Create "room_presences" table
CREATE TABLE `room_presences` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `room_id` text NOT NULL, `uid` text NOT NULL, `ruid` integer NOT NULL, `role` integer NOT NULL DEFAULT (0), `conn_id` text NOT NULL, `instance_id` text NOT NULL, `tool` text NOT NULL DEFAULT (''), `tool_data` text NOT NULL DEFAULT (''), `create_time` integer NOT NULL, `seen_time` integer NOT NULL);
-- Create index "presence_room_id_uid" to table: "room_presences"
CREATE UNIQUE INDEX `presence_room_id_uid` ON `room_presences` (`room_id`, `uid`);
-- Create index "presence_room_id_ruid" to table: "room_presences"
CREATE INDEX `presence_room_id_ruid` ON `room_presences` (`room_id`, `ruid`);
-- Create index "presence_instance_id" to table: "room_presences"
CREATE INDEX `presence_instance_id` ON `room_presences` (`instance_id`);
-- Create "user_profiles" table
CREATE TABLE `user_profiles` (`id` text NOT NULL, `nickname` text NOT NULL DEFAULT (''), `avatar` text NOT NULL DEFAULT (''), `bio` text NULL, `figure` text NULL, `create_time` integer NOT NULL, `update_time` integer NOT NULL, PRIMARY KEY (`id`));
-- Create "push_devices" table
CREATE TABLE `push_devices` (`id` text NOT NULL, `uid` text NOT NULL, `create_time` integer NOT NULL, `update_time` integer NOT NULL, PRIMARY KEY (`id`));
-- Create index "pushdevice_uid" to table: "push_devices"
CREATE INDEX `pushdevice_uid` ON `push_devices` (`uid`);
-- Create "app_reports" table
CREATE TABLE `app_reports` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `uid` text NOT NULL, `origin_report_type` integer NOT NULL, `origin_id` text NOT NULL, `origin_uid` text NOT NULL DEFAULT (''), `origin_content` text NOT NULL DEFAULT (''), `origin_content_create_time` integer NOT NULL DEFAULT (0), `report_reason_type` integer NOT NULL, `reason` text NOT NULL, `status` integer NOT NULL DEFAULT (0), `create_time` integer NOT NULL);
-- Create index "report_uid_origin_report_type_origin_id" to table: "app_reports"
CREATE UNIQUE INDEX `report_uid_origin_report_type_origin_id` ON `app_reports` (`uid`, `origin_report_type`, `origin_id`);
-- Create "rooms" table
CREATE TABLE `rooms` (`id` text NOT NULL, `uid` text NOT NULL, `name` text NULL, `club_id` text NULL, `invite_only` integer NOT NULL DEFAULT (0), `closed` bool NOT NULL DEFAULT (false), `create_time` integer NOT NULL, `close_time` integer NULL, `sequence_id` text NOT NULL, `live_state` text NULL, `empty_since` integer NULL, `ruid_seq` integer NOT NULL DEFAULT (0), PRIMARY KEY (`id`));
-- Create index "room_club_id_closed_sequence_id" to table: "rooms"
CREATE INDEX `room_club_id_closed_sequence_id` ON `rooms` (`club_id`, `closed`, `sequence_id`);
-- Create index "room_closed_invite_only_sequence_id" to table: "rooms"
CREATE INDEX `room_closed_invite_only_sequence_id` ON `rooms` (`closed`, `invite_only`, `sequence_id`);
-- Create "room_invites" table
CREATE TABLE `room_invites` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `room_id` text NOT NULL, `uid` text NOT NULL, `inviter_uid` text NOT NULL, `create_time` integer NOT NULL);
-- Create index "roominvite_room_id_uid" to table: "room_invites"
CREATE UNIQUE INDEX `roominvite_room_id_uid` ON `room_invites` (`room_id`, `uid`);
-- Create "room_pins" table
CREATE TABLE `room_pins` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `room_id` text NOT NULL, `md5` text NOT NULL, `tool` text NOT NULL, `tool_data` text NOT NULL, `to_uid` text NOT NULL DEFAULT (''), `create_time` integer NOT NULL);
-- Create index "roompin_room_id_md5" to table: "room_pins"
CREATE UNIQUE INDEX `roompin_room_id_md5` ON `room_pins` (`room_id`, `md5`);
-- Create "room_requests" table
CREATE TABLE `room_requests` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `room_id` text NOT NULL, `uid` text NOT NULL, `kind` text NOT NULL, `create_time` integer NOT NULL);
-- Create index "roomrequest_room_id_kind_uid" to table: "room_requests"
CREATE UNIQUE INDEX `roomrequest_room_id_kind_uid` ON `room_requests` (`room_id`, `kind`, `uid`);
-- Create "sessions" table
CREATE TABLE `sessions` (`id` text NOT NULL, `token_hash` text NOT NULL, `secret` text NOT NULL, `expire_time` integer NOT NULL, `login_time` integer NOT NULL, `renew_time` integer NOT NULL, `create_time` integer NOT NULL, `update_time` integer NOT NULL, PRIMARY KEY (`id`));
-- Create "share_snapshots" table
CREATE TABLE `share_snapshots` (`id` text NOT NULL, `room_id` text NOT NULL, `sharer_uid` text NOT NULL, `data` text NOT NULL, `create_time` integer NOT NULL, `expire_time` integer NOT NULL, PRIMARY KEY (`id`));
-- Create index "sharesnapshot_expire_time" to table: "share_snapshots"
CREATE INDEX `sharesnapshot_expire_time` ON `share_snapshots` (`expire_time`);
-- Create "sms_logs" table
CREATE TABLE `sms_logs` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `mobile_md5` text NOT NULL, `create_time` integer NOT NULL);
-- Create index "smslog_mobile_md5_create_time" to table: "sms_logs"
CREATE INDEX `smslog_mobile_md5_create_time` ON `sms_logs` (`mobile_md5`, `create_time`);
