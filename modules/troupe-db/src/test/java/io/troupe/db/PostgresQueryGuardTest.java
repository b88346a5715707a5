package io.troupe.db;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The statement check alone; {@link PostgresDatabaseActorTest} runs the escapes on PostgreSQL. */
class PostgresQueryGuardTest {

  @Test
  void letsOrdinaryQueriesThrough() {
    for (String sql : List.of(
        "SELECT * FROM customers",
        "select c.name, count(*) from customers c join orders o on o.customer_id = c.id group by c.name",
        "WITH t AS (SELECT 1 AS x) SELECT x FROM t",
        "VALUES (1), (2)",
        "TABLE customers",
        "EXPLAIN SELECT * FROM orders",
        "SHOW search_path",
        "SELECT pg_sleep(1)",
        "SELECT 'set_config(''role'', ''postgres'', true)' AS s",
        "SELECT E'it''s \\' set_config' AS s",
        "SELECT $$ DO set_config $$, $tag$ query_to_xml( $x$ $tag$",
        "SELECT 1 -- set_config('role', 'postgres', true)",
        "SELECT /* set_config( /* nested */ still comment */ 1",
        "SELECT x AS \"Set Config\" FROM t",
        "SELECT name FROM products WHERE price > 1.5e2 AND id = $1 AND 0x1F > 3",
        "SELECT lo_price FROM t",
        "SELECT date '2024-01-01', U&'d\\0061t\\+000061', B'101', X'1F', N'x'")) {
      assertNull(PostgresQueryGuard.refusal(sql), sql);
    }
  }

  @Test
  void refusesWhatCouldSwitchTheRoleOrRunSqlText() {
    List<List<String>> cases = List.of(
        List.of("SELECT set_config('role', 'postgres', true)", "set_config is not allowed"),
        List.of("SELECT SET_CONFIG('role', 'postgres', true)", "set_config is not allowed"),
        List.of("SELECT pg_catalog.set_config('role', 'postgres', true)", "set_config is not allowed"),
        List.of("SELECT \"set_config\"('role', 'postgres', true)", "set_config is not allowed"),
        List.of("SELECT set_config/**/('role', 'postgres', true)", "set_config is not allowed"),
        List.of("SELECT E'\\'', set_config('role', 'postgres', true)", "set_config is not allowed"),
        List.of("SELECT E'\\\\', set_config('role', 'postgres', true)", "set_config is not allowed"),
        List.of("SELECT 'a''', set_config('role', 'postgres', true)", "set_config is not allowed"),
        List.of("SELECT $a$ x $b$ $a$, set_config('role', 'postgres', true)", "set_config is not allowed"),
        List.of("SELECT \"a\"\"\", set_config('role', 'postgres', true)", "set_config is not allowed"),
        List.of("SELECT 1 /* /* */ */ , set_config('r', 'p', true)", "set_config is not allowed"),
        List.of("SELECT query_to_xml('select 1', true, true, '')", "query_to_xml is not allowed"),
        List.of("SELECT ts_stat('select 1')", "ts_stat is not allowed"),
        List.of("EXPLAIN ANALYZE EXECUTE s_1", "execute is not allowed"),
        List.of("DO $$ BEGIN END $$", "DO statements are not allowed"),
        List.of("  do $$ BEGIN END $$", "DO statements are not allowed"),
        List.of("SET ROLE postgres", "SET statements are not allowed"),
        List.of("/* c */ RESET ROLE", "RESET statements are not allowed"),
        List.of("{call f()}", "CALL statements are not allowed"),
        List.of("SELECT pg_read_file('/etc/passwd')", "pg_read_file(...) is not allowed"),
        List.of("SELECT * FROM pg_ls_dir ('.')", "pg_ls_dir(...) is not allowed"),
        List.of("SELECT lo_import('/etc/passwd')", "lo_import(...) is not allowed"),
        List.of("SELECT dblink_exec('x', 'y')", "dblink_exec(...) is not allowed"),
        List.of("SELECT U&\"\\0073et_config\"('role', 'postgres', true)", "Unicode-escaped identifiers (U&\"...\") are not allowed"),
        List.of("SELECT 0x1$a$ junk $a$, 1", "a number must not run into a name or $ (at offset 10)"),
        List.of("SELECT 'unterminated", "unterminated string literal"),
        List.of("SELECT $x$ unterminated", "unterminated dollar-quoted string"),
        List.of("SELECT 1 /* unterminated", "unterminated comment"));
    for (List<String> c : cases) {
      assertEquals(c.get(1), PostgresQueryGuard.refusal(c.get(0)), c.get(0));
    }
  }

  @Test
  void identifiersMayContainDollarSignsWithoutStartingAQuote() {
    // a$b$ is one identifier in PostgreSQL, so what follows is code.
    assertNotNull(PostgresQueryGuard.refusal("SELECT a$b$ , set_config('x', 'y', true) $b$"));
    // After a quoted identifier, $b$ does start a dollar quote.
    assertNull(PostgresQueryGuard.refusal("SELECT \"a\"$b$ set_config( $b$"));
  }
}
