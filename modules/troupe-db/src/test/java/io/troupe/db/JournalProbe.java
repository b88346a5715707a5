package io.troupe.db;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.persistence.jdbc.query.javadsl.JdbcReadJournal;
import org.apache.pekko.persistence.query.EventEnvelope;
import org.apache.pekko.persistence.query.PersistenceQuery;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.javadsl.CommandHandler;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehavior;
import org.apache.pekko.persistence.typed.javadsl.RetentionCriteria;
import org.apache.pekko.persistence.typed.state.javadsl.DurableStateBehavior;
import org.apache.pekko.stream.javadsl.Sink;

/**
 * Test actors that write through pekko-persistence-jdbc: an event-sourced list of words (journal
 * and snapshots) and a durable-state register. They prove that the migrated schema is the one the
 * plugins expect.
 */
final class JournalProbe {
  private JournalProbe() {}

  /** The actor system config a node would derive from {@link DatabaseSettings}. */
  static Config persistenceConfig(DatabaseSettings settings) {
    Config slick = ConfigFactory.parseMap(Map.of(
        "profile", settings.vendor().slickProfile(),
        "db.url", settings.url(),
        "db.user", settings.user(),
        "db.password", settings.password(),
        "db.driver", settings.driver(),
        "db.numThreads", 2,
        "db.maxConnections", 2,
        "db.minConnections", 1));
    return ConfigFactory.parseString("""
            pekko.persistence.journal.plugin = "jdbc-journal"
            pekko.persistence.snapshot-store.plugin = "jdbc-snapshot-store"
            pekko.persistence.state.plugin = "jdbc-durable-state-store"
            jdbc-journal.use-shared-db = "slick"
            jdbc-snapshot-store.use-shared-db = "slick"
            jdbc-read-journal.use-shared-db = "slick"
            jdbc-durable-state-store.use-shared-db = "slick"
            """)
        .withFallback(ConfigFactory.parseMap(settings.journalPluginSchemaSettings()))
        .withFallback(slick.atPath("pekko-persistence-jdbc.shared-databases.slick"))
        .withFallback(ConfigFactory.load());
  }

  /** The events of {@code persistenceId} so far, through the JDBC read journal. */
  static CompletionStage<List<Object>> currentEvents(ActorSystem<?> system, String persistenceId) {
    JdbcReadJournal journal = PersistenceQuery.get(system).getReadJournalFor(JdbcReadJournal.class, JdbcReadJournal.Identifier());
    return journal.currentEventsByPersistenceId(persistenceId, 0L, Long.MAX_VALUE)
        .map(EventEnvelope::event)
        .runWith(Sink.seq(), system);
  }

  interface Command {}

  record Add(String word, ActorRef<Done> replyTo) implements Command {}

  record Get(ActorRef<String> replyTo) implements Command {}

  /** Words joined by commas; a snapshot every two events. */
  static final class Words extends EventSourcedBehavior<Command, String, String> {
    static Behavior<Command> create(String id) {
      return new Words(PersistenceId.ofUniqueId(id));
    }

    private Words(PersistenceId id) {
      super(id);
    }

    @Override
    public String emptyState() {
      return "";
    }

    @Override
    public CommandHandler<Command, String, String> commandHandler() {
      return newCommandHandlerBuilder().forAnyState()
          .onCommand(Add.class, (state, add) -> Effect().persist(add.word()).thenReply(add.replyTo(), s -> Done.getInstance()))
          .onCommand(Get.class, (state, get) -> Effect().reply(get.replyTo(), state))
          .build();
    }

    @Override
    public EventHandler<String, String> eventHandler() {
      return newEventHandlerBuilder().forAnyState()
          .onEvent(String.class, (state, word) -> state.isEmpty() ? word : state + "," + word)
          .build();
    }

    @Override
    public RetentionCriteria retentionCriteria() {
      return RetentionCriteria.snapshotEvery(2, 1);
    }
  }

  /**
   * A session's intents as the session entity tags them: each "open" event with
   * {@link io.troupe.core.db.Database#INTENT_OPEN_TAG}, each "close" with the closed tag, anything
   * else untagged; persistence id {@code Session|<id>}.
   */
  static final class TaggedSession extends EventSourcedBehavior<Command, String, String> {
    static Behavior<Command> create(String sessionId) {
      return new TaggedSession(PersistenceId.of("Session", sessionId));
    }

    private TaggedSession(PersistenceId id) {
      super(id);
    }

    @Override
    public String emptyState() {
      return "";
    }

    @Override
    public CommandHandler<Command, String, String> commandHandler() {
      return newCommandHandlerBuilder().forAnyState()
          .onCommand(Add.class, (state, add) -> Effect().persist(add.word()).thenReply(add.replyTo(), s -> Done.getInstance()))
          .onCommand(Get.class, (state, get) -> Effect().reply(get.replyTo(), state))
          .build();
    }

    @Override
    public EventHandler<String, String> eventHandler() {
      return newEventHandlerBuilder().forAnyState().onEvent(String.class, (state, event) -> state + event + ";").build();
    }

    @Override
    public java.util.Set<String> tagsFor(String event) {
      return switch (event) {
        case "open" -> java.util.Set.of(io.troupe.core.db.Database.INTENT_OPEN_TAG);
        case "close" -> java.util.Set.of(io.troupe.core.db.Database.INTENT_CLOSED_TAG);
        default -> java.util.Set.of();
      };
    }
  }

  /** A register kept in the durable_state table. */
  static final class Register extends DurableStateBehavior<Command, String> {
    static Behavior<Command> create(String id) {
      return new Register(PersistenceId.ofUniqueId(id));
    }

    private Register(PersistenceId id) {
      super(id);
    }

    @Override
    public String emptyState() {
      return "";
    }

    @Override
    public org.apache.pekko.persistence.typed.state.javadsl.CommandHandler<Command, String> commandHandler() {
      return newCommandHandlerBuilder().forAnyState()
          .onCommand(Add.class, (state, add) -> Effect().persist(add.word()).thenReply(add.replyTo(), s -> Done.getInstance()))
          .onCommand(Get.class, (state, get) -> Effect().reply(get.replyTo(), state))
          .build();
    }
  }
}
