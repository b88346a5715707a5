package io.troupe.db.ledger;

import com.fasterxml.jackson.databind.JsonNode;
import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.troupe.core.json.Json;
import io.troupe.core.llm.ToolSpec;
import io.troupe.core.tools.Reconciliation;
import io.troupe.core.tools.Tool;
import io.troupe.core.tools.ToolContext;
import io.troupe.db.DatabaseSettings;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * {@code record_effect}: a side-effecting tool for tests and drills. Every execution inserts a row
 * into {@code <journal-schema>.effect_ledger}, with the call's idempotency key, and nothing stops a
 * second row for the same key: a count above one shows a call that ran twice. It reconciles by
 * looking its key up. Enabled by {@code troupe.tools.effect-ledger.enabled} (TROUPE_EFFECT_LEDGER).
 * Blocking: the registry runs it on the tools' blocking dispatcher.
 */
public final class EffectLedgerTool implements Tool, AutoCloseable {
  public static final String NAME = "record_effect";

  private final DatabaseSettings settings;
  private final String table;
  private HikariDataSource pool;

  public EffectLedgerTool(DatabaseSettings settings) {
    this.settings = settings;
    this.table = settings.journalSchemaName() + ".effect_ledger";
  }

  /** The ledger's table, qualified by the journal schema. */
  public String table() {
    return table;
  }

  @Override
  public ToolSpec spec() {
    JsonNode parameters = Json.parse("""
        {"type":"object","additionalProperties":false,"required":["label"],
         "properties":{"label":{"type":"string","minLength":1,"maxLength":100,
           "description":"what to record"}}}""");
    return new ToolSpec(NAME, "Records an effect in the ledger (a side effect: it must not happen twice).", parameters);
  }

  @Override
  public Kind kind() {
    return Kind.BLOCKING;
  }

  @Override
  public Effect effect() {
    return Effect.SIDE_EFFECTING;
  }

  @Override
  public CompletionStage<JsonNode> invoke(JsonNode arguments, ToolContext context) {
    String label = arguments.path("label").asText();
    try (Connection c = connection();
        PreparedStatement insert = c.prepareStatement(
            "INSERT INTO " + table + " (idempotency_key, label, intent_id) VALUES (?, ?, ?)")) {
      insert.setString(1, context.idempotencyKey());
      insert.setString(2, label);
      insert.setString(3, context.intentId());
      insert.executeUpdate();
      return CompletableFuture.completedFuture(Json.object().put("recorded", label).put("key", context.idempotencyKey()));
    } catch (SQLException e) {
      return CompletableFuture.failedFuture(new IllegalStateException("the ledger is unavailable: " + e.getSQLState()));
    }
  }

  @Override
  public CompletionStage<Reconciliation> reconcile(JsonNode arguments, ToolContext context) {
    try (Connection c = connection();
        PreparedStatement find = c.prepareStatement("SELECT label FROM " + table + " WHERE idempotency_key = ?")) {
      find.setString(1, context.idempotencyKey());
      try (ResultSet rows = find.executeQuery()) {
        return CompletableFuture.completedFuture(rows.next()
            ? Reconciliation.applied(Json.object().put("recorded", rows.getString(1)).put("key", context.idempotencyKey()))
            : Reconciliation.notApplied());
      }
    } catch (SQLException e) {
      return CompletableFuture.completedFuture(Reconciliation.unknown("the ledger is unavailable: " + e.getSQLState()));
    }
  }

  /** The first call opens a small pool and creates the table if needed. */
  private static final java.util.Set<String> CONCURRENT_CREATE = java.util.Set.of("23505", "42P06", "42P07");

  private synchronized Connection connection() throws SQLException {
    if (pool == null) {
      HikariConfig config = new HikariConfig();
      config.setPoolName("troupe-effect-ledger");
      config.setJdbcUrl(settings.url());
      config.setDriverClassName(settings.driver());
      config.setUsername(settings.user().isEmpty() ? null : settings.user());
      config.setPassword(settings.password().isEmpty() ? null : settings.password());
      config.setMaximumPoolSize(4);
      config.setMinimumIdle(0);
      HikariDataSource opened = new HikariDataSource(config);
      for (int attempt = 1; ; attempt++) {
        try (Connection c = opened.getConnection(); Statement ddl = c.createStatement()) {
          ddl.execute("CREATE SCHEMA IF NOT EXISTS " + settings.journalSchemaName());
          ddl.execute("CREATE TABLE IF NOT EXISTS " + table + " (idempotency_key VARCHAR(400) NOT NULL, "
              + "label VARCHAR(100) NOT NULL, intent_id VARCHAR(300), executed_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP)");
          break;
        } catch (SQLException e) {
          // PostgreSQL: two nodes creating the same schema or table at once; the loser sees a unique
          // violation (23505) or "already exists" (42P06, 42P07). Once the winner committed, it is there.
          if (attempt < 3 && CONCURRENT_CREATE.contains(String.valueOf(e.getSQLState()))) continue;
          opened.close();
          throw e;
        }
      }
      pool = opened;
    }
    return pool.getConnection();
  }

  @Override
  public synchronized void close() {
    if (pool != null) pool.close();
  }
}
