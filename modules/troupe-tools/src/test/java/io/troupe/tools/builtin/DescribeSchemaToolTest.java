package io.troupe.tools.builtin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import com.fasterxml.jackson.databind.JsonNode;
import io.troupe.core.db.Database;
import io.troupe.core.json.Json;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.testkit.typed.annotations.JUnit5TestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.JUnit5TestKitBuilder;
import org.apache.pekko.actor.testkit.typed.javadsl.TestKitJUnit5Extension;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.pattern.StatusReply;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;

/** describe_schema's query, run for real on an in-memory H2 (as a SELECT-only user) by a probe standing in for the database. */
@ExtendWith(TestKitJUnit5Extension.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class DescribeSchemaToolTest {

  @JUnit5TestKit
  public final ActorTestKit testKit = new JUnit5TestKitBuilder().build();

  @Test
  void listsTablesAndColumnsOfTheCurrentSchemaOnly() throws SQLException {
    try (Connection h2 = DriverManager.getConnection("jdbc:h2:mem:describe;DB_CLOSE_DELAY=-1")) {
      try (Statement s = h2.createStatement()) {
        s.execute("CREATE TABLE customers (id BIGINT PRIMARY KEY, name VARCHAR(100), email VARCHAR(200))");
        s.execute("CREATE TABLE orders (id BIGINT PRIMARY KEY, customer_id BIGINT, total DECIMAL(10, 2))");
        s.execute("CREATE SCHEMA other");
        s.execute("CREATE TABLE other.hidden (x INT)");
        // like the column-only table the journal plugin needs in PUBLIC: temporary tables are not listed
        s.execute("CREATE GLOBAL TEMPORARY TABLE scratch (x INT)");
        // like troupe-db, read as a user with SELECT rights only
        s.execute("CREATE USER reader PASSWORD 'r'");
        s.execute("GRANT SELECT ON customers, orders TO reader");
      }
      TestProbe<Database.Command> database = testKit.createTestProbe();
      DescribeSchemaTool tool = new DescribeSchemaTool(database.ref(), testKit.system().scheduler(), 2000, Duration.ofSeconds(5));
      CompletionStage<JsonNode> stage = tool.invoke(Json.object(), null);

      Database.ReadOnlyQuery query = database.expectMessageClass(Database.ReadOnlyQuery.class);
      assertEquals(2000, query.maxRows());
      try (Connection reader = DriverManager.getConnection("jdbc:h2:mem:describe", "reader", "r")) {
        query.replyTo().tell(StatusReply.success(run(reader, query.sql())));
      }

      TestProbe<JsonNode> out = testKit.createTestProbe();
      stage.thenAccept(out.ref()::tell);
      JsonNode schema = out.receiveMessage();
      assertEquals("PUBLIC", schema.get("schema").asText());
      assertEquals(2, schema.get("tables").size(), schema.toString());
      JsonNode customers = schema.get("tables").get(0);
      assertEquals("CUSTOMERS", customers.get("name").asText());
      assertEquals("[{\"name\":\"ID\",\"type\":\"BIGINT\"},{\"name\":\"NAME\",\"type\":\"CHARACTER VARYING\"},"
          + "{\"name\":\"EMAIL\",\"type\":\"CHARACTER VARYING\"}]", customers.get("columns").toString());
      assertEquals("ORDERS", schema.get("tables").get(1).get("name").asText());
      assertFalse(schema.get("truncated").asBoolean());
    }
  }

  private static Database.QueryResult run(Connection c, String sql) throws SQLException {
    try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
      int n = rs.getMetaData().getColumnCount();
      List<String> columns = new ArrayList<>();
      for (int i = 1; i <= n; i++) columns.add(rs.getMetaData().getColumnLabel(i));
      List<List<Object>> rows = new ArrayList<>();
      while (rs.next()) {
        List<Object> row = new ArrayList<>();
        for (int i = 1; i <= n; i++) row.add(rs.getObject(i));
        rows.add(row);
      }
      return new Database.QueryResult(columns, rows, false);
    }
  }
}
