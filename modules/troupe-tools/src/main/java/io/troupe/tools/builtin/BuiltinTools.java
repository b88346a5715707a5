package io.troupe.tools.builtin;

import io.troupe.core.db.Database;
import io.troupe.core.tools.Tool;
import io.troupe.core.vector.VectorStore;
import io.troupe.tools.ToolSettings;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;

/** The tools a node registers by default. */
public final class BuiltinTools {
  private BuiltinTools() {}

  /**
   * calculator, current_time, search_documents (when there is a vector store), sql_query and
   * describe_schema (when there is a database).
   */
  public static List<Tool> create(
      ActorSystem<?> system, ToolSettings settings, ActorRef<VectorStore.Command> vectorStore, ActorRef<Database.Command> database) {
    List<Tool> tools = new ArrayList<>();
    tools.add(new CalculatorTool());
    tools.add(new CurrentTimeTool(Clock.systemUTC()));
    if (vectorStore != null) {
      tools.add(new SearchDocumentsTool(vectorStore, system.scheduler(), settings.searchTimeout(), settings.searchDefaultK()));
    }
    if (database != null) {
      tools.add(new SqlQueryTool(database, system.scheduler(), settings.sqlMaxRows(), settings.sqlTimeout()));
      tools.add(new DescribeSchemaTool(database, system.scheduler(), settings.schemaMaxRows(), settings.sqlTimeout()));
    }
    return List.copyOf(tools);
  }
}
