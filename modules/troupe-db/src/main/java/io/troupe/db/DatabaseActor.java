package io.troupe.db;

import com.typesafe.config.Config;
import com.zaxxer.hikari.HikariDataSource;
import io.troupe.core.db.Database;
import io.troupe.core.db.Database.FindOpenSessions;
import io.troupe.core.inbox.IntentInbox;
import io.troupe.core.db.Database.OpenSessions;
import io.troupe.core.db.Database.QueryResult;
import io.troupe.core.db.Database.ReadOnlyQuery;
import io.troupe.core.runtime.BlockingInit;
import io.troupe.core.runtime.Lifecycle;
import io.troupe.core.trace.TraceStore;
import io.troupe.db.inbox.JdbcIntentInbox;
import io.troupe.db.trace.JdbcTraceSink;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.PreRestart;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.pattern.StatusReply;

/**
 * The database subsystem. On Init it migrates the database and opens a read-only connection pool
 * on the blocking dispatcher; then it runs {@link ReadOnlyQuery}s there, each in a read-only,
 * rolled-back transaction, confined to the application schema (see {@link DatabaseBootstrap} and
 * {@link ReadOnlyQueries}). The runtime's own reads of the journal schema ({@link FindOpenSessions})
 * run there too, on a one-connection pool of the main user. Until Init succeeds every query is
 * answered at once with "unavailable". Once migrated it also attaches the node's {@link TraceStore}
 * to the trace table ({@link JdbcTraceSink}, own small pool as the main user), and detaches it when
 * it stops.
 */
public final class DatabaseActor extends AbstractBehavior<Database.Command> {

  public static final String NAME = "database";

  private record InitDone(Opened opened, Throwable failure) implements Database.Command {}

  /** What Init opens: the query pool, the trace sink and the intent inbox unless they failed (with the reason). */
  private record Opened(DatabaseBootstrap.QueryPool pool, JdbcTraceSink traces, String tracesError, JdbcIntentInbox inbox) {
    void close() {
      pool.close();
      if (traces != null) traces.close();
      if (inbox != null) inbox.close();
    }
  }

  private record QueryDone(ActorRef<StatusReply<QueryResult>> replyTo, QueryResult result, Throwable failure)
      implements Database.Command {}

  private record HealthChecked(Throwable failure) implements Database.Command {}

  private record OpenSessionsDone(ActorRef<StatusReply<OpenSessions>> replyTo, List<String> ids, Throwable failure)
      implements Database.Command {}

  /** Settings from the {@code troupe} config subtree; {@code dataDir} holds the default H2 file. */
  public static Behavior<Database.Command> create(Config troupe, Path dataDir) {
    return Behaviors.setup(ctx -> {
      try {
        return new DatabaseActor(ctx, DatabaseSettings.fromConfig(troupe, dataDir), null);
      } catch (RuntimeException e) { // a bad setting: every Init fails with the reason
        return new DatabaseActor(ctx, null, "invalid configuration: " + e.getMessage());
      }
    });
  }

  public static Behavior<Database.Command> create(DatabaseSettings settings) {
    return Behaviors.setup(ctx -> new DatabaseActor(ctx, settings, null));
  }

  private final DatabaseSettings settings;
  private final Executor blocking;
  private final BlockingInit<Opened, Database.Command> init;

  private HikariDataSource pool; // set once Init succeeded
  private HikariDataSource mainPool; // set with pool: the main user, for the journal schema
  private JdbcTraceSink traces; // set once Init succeeded, if the sink could open
  private JdbcIntentInbox inbox; // likewise
  private String role; // PostgreSQL: the role the queries run as, if any
  private int inFlight;
  private final List<ActorRef<Lifecycle.Health>> healthWaiters = new ArrayList<>();
  private long healthCheckStartedNanos; // of the check that is out, if healthWaiters is not empty

  private DatabaseActor(ActorContext<Database.Command> ctx, DatabaseSettings settings, String configError) {
    super(ctx);
    this.settings = settings;
    this.blocking = ctx.getSystem().dispatchers().lookup(DispatcherSelector.fromConfig(DatabaseSettings.DISPATCHER));
    this.init = BlockingInit.create(ctx, NAME, configError, InitDone::new);
  }

