-- Pekko Persistence JDBC 1.1.1 schema for PostgreSQL, from the plugin's schema/postgres/postgres-create-schema.sql.
-- Two changes: the journal schema (troupe.database.journal-schema, Flyway's default schema) instead of
-- "public", so that the tables stay apart from the application schema the read-only queries see, and
-- CREATE INDEX without CONCURRENTLY, which cannot run inside Flyway's transaction (the tables are empty here).

CREATE TABLE IF NOT EXISTS "${flyway:defaultSchema}".event_journal(
  ordering BIGSERIAL,
  persistence_id VARCHAR(255) NOT NULL,
  sequence_number BIGINT NOT NULL,
  deleted BOOLEAN DEFAULT FALSE NOT NULL,

  writer VARCHAR(255) NOT NULL,
  write_timestamp BIGINT,
  adapter_manifest VARCHAR(255),

  event_ser_id INTEGER NOT NULL,
  event_ser_manifest VARCHAR(255) NOT NULL,
  event_payload BYTEA NOT NULL,

  meta_ser_id INTEGER,
  meta_ser_manifest VARCHAR(255),
  meta_payload BYTEA,

  PRIMARY KEY(persistence_id, sequence_number)
);

CREATE UNIQUE INDEX event_journal_ordering_idx ON "${flyway:defaultSchema}".event_journal(ordering);

CREATE TABLE IF NOT EXISTS "${flyway:defaultSchema}".event_tag(
    event_id BIGINT,
    tag VARCHAR(256),
    PRIMARY KEY(event_id, tag),
    CONSTRAINT fk_event_journal
      FOREIGN KEY(event_id)
      REFERENCES "${flyway:defaultSchema}".event_journal(ordering)
      ON DELETE CASCADE
);

CREATE TABLE IF NOT EXISTS "${flyway:defaultSchema}".snapshot (
  persistence_id VARCHAR(255) NOT NULL,
  sequence_number BIGINT NOT NULL,
  created BIGINT NOT NULL,

  snapshot_ser_id INTEGER NOT NULL,
  snapshot_ser_manifest VARCHAR(255) NOT NULL,
  snapshot_payload BYTEA NOT NULL,

  meta_ser_id INTEGER,
  meta_ser_manifest VARCHAR(255),
  meta_payload BYTEA,

  PRIMARY KEY(persistence_id, sequence_number)
);

CREATE TABLE IF NOT EXISTS "${flyway:defaultSchema}".durable_state (
    global_offset BIGSERIAL,
    persistence_id VARCHAR(255) NOT NULL,
    revision BIGINT NOT NULL,
    state_payload BYTEA NOT NULL,
    state_serial_id INTEGER NOT NULL,
    state_serial_manifest VARCHAR(255),
    tag VARCHAR,
    state_timestamp BIGINT NOT NULL,
    PRIMARY KEY(persistence_id)
    );
CREATE INDEX state_tag_idx on "${flyway:defaultSchema}".durable_state (tag);
CREATE INDEX state_global_offset_idx on "${flyway:defaultSchema}".durable_state (global_offset);
