-- Pekko Persistence JDBC 1.1.1 schema for H2, from the plugin's schema/h2/h2-create-schema.sql, in the
-- journal schema (troupe.database.journal-schema, Flyway's default schema; upper case in H2) instead of
-- PUBLIC, the schema the read-only queries see. The plugin quotes the lower-case table and column names.

CREATE TABLE IF NOT EXISTS "${flyway:defaultSchema}"."event_journal" (
    "ordering" BIGINT UNIQUE NOT NULL AUTO_INCREMENT,
    "deleted" BOOLEAN DEFAULT false NOT NULL,
    "persistence_id" VARCHAR(255) NOT NULL,
    "sequence_number" BIGINT NOT NULL,
    "writer" VARCHAR NOT NULL,
    "write_timestamp" BIGINT NOT NULL,
    "adapter_manifest" VARCHAR NOT NULL,
    "event_payload" BLOB NOT NULL,
    "event_ser_id" INTEGER NOT NULL,
    "event_ser_manifest" VARCHAR NOT NULL,
    "meta_payload" BLOB,
    "meta_ser_id" INTEGER,
    "meta_ser_manifest" VARCHAR,
    PRIMARY KEY("persistence_id","sequence_number")
    );

CREATE UNIQUE INDEX "event_journal_ordering_idx" on "${flyway:defaultSchema}"."event_journal" ("ordering");

CREATE TABLE IF NOT EXISTS "${flyway:defaultSchema}"."event_tag" (
    "event_id" BIGINT NOT NULL,
    "tag" VARCHAR NOT NULL,
    PRIMARY KEY("event_id", "tag"),
    CONSTRAINT fk_event_journal
      FOREIGN KEY("event_id")
      REFERENCES "${flyway:defaultSchema}"."event_journal"("ordering")
      ON DELETE CASCADE
);

CREATE TABLE IF NOT EXISTS "${flyway:defaultSchema}"."snapshot" (
    "persistence_id" VARCHAR(255) NOT NULL,
    "sequence_number" BIGINT NOT NULL,
    "created" BIGINT NOT NULL,"snapshot_ser_id" INTEGER NOT NULL,
    "snapshot_ser_manifest" VARCHAR NOT NULL,
    "snapshot_payload" BLOB NOT NULL,
    "meta_ser_id" INTEGER,
    "meta_ser_manifest" VARCHAR,
    "meta_payload" BLOB,
    PRIMARY KEY("persistence_id","sequence_number")
    );

CREATE SEQUENCE IF NOT EXISTS "${flyway:defaultSchema}"."global_offset_seq";

CREATE TABLE IF NOT EXISTS "${flyway:defaultSchema}"."durable_state" (
    "global_offset" BIGINT DEFAULT NEXT VALUE FOR "${flyway:defaultSchema}"."global_offset_seq",
    "persistence_id" VARCHAR(255) NOT NULL,
    "revision" BIGINT NOT NULL,
    "state_payload" BLOB NOT NULL,
    "state_serial_id" INTEGER NOT NULL,
    "state_serial_manifest" VARCHAR,
    "tag" VARCHAR,
    "state_timestamp" BIGINT NOT NULL,
    PRIMARY KEY("persistence_id")
    );
CREATE INDEX IF NOT EXISTS "state_tag_idx" on "${flyway:defaultSchema}"."durable_state" ("tag");
CREATE INDEX IF NOT EXISTS "state_global_offset_idx" on "${flyway:defaultSchema}"."durable_state" ("global_offset");

-- The plugin's H2 durable-state store reads the default of global_offset from INFORMATION_SCHEMA with
-- TABLE_SCHEMA = 'PUBLIC' hard-coded (H2SequenceNextValUpdater, pekko-persistence-jdbc 1.1.1). This
-- column-only table answers that lookup with the sequence above; it never holds a row (a global
-- temporary table keeps rows per session anyway), and describe_schema does not list temporary tables.
CREATE GLOBAL TEMPORARY TABLE IF NOT EXISTS PUBLIC."durable_state" (
    "global_offset" BIGINT DEFAULT NEXT VALUE FOR "${flyway:defaultSchema}"."global_offset_seq"
);
