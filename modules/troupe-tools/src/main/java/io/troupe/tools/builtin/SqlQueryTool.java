package io.troupe.tools.builtin;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.troupe.core.actor.Asks;
import io.troupe.core.db.Database;
import io.troupe.core.json.Json;
import io.troupe.core.llm.ToolSpec;
import io.troupe.core.tools.Tool;
import io.troupe.core.tools.ToolContext;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Scheduler;

/**
 * {@code sql_query {"sql", "maxRows"?}} → {@code {"columns", "rows", "truncated"}}: one read-only
 * statement, run by the database subsystem on a read-only connection with a row limit and a
 * statement timeout.
 */
public final class SqlQueryTool implements Tool {
  public static final String NAME = "sql_query";
  /** Extra time the ask waits past the statement timeout, for the database to answer. */
  static final Duration REPLY_GRACE = Duration.ofSeconds(5);

  private final ActorRef<Database.Command> database;
  private final Scheduler scheduler;
  private final int maxRows;
  private final Duration timeout;
  private final ToolSpec spec;

  public SqlQueryTool(ActorRef<Database.Command> database, Scheduler scheduler, int maxRows, Duration timeout) {
    this.database = database;
    this.scheduler = scheduler;
    this.maxRows = maxRows;
    this.timeout = timeout;
    ObjectNode properties = Json.object();
    properties.set("sql", Schemas.string("One read-only SQL statement (SELECT or WITH), e.g."
        + " \"SELECT COUNT(*) AS n FROM customers\".").put("minLength", 1).put("maxLength", 10000));
    properties.set("maxRows", Schemas.integer("Rows to return at most (at most " + maxRows + ").", 1, maxRows));
    this.spec = new ToolSpec(NAME,
        "Runs one read-only SQL query on the database and returns columns and rows. Use describe_schema to see the tables.",
        Schemas.object(properties, "sql"));
  }

  @Override
  public ToolSpec spec() {
    return spec;
  }

  @Override
  public CompletionStage<JsonNode> invoke(JsonNode arguments, ToolContext context) {
    String sql = arguments.path("sql").asText();
    int rows = Math.min(arguments.path("maxRows").asInt(maxRows), maxRows);
    Duration askTimeout = timeout.plus(REPLY_GRACE);
    CompletionStage<Database.QueryResult> ask = Asks.askWithStatus(
        database, replyTo -> new Database.ReadOnlyQuery(sql, List.of(), rows, timeout, replyTo), askTimeout, scheduler);
    return AskFailures.explained(ask, "database", askTimeout).thenApply(SqlQueryTool::toJson);
  }

  static JsonNode toJson(Database.QueryResult result) {
    ObjectNode out = Json.object();
    out.set("columns", Json.valueToTree(result.columns()));
    out.set("rows", Json.valueToTree(result.rows()));
    out.put("truncated", result.truncated());
    return out;
  }
}