  @Override
  public Receive<Database.Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(Lifecycle.Init.class, this::onInit)
        .onMessage(InitDone.class, this::onInitDone)
        .onMessage(ReadOnlyQuery.class, this::onQuery)
        .onMessage(QueryDone.class, this::onQueryDone)
        .onMessage(FindOpenSessions.class, this::onFindOpenSessions)
        .onMessage(OpenSessionsDone.class, this::onOpenSessionsDone)
        .onMessage(Lifecycle.CheckHealth.class, this::onCheckHealth)
        .onMessage(HealthChecked.class, this::onHealthChecked)
        .onSignal(PostStop.class, signal -> closeAll())
        .onSignal(PreRestart.class, signal -> closeAll())
        .build();
  }

  private Behavior<Database.Command> onInit(Lifecycle.Init message) {
    DatabaseSettings s = settings;
    init.onInit(message, () -> open(s), blocking);
    return this;
  }

  private static Opened open(DatabaseSettings settings) {
    DatabaseBootstrap.QueryPool pool;
    try {
      pool = DatabaseBootstrap.open(settings);
    } catch (Exception e) {
      throw new CompletionException(e);
    }
    try {
      return new Opened(pool, new JdbcTraceSink(settings), null, openInbox(settings));
    } catch (RuntimeException e) { // the queries work without it; traces then stay in memory only
      return new Opened(pool, null, DatabaseBootstrap.describe(e), openInbox(settings));
    }
  }

  /** The intent inbox, or null: without it, submissions wait for their session as before. */
  private static JdbcIntentInbox openInbox(DatabaseSettings settings) {
    try {
      return new JdbcIntentInbox(settings);
    } catch (RuntimeException e) {
      return null;
    }
  }

  private Behavior<Database.Command> onInitDone(InitDone done) {
    if (done.failure() == null) {
      DatabaseBootstrap.QueryPool opened = done.opened().pool();
      pool = opened.dataSource();
      mainPool = opened.mainPool();
      role = opened.role();
      opened.warnings().forEach(warning -> getContext().getLog().warn("database: {}", warning));
      traces = done.opened().traces();
      inbox = done.opened().inbox();
      if (inbox != null) IntentInbox.get(getContext().getSystem()).attach(inbox, blocking);
      if (traces != null) {
        TraceStore.get(getContext().getSystem()).attach(traces, blocking);
      } else {
        getContext().getLog().warn("database: intent traces stay in memory only, the trace table is unavailable: {}",
            done.opened().tracesError());
      }
      getContext().getLog().info("database ready: {}, queries run as {}", settings,
          role != null ? "role " + role : pool.getUsername());
      init.succeeded();
    } else {
      String error = DatabaseBootstrap.describe(unwrap(done.failure()));
      getContext().getLog().warn("database init failed: {}", error);
      init.failed(error);
    }
    return this;
  }

  private Behavior<Database.Command> onQuery(ReadOnlyQuery query) {
    if (pool == null) {
      query.replyTo().tell(StatusReply.error(init.unavailable()));
      return this;
    }
    if (query.sql() == null || query.sql().isBlank()) {
      query.replyTo().tell(StatusReply.error("the SQL statement is empty"));
      return this;
    }
    if (query.maxRows() < 1) {
      query.replyTo().tell(StatusReply.error("maxRows must be at least 1"));
      return this;
    }
    if (inFlight >= settings.maxInFlight()) {
      query.replyTo().tell(StatusReply.error("overloaded: " + inFlight + " queries are already queued or running"));
      return this;
    }
    HikariDataSource queryPool = pool;
    String queryRole = role;
    DatabaseSettings.Vendor vendor = settings.vendor();
    String sql = query.sql();
    List<Object> parameters = query.parameters() == null
        ? List.of()
        : Collections.unmodifiableList(new ArrayList<>(query.parameters())); // may hold nulls
    int maxRows = Math.min(query.maxRows(), settings.maxRows());
    Duration timeout = query.timeout() == null || query.timeout().isNegative() || query.timeout().isZero()
        ? settings.queryTimeout()
        : query.timeout();
    inFlight++;
    CompletableFuture<QueryResult> result = CompletableFuture.supplyAsync(() -> {
      try {
        return ReadOnlyQueries.run(queryPool, vendor, queryRole, sql, parameters, maxRows, timeout);
      } catch (ReadOnlyQueries.QueryFailed e) {
        throw new CompletionException(e);
      }
    }, blocking);
    getContext().pipeToSelf(result, (rows, failure) -> new QueryDone(query.replyTo(), rows, failure));
    return this;
  }

  private Behavior<Database.Command> onQueryDone(QueryDone done) {
    inFlight--;
    if (done.failure() == null) {
      done.replyTo().tell(StatusReply.success(done.result()));
    } else {
      Throwable cause = unwrap(done.failure());
      String message = cause instanceof ReadOnlyQueries.QueryFailed
          ? cause.getMessage()
          : "query failed: " + DatabaseBootstrap.describe(cause);
      done.replyTo().tell(StatusReply.error(message));
    }
    return this;
  }

  private Behavior<Database.Command> onFindOpenSessions(FindOpenSessions find) {
    if (mainPool == null) {
      find.replyTo().tell(StatusReply.error(init.unavailable()));
      return this;
    }
    if (find.limit() < 1) {
      find.replyTo().tell(StatusReply.error("limit must be at least 1"));
      return this;
    }
    if (inFlight >= settings.maxInFlight()) {
      find.replyTo().tell(StatusReply.error("overloaded: " + inFlight + " queries are already queued or running"));
      return this;
    }
    HikariDataSource main = mainPool;
    String schema = settings.journalSchemaName();
    int limit = find.limit();
    Duration timeout = settings.queryTimeout();
    inFlight++;
    CompletableFuture<List<String>> result = CompletableFuture.supplyAsync(() -> {
      try {
        return OpenSessionsQuery.run(main, schema, limit, timeout);
      } catch (java.sql.SQLException e) {
        throw new CompletionException(e);
      }
    }, blocking);
    getContext().pipeToSelf(result, (ids, failure) -> new OpenSessionsDone(find.replyTo(), ids, failure));
    return this;
  }

  private Behavior<Database.Command> onOpenSessionsDone(OpenSessionsDone done) {
    inFlight--;
    if (done.failure() == null) {
      done.replyTo().tell(StatusReply.success(new OpenSessions(List.copyOf(done.ids()))));
    } else {
      done.replyTo().tell(StatusReply.error("query failed: " + DatabaseBootstrap.describe(unwrap(done.failure()))));
    }
    return this;
  }

  /**
   * Borrows a connection of the main user's pool and validates it, on the blocking dispatcher. One
   * check at a time: while one is out, a check that asks is answered with it, or at once as failed
   * once the one out has taken longer than the asker allows (a pool waiting for a server that went
   * away waits up to its connection timeout).
   */
  private Behavior<Database.Command> onCheckHealth(Lifecycle.CheckHealth check) {
    HikariDataSource checked = mainPool != null ? mainPool : pool;
    if (checked == null) {
      check.replyTo().tell(new Lifecycle.Health(init.lastError() != null ? init.lastError() : "not initialized"));
      return this;
    }
    if (!healthWaiters.isEmpty()) {
      long outMillis = (System.nanoTime() - healthCheckStartedNanos) / 1_000_000;
      if (outMillis >= check.within().toMillis()) {
        check.replyTo().tell(new Lifecycle.Health("the database has not answered a health check for " + outMillis + " ms"));
      } else {
        healthWaiters.add(check.replyTo());
      }
      return this;
    }
    healthWaiters.add(check.replyTo());
    healthCheckStartedNanos = System.nanoTime();
    int seconds = (int) Math.max(1, check.within().toSeconds());
    CompletableFuture<Void> result = CompletableFuture.runAsync(() -> {
      try (java.sql.Connection c = checked.getConnection()) {
        if (!c.isValid(seconds)) throw new java.sql.SQLException("the connection is not valid");
      } catch (java.sql.SQLException e) {
        throw new CompletionException(e);
      }
    }, blocking);
    getContext().pipeToSelf(result, (ok, failure) -> new HealthChecked(failure));
    return this;
  }

  private Behavior<Database.Command> onHealthChecked(HealthChecked done) {
    Lifecycle.Health health = done.failure() == null
        ? Lifecycle.Health.ok()
        : new Lifecycle.Health(DatabaseBootstrap.describe(unwrap(done.failure())));
    healthWaiters.forEach(replyTo -> replyTo.tell(health));
    healthWaiters.clear();
    return this;
  }

  /**
   * Closes the pool, and the one a running Init may still open, on the blocking dispatcher; the
   * trace sink once the trace store has stopped using it.
   */
  private Behavior<Database.Command> closeAll() {
    if (pool != null) {
      close(pool::close, blocking);
      pool = null;
    }
    if (mainPool != null) {
      close(mainPool::close, blocking);
      mainPool = null;
    }
    if (inbox != null) {
      JdbcIntentInbox closing = inbox;
      IntentInbox.get(getContext().getSystem()).detach(closing);
      close(closing::close, blocking);
      inbox = null;
    }
    if (traces != null) {
      JdbcTraceSink sink = traces;
      Executor executor = blocking;
      TraceStore.get(getContext().getSystem()).detach(sink).whenComplete((ignored, failure) -> close(sink::close, executor));
      traces = null;
    }
    CompletableFuture<Opened> opening = init.abandon();
    if (opening != null) {
      Executor executor = blocking;
      opening.thenAccept(opened -> close(opened::close, executor));
    }
    return this;
  }

  private static void close(Runnable close, Executor blocking) {
    try {
      blocking.execute(close); // may wait for running queries to be aborted
    } catch (RejectedExecutionException e) {
      close.run(); // the dispatcher is already shut down: the system is terminating
    }
  }

  private static Throwable unwrap(Throwable failure) {
    return BlockingInit.unwrap(failure);
  }
}
