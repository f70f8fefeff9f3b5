-- Create index "clubmember_uid_club_id" to table: "club_members"
CREATE INDEX `clubmember_uid_club_id` ON `club_members` (`uid`, `club_id`);
