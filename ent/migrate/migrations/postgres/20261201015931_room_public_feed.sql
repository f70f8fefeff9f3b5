-- Create index "room_public_feed" to table: "rooms"
CREATE INDEX "room_public_feed" ON "rooms" ("closed", "invite_only", "sequence_id") WHERE club_id IS NULL;
