-- Keeps Database.FindOpenSessions cheap: it reads the rows of two tags (troupe-intent-open and
-- troupe-intent-closed) and joins each to its event. event_tag's primary key starts with event_id,
-- so without this index the lookup by tag scans the whole table; with (tag, event_id) an index-only
-- scan answers the tag part. Without CONCURRENTLY, which cannot run in Flyway's transaction: the build
-- blocks writes to event_tag (tagged events) while it runs, which is short for two rows per intent.
-- V3 is left to another change.
CREATE INDEX IF NOT EXISTS event_tag_tag_idx ON "${flyway:defaultSchema}".event_tag (tag, event_id);
