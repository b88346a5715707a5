package io.troupe.vector;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import java.time.Duration;

/**
 * How the index learns about writes ({@code troupe.vector-store.replication}).
 *
 * @param journal true: writes are events of the cluster's {@link DocumentLog}, and the index follows
 *     the log through the read journal {@code readJournal}; false: a standalone index on this node
 * @param readJournal plugin id of the read journal ({@code jdbc-read-journal} for pekko-persistence-jdbc)
 * @param appendTimeout how long a write waits for the log to persist it
 * @param applyBatch events applied in one Lucene commit at most
 * @param snapshotEvery events between two snapshots of the log's (tiny) state
 * @param minBackoff first delay before the log's query stream is started again after a failure
 * @param maxBackoff longest such delay
 */
public record ReplicationSettings(
    boolean journal, String readJournal, Duration appendTimeout, int applyBatch, int snapshotEvery,
    Duration minBackoff, Duration maxBackoff) {

  /** A standalone index: no journal, no cluster. */
  public static final ReplicationSettings NONE =
      new ReplicationSettings(false, "", Duration.ofSeconds(15), 256, 1000, Duration.ofSeconds(1), Duration.ofSeconds(30));

  /** Follows the log through the read journal {@code readJournal}, with the default timings. */
  public static ReplicationSettings journal(String readJournal) {
    return new ReplicationSettings(true, readJournal, Duration.ofSeconds(15), 256, 1000, Duration.ofMillis(200),
        Duration.ofSeconds(10));
  }

  public static ReplicationSettings fromConfig(Config troupe) {
    Config c = troupe.getConfig("vector-store.replication");
    String mode = c.getString("mode").trim();
    if (!mode.equals("journal") && !mode.equals("none")) {
      throw new ConfigException.BadValue("troupe.vector-store.replication.mode", "must be journal or none, not '" + mode + "'");
    }
    ReplicationSettings s = new ReplicationSettings(mode.equals("journal"), c.getString("read-journal"),
        c.getDuration("append-timeout"), c.getInt("apply-batch"), c.getInt("snapshot-every"),
        c.getDuration("restart.min-backoff"), c.getDuration("restart.max-backoff"));
    if (s.applyBatch() < 1 || s.snapshotEvery() < 1) {
      throw new ConfigException.BadValue("troupe.vector-store.replication", "apply-batch and snapshot-every must be at least 1");
    }
    return s;
  }
}
