-- The traces of finished intents (steps as spans, and stream events), written behind in batches by the
-- node's trace store (io.troupe.core.trace.TraceStore, io.troupe.db.trace.JdbcTraceSink). In the journal
-- schema, so the read-only queries never see them (the reader role has no USAGE on it).
-- record: the StoredIntent as UTF-8 JSON (Json.MAPPER); finished_at: epoch nanoseconds.
-- There is no V2 for PostgreSQL (H2's V2 is an H2 setting); V4 belongs to another change.

CREATE TABLE IF NOT EXISTS "${flyway:defaultSchema}".intent_traces (
    intent_id VARCHAR(400) NOT NULL,
    session_id VARCHAR(400) NOT NULL,
    trace_id VARCHAR(64),
    status VARCHAR(32) NOT NULL,
    finished_at BIGINT NOT NULL,
    record BYTEA NOT NULL,
    PRIMARY KEY (intent_id)
);

CREATE INDEX IF NOT EXISTS intent_traces_session_idx ON "${flyway:defaultSchema}".intent_traces (session_id);
