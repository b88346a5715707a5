package io.troupe.db;

import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;

/** The intent inbox on PostgreSQL ({@link PostgresTestDatabase}): each test in its own schemas, dropped afterwards. */
class PostgresJdbcIntentInboxTest extends JdbcIntentInboxContract {

  private final List<String> schemas = new ArrayList<>();

  @BeforeEach
  void requirePostgres() {
    PostgresTestDatabase.assumeReachable();
  }

  @AfterEach
  void dropSchemas() throws SQLException {
    for (String schema : schemas) {
      PostgresTestDatabase.dropSchema(schema);
    }
    schemas.clear();
  }

  @Override
  protected Map<String, Object> freshDatabase() throws SQLException {
    String schema = PostgresTestDatabase.createSchema();
    schemas.add(schema);
    return PostgresTestDatabase.componentSettings(schema);
  }
}
