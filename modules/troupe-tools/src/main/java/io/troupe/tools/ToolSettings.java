package io.troupe.tools;

import com.typesafe.config.Config;
import java.time.Duration;

/**
 * Settings of the tool registry and the built-in tools ({@code troupe.tools}).
 *
 * @param timeout a call not completed by then gets an error result
 * @param searchTimeout how long search_documents waits for the vector store
 * @param searchDefaultK k when a search call gives none
 * @param sqlMaxRows rows sql_query returns at most
 * @param sqlTimeout the statement timeout of sql_query and describe_schema
 * @param schemaMaxRows rows describe_schema reads at most
 * @param maxConcurrent a tool's concurrency limit unless it sets its own
 * @param maxQueue calls waiting for a tool's free slot at most, unless it sets its own
 */
public record ToolSettings(
    Duration timeout, Duration searchTimeout, int searchDefaultK, int sqlMaxRows, Duration sqlTimeout, int schemaMaxRows,
    int maxConcurrent, int maxQueue) {

  /** Without bulkhead settings: their defaults (16 running, 64 waiting). */
  public ToolSettings(
      Duration timeout, Duration searchTimeout, int searchDefaultK, int sqlMaxRows, Duration sqlTimeout, int schemaMaxRows) {
    this(timeout, searchTimeout, searchDefaultK, sqlMaxRows, sqlTimeout, schemaMaxRows, 16, 64);
  }

  /** The config path of the dispatcher BLOCKING tools run on. */
  public static final String BLOCKING_DISPATCHER = "troupe.tools.blocking-dispatcher";

  public static ToolSettings fromConfig(Config troupe) {
    Config c = troupe.getConfig("tools");
    return new ToolSettings(
        c.getDuration("timeout"),
        c.getDuration("search.timeout"),
        c.getInt("search.default-k"),
        c.getInt("sql.max-rows"),
        c.getDuration("sql.timeout"),
        c.getInt("schema.max-rows"),
        c.getInt("defaults.max-concurrent"),
        c.getInt("defaults.max-queue"));
  }
}
