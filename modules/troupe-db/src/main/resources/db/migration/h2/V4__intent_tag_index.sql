-- Keeps Database.FindOpenSessions cheap: it reads the rows of two tags (troupe-intent-open and
-- troupe-intent-closed) and joins each to its event. event_tag's primary key starts with event_id,
-- so without this index the lookup by tag scans the whole table. With (tag, event_id) the index alone
-- answers the tag part. V3 is left to another change.
CREATE INDEX IF NOT EXISTS "event_tag_tag_idx" ON "${flyway:defaultSchema}"."event_tag" ("tag", "event_id");
