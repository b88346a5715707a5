package io.troupe.node;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.UUID;
import org.junit.jupiter.api.Assumptions;

/** The PostgreSQL at 127.0.0.1:5432 that CI provides: a skip with a reason outside CI, a failure in it. */
final class TestPostgres {
  static final String URL = "jdbc:postgresql://127.0.0.1:5432/test";

  private TestPostgres() {}

  static Connection connectOrSkip() {
    try {
      return DriverManager.getConnection(URL, "postgres", "");
    } catch (SQLException e) {
      String reason = "PostgreSQL is not reachable at 127.0.0.1:5432 (" + e.getMessage() + ")";
      if ("true".equalsIgnoreCase(System.getenv("CI"))) {
        throw new AssertionError(reason + "; CI needs it");
      }
      Assumptions.assumeTrue(false, reason + "; skipping");
      throw new IllegalStateException("unreachable");
    }
  }

  /** A fresh schema name for one test's application data (its journal goes in {@code <name>_journal}). */
  static String freshSchema(String prefix) {
    return prefix + "_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
  }
}
