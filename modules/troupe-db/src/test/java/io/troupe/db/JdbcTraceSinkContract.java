package io.troupe.db;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.troupe.core.db.Database;
import io.troupe.core.runtime.Lifecycle;
import io.troupe.core.session.IntentStatus;
import io.troupe.core.session.IntentView;
import io.troupe.core.session.Outcome;
import io.troupe.core.trace.StoredIntent;
import io.troupe.core.trace.TraceFixtures;
import io.troupe.core.trace.TraceStore;
import io.troupe.db.trace.JdbcTraceSink;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** {@link JdbcTraceSink} on a freshly migrated database, run against each supported one by a subclass. */
abstract class JdbcTraceSinkContract {

  /** {@code troupe.database.*} keys and {@code troupe.data-dir} of a new, empty database. */
  protected abstract Map<String, Object> freshDatabase() throws Exception;

  private final List<AutoCloseable> closing = new ArrayList<>();
  private ActorTestKit testKit;

  @AfterEach
  void closeAll() throws Exception {
    if (testKit != null) testKit.shutdownTestKit();
    for (AutoCloseable c : closing) c.close();
  }

  static Config troupeConfig(Map<String, Object> settings) {
    return ConfigFactory.parseMap(settings).withFallback(ConfigFactory.load()).getConfig("troupe");
  }

  /** Migrates a fresh database and opens a sink on it. */
  private JdbcTraceSink sink(DatabaseSettings settings) throws Exception {
    closing.add(DatabaseBootstrap.open(settings));
    JdbcTraceSink sink = new JdbcTraceSink(settings);
    closing.add(sink);
    return sink;
  }

  private static IntentView failed(IntentView v) {
    return new IntentView(v.id(), v.sessionId(), IntentStatus.CANCELLED, v.text(), v.metadata(), v.createdNanos(),
        v.finishedNanos() + 5, Outcome.failed("cancelled", "cancelled by the caller", "none"), List.of(), v.usage(),
        v.traceId(), v.sessionUsage());
  }

  @Test
  void aBatchReadsBackEqual() throws Exception {
    DatabaseSettings settings = DatabaseSettings.fromConfig(troupeConfig(freshDatabase()));
    JdbcTraceSink sink = sink(settings);
    StoredIntent a = TraceFixtures.stored("s-1:1", "s-1");
    StoredIntent b = new StoredIntent(TraceFixtures.sparseView("s-1:2", "s-1"), List.of());
    sink.write(List.of(a, b));
    assertEquals(Optional.of(a), sink.read("s-1:1"));
    assertEquals(Optional.of(b), sink.read("s-1:2"));
    assertEquals(Optional.empty(), sink.read("s-1:3"));
    assertEquals(List.of(Arrays.asList("s-1:1", "s-1", a.view().traceId(), "succeeded", a.view().finishedNanos()),
        Arrays.asList("s-1:2", "s-1", null, "failed", 2L)), columns(settings, sink.table(), "s-1"));
  }

  @Test
  void erasingASessionDeletesItsIntentsAndNoOthers() throws Exception {
    DatabaseSettings settings = DatabaseSettings.fromConfig(troupeConfig(freshDatabase()));
    JdbcTraceSink sink = sink(settings);
    sink.write(List.of(TraceFixtures.stored("s-5:1", "s-5"), TraceFixtures.stored("s-5:2", "s-5"),
        TraceFixtures.stored("s-50:1", "s-50")));
    assertEquals(2, sink.deleteSession("s-5"));
    assertEquals(Optional.empty(), sink.read("s-5:1"));
    assertEquals(Optional.empty(), sink.read("s-5:2"));
    assertEquals("s-50:1", sink.read("s-50:1").orElseThrow().view().id(), "a session whose id starts alike stays");
  }

