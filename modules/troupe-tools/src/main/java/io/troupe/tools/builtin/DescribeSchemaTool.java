package io.troupe.tools.builtin;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.troupe.core.actor.Asks;
import io.troupe.core.db.Database;
import io.troupe.core.json.Json;
import io.troupe.core.llm.ToolSpec;
import io.troupe.core.tools.Tool;
import io.troupe.core.tools.ToolContext;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Scheduler;

/**
 * {@code describe_schema {}} → {@code {"schema", "tables": [{"name", "columns": [{"name", "type"}]}], "truncated"}}:
 * the tables and views of the connection's current schema (the application schema) and their
 * columns, from {@code information_schema} (the same query works on H2, where it is PUBLIC, and on
 * PostgreSQL). Only that schema: the journal and the migration history live in another one, which
 * the query account cannot read. Temporary tables are left out (per-session scratch; in H2 the
 * journal plugin needs an empty one in PUBLIC).
 */
public final class DescribeSchemaTool implements Tool {
  public static final String NAME = "describe_schema";

  static final String SQL = "SELECT c.table_schema, c.table_name, c.column_name, c.data_type"
      + " FROM information_schema.columns c JOIN information_schema.tables t"
      + " ON t.table_schema = c.table_schema AND t.table_name = c.table_name"
      + " WHERE c.table_schema = CURRENT_SCHEMA AND t.table_type NOT LIKE '%TEMPORARY'"
      + " ORDER BY c.table_name, c.ordinal_position";

  private static final ToolSpec SPEC = new ToolSpec(NAME,
      "Lists the tables of the database and their columns with types. Call it before writing SQL.",
      Schemas.object(Json.object()));

  private final ActorRef<Database.Command> database;
  private final Scheduler scheduler;
  private final int maxRows;
  private final Duration timeout;

  public DescribeSchemaTool(ActorRef<Database.Command> database, Scheduler scheduler, int maxRows, Duration timeout) {
    this.database = database;
    this.scheduler = scheduler;
    this.maxRows = maxRows;
    this.timeout = timeout;
  }

  @Override
  public ToolSpec spec() {
    return SPEC;
  }

  @Override
  public CompletionStage<JsonNode> invoke(JsonNode arguments, ToolContext context) {
    Duration askTimeout = timeout.plus(SqlQueryTool.REPLY_GRACE);
    CompletionStage<Database.QueryResult> ask = Asks.askWithStatus(
        database, replyTo -> new Database.ReadOnlyQuery(SQL, List.of(), maxRows, timeout, replyTo), askTimeout, scheduler);
    return AskFailures.explained(ask, "database", askTimeout).thenApply(DescribeSchemaTool::toJson);
  }

  static JsonNode toJson(Database.QueryResult result) {
    String schema = null;
    Map<String, ArrayNode> tables = new LinkedHashMap<>();
    for (List<Object> row : result.rows()) {
      schema = String.valueOf(row.get(0));
      ArrayNode columns = tables.computeIfAbsent(String.valueOf(row.get(1)), t -> Json.array());
      columns.addObject().put("name", String.valueOf(row.get(2))).put("type", String.valueOf(row.get(3)));
    }
    ObjectNode out = Json.object();
    out.put("schema", schema);
    ArrayNode list = out.putArray("tables");
    tables.forEach((name, columns) -> list.addObject().put("name", name).set("columns", columns));
    out.put("truncated", result.truncated());
    return out;
  }
}
