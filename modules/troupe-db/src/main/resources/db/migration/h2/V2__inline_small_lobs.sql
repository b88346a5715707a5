-- Journal events (BLOB columns) of up to 16 KiB are kept in their row instead of H2's separate LOB
-- store. Nearly every event of a session is below that; in the LOB store each one cost a second
-- map write, a copy on insert and a cleanup afterwards (about 15% of the node's CPU under
-- POST /v1/intents?wait=true load, docs/benchmarks.md "Ingress headline"). H2 keeps this setting in
-- the database; it applies to rows written from now on, and older rows stay readable as they are.
SET MAX_LENGTH_INPLACE_LOB 16384;