  @Test
  void aSecondWriteOfAnIntentReplacesIt() throws Exception {
    DatabaseSettings settings = DatabaseSettings.fromConfig(troupeConfig(freshDatabase()));
    JdbcTraceSink sink = sink(settings);
    StoredIntent first = TraceFixtures.stored("s-2:1", "s-2");
    sink.write(List.of(first));
    StoredIntent second = new StoredIntent(failed(first.view()), List.of(TraceFixtures.event(9)));
    StoredIntent third = new StoredIntent(failed(first.view()), List.of(TraceFixtures.event(10)));
    sink.write(List.of(second));
    assertEquals(Optional.of(second), sink.read("s-2:1"));
    sink.write(List.of(second, third)); // twice in one batch: the last wins
    assertEquals(Optional.of(third), sink.read("s-2:1"));
    List<List<Object>> rows = columns(settings, sink.table(), "s-2");
    assertEquals(1, rows.size());
    assertEquals("cancelled", rows.get(0).get(3));
    assertEquals(first.view().finishedNanos() + 5, rows.get(0).get(4));
  }

  @Test
  void finishedIntentsAreReadFromTheDatabaseOnceTheyLeftMemory() throws Exception {
    Map<String, Object> database = freshDatabase();
    testKit = ActorTestKit.create(ConfigFactory.parseString(
        "troupe.trace { retain-finished = 1, flush-interval = 1h }").withFallback(ConfigFactory.load()));
    Config troupe = troupeConfig(database);
    ActorRef<Database.Command> actor = testKit.spawn(DatabaseActor.create(troupe, Path.of(troupe.getString("data-dir"))));
    TestProbe<Lifecycle.Initialized> probe = testKit.createTestProbe();
    actor.tell(new Lifecycle.Init(probe.getRef()));
    assertEquals(Lifecycle.Initialized.ok("database"), probe.receiveMessage(Duration.ofSeconds(30)));

    TraceStore store = TraceStore.get(testKit.system());
    StoredIntent a = TraceFixtures.stored("s-3:1", "s-3");
    a.view().steps().forEach(step -> store.step("s-3:1", step));
    a.events().forEach(event -> store.event("s-3:1", event));
    store.finish(withoutSteps(a.view()));
    store.finish(TraceFixtures.view("s-3:2", "s-3"));
    assertEquals(Optional.empty(), store.finishedInMemory("s-3:1"));
    store.flush().toCompletableFuture().get(10, TimeUnit.SECONDS);
    assertEquals(new TraceStore.Stats(2, 2, 0, 0, 0), store.stats());
    assertEquals(Optional.of(a), store.load("s-3:1").toCompletableFuture().get(10, TimeUnit.SECONDS));
    assertEquals(Optional.empty(), store.load("s-3:404").toCompletableFuture().get(10, TimeUnit.SECONDS));

    // Stopped, the actor detaches the sink: reads no longer reach the database.
    testKit.stop(actor);
    assertEquals(Optional.empty(), store.load("s-3:1").toCompletableFuture().get(10, TimeUnit.SECONDS));
  }

  private static IntentView withoutSteps(IntentView v) {
    return new IntentView(v.id(), v.sessionId(), v.status(), v.text(), v.metadata(), v.createdNanos(), v.finishedNanos(),
        v.outcome(), List.of(), v.usage(), v.traceId(), v.sessionUsage());
  }

  /** intent_id, session_id, trace_id, status, finished_at of a session's rows, as the main user sees them. */
  private static List<List<Object>> columns(DatabaseSettings settings, String table, String sessionId) throws Exception {
    Properties properties = new Properties();
    if (!settings.user().isEmpty()) properties.setProperty("user", settings.user());
    if (!settings.password().isEmpty()) properties.setProperty("password", settings.password());
    try (Connection c = DriverManager.getConnection(settings.url(), properties);
        PreparedStatement st = c.prepareStatement("SELECT \"intent_id\", \"session_id\", \"trace_id\", \"status\", \"finished_at\" FROM "
            + table + " WHERE \"session_id\" = ? ORDER BY \"intent_id\"")) {
      st.setString(1, sessionId);
      List<List<Object>> rows = new ArrayList<>();
      try (ResultSet rs = st.executeQuery()) {
        while (rs.next()) {
          rows.add(Arrays.asList(rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4), rs.getLong(5)));
        }
      }
      return rows;
    }
  }
}
