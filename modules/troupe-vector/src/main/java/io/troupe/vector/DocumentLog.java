package io.troupe.vector;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import io.troupe.core.CborSerializable;
import io.troupe.core.vector.VectorStore;
import java.time.Duration;
import java.util.List;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.Entity;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityRef;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;
import org.apache.pekko.pattern.StatusReply;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.javadsl.CommandHandler;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehavior;
import org.apache.pekko.persistence.typed.javadsl.RetentionCriteria;

/**
 * The cluster's document log: every write to the vector store (an upsert with its chunks and their
 * embeddings, or a delete) as an event in the journal. One writer in the cluster (a sharded entity
 * with a fixed id), so the log has one order that every node's index applies. Each node's
 * {@link VectorStoreActor} follows it with the read journal's {@code eventsByPersistenceId}.
 *
 * <p>Its state is the number of events, so recovery is short; snapshots keep it so. Events are never
 * deleted: they are what a new or emptied index rebuilds from.
 */
public final class DocumentLog
    extends EventSourcedBehavior<DocumentLog.Command, DocumentLog.Event, DocumentLog.State> {

  public static final EntityTypeKey<Command> TYPE_KEY = EntityTypeKey.create(Command.class, "VectorDocumentLog");

  /** The one entity of the log. */
  public static final String ENTITY_ID = "documents";

  /** What the read journal is asked for: the sharded entity's persistence id. */
  public static final PersistenceId PERSISTENCE_ID = PersistenceId.of(TYPE_KEY.name(), ENTITY_ID);

  // -- protocol

  public sealed interface Command extends CborSerializable {}

  /** Persists {@code events} atomically, in order; the reply names their sequence numbers. */
  public record Append(List<Event> events, ActorRef<StatusReply<Appended>> replyTo) implements Command {}

  /** {@code events} were persisted as sequence numbers {@code firstSeq} to {@code lastSeq}. */
  public record Appended(long firstSeq, long lastSeq) implements CborSerializable {}

  // -- events

  /** Named in the serialized form: an {@link Append} carries a list of them. */
  @JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "type")
  @JsonSubTypes({
      @JsonSubTypes.Type(value = DocumentsUpserted.class, name = "upserted"),
      @JsonSubTypes.Type(value = DocumentDeleted.class, name = "deleted")})
  public sealed interface Event extends CborSerializable {}

  /**
   * Documents inserted or replaced, with their chunks and the chunks' vectors, computed by the node
   * that ingested them with the embedder {@code embedder} (an index's embedder id).
   */
  public record DocumentsUpserted(String embedder, List<LoggedDocument> documents) implements Event {}

  public record DocumentDeleted(String id) implements Event {}

  /** A document and its chunks; a chunk's text is {@code document.text()} from start to end. */
  public record LoggedDocument(VectorStore.Document document, List<LoggedChunk> chunks) implements CborSerializable {}

  public record LoggedChunk(int index, int start, int end, float[] vector) implements CborSerializable {}

  /** @param lastSeq the sequence number of the last event */
  public record State(long lastSeq) implements CborSerializable {}

  /** Starts sharding for the log on this node and returns the reference of its one entity. */
  public static EntityRef<Command> init(ActorSystem<?> system, int snapshotEvery) {
    ClusterSharding sharding = ClusterSharding.get(system);
    sharding.init(Entity.of(TYPE_KEY, entityContext ->
        create(PersistenceId.of(entityContext.getEntityTypeKey().name(), entityContext.getEntityId()), snapshotEvery)));
    return sharding.entityRefFor(TYPE_KEY, ENTITY_ID);
  }

  /** The log under {@code persistenceId}, outside sharding (tests: one writer by construction). */
  public static Behavior<Command> create(PersistenceId persistenceId, int snapshotEvery) {
    return new DocumentLog(persistenceId, snapshotEvery);
  }

  private final int snapshotEvery;

  private DocumentLog(PersistenceId persistenceId, int snapshotEvery) {
    super(persistenceId, SupervisorStrategy.restartWithBackoff(Duration.ofMillis(200), Duration.ofSeconds(10), 0.2));
    this.snapshotEvery = snapshotEvery;
  }

  @Override
  public State emptyState() {
    return new State(0);
  }

  @Override
  public CommandHandler<Command, Event, State> commandHandler() {
    return newCommandHandlerBuilder().forAnyState()
        .onCommand(Append.class, (state, append) -> {
          if (append.events().isEmpty()) {
            return Effect().reply(append.replyTo(), StatusReply.success(new Appended(state.lastSeq() + 1, state.lastSeq())));
          }
          int count = append.events().size();
          return Effect().persist(append.events())
              .thenReply(append.replyTo(), after -> StatusReply.success(new Appended(after.lastSeq() - count + 1, after.lastSeq())));
        })
        .build();
  }

  @Override
  public EventHandler<State, Event> eventHandler() {
    return newEventHandlerBuilder().forAnyState()
        .onAnyEvent((state, event) -> new State(state.lastSeq() + 1));
  }

  @Override
  public RetentionCriteria retentionCriteria() {
    // Snapshots only; the events stay (no withDeleteEventsOnSnapshot): indexes rebuild from them.
    return RetentionCriteria.snapshotEvery(snapshotEvery, 2);
  }
}
