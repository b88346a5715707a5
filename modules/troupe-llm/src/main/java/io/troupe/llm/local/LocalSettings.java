package io.troupe.llm.local;

import com.typesafe.config.Config;
import java.time.Duration;
import java.util.List;

/**
 * Settings of the local provider ({@code troupe.llm.local}).
 *
 * @param latency simulated latency of every call
 * @param model the model name reported when a request names none
 * @param streamChunkWords words per text delta
 * @param sqlTables tables of the demo schema the planner writes SQL templates for
 * @param sqlListLimit LIMIT of the "list" template
 * @param searchK documents asked from search_documents
 */
public record LocalSettings(
    Duration latency, String model, int streamChunkWords, List<String> sqlTables, int sqlListLimit, int searchK) {

  public LocalSettings {
    sqlTables = List.copyOf(sqlTables);
    streamChunkWords = Math.max(1, streamChunkWords);
  }

  public static LocalSettings fromConfig(Config local) {
    return new LocalSettings(
        local.getDuration("latency"),
        local.getString("model"),
        local.getInt("stream-chunk-words"),
        local.getStringList("sql-tables"),
        local.getInt("sql-list-limit"),
        local.getInt("search-k"));
  }

  /** The defaults of reference.conf, for tests and embedding. */
  public static LocalSettings defaults() {
    return new LocalSettings(Duration.ZERO, "troupe-local-planner", 3, List.of("customers", "products", "orders"), 10, 5);
  }

  public LocalSettings withLatency(Duration latency) {
    return new LocalSettings(latency, model, streamChunkWords, sqlTables, sqlListLimit, searchK);
  }
}
