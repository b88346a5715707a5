package io.troupe.vector;

import com.typesafe.config.Config;
import io.troupe.core.actor.Asks;
import io.troupe.core.runtime.BlockingInit;
import io.troupe.core.runtime.Lifecycle;
import io.troupe.core.vector.VectorStore;
import io.troupe.core.vector.VectorStore.Delete;
import io.troupe.core.vector.VectorStore.Deleted;
import io.troupe.core.vector.VectorStore.Document;
import io.troupe.core.vector.VectorStore.Hit;
import io.troupe.core.vector.VectorStore.Search;
import io.troupe.core.vector.VectorStore.SearchResult;
import io.troupe.core.vector.VectorStore.Upsert;
import io.troupe.core.vector.VectorStore.Upserted;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.PreRestart;
import org.apache.pekko.actor.typed.RecipientRef;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.pattern.StatusReply;
import org.apache.pekko.persistence.query.EventEnvelope;
import org.apache.pekko.persistence.query.PersistenceQuery;
import org.apache.pekko.persistence.query.javadsl.EventsByPersistenceIdQuery;
import org.apache.pekko.stream.KillSwitches;
import org.apache.pekko.stream.UniqueKillSwitch;
import org.apache.pekko.stream.javadsl.Keep;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.typed.javadsl.ActorSink;

/**
 * The vector store subsystem: a persistent Lucene HNSW index in {@code <data-dir>/index}. Init
 * makes the embedder (loading a local model on the embedding dispatcher) and then opens the index
 * on the vector-store dispatcher. The actor itself never blocks: every step's result comes back
 * with {@code pipeToSelf}.
 *
 * <p>A write goes through three stages. <b>Prepare</b>, in arrival order, at most 64 writes at a
 * time: chunk the texts and embed every chunk. <b>Append</b>: the writes become events of the
 * document log with consecutive sequence numbers. With {@link ReplicationSettings#journal()} the
 * log is the cluster's {@link DocumentLog} (persisted in the journal before it answers); standalone,
 * this actor numbers them itself. <b>Apply</b>: events are written to the index strictly in log
 * order, each commit recording the last applied sequence number; a write is answered once its
 * event is applied, so an acknowledged write is durable and visible to the next search on this node.
 *
 * <p>With the journal, the actor also follows the log with the read journal's
 * {@code eventsByPersistenceId}, from the sequence number its index has: writes made through other
 * nodes arrive that way, and a new or emptied index rebuilds. An event this node appended is
 * applied as soon as the log confirms it (or when the events before it have arrived); one that the
 * stream brings again is skipped. The stream runs with a kill switch and restarts with backoff.
 */
public final class VectorStoreActor extends AbstractBehavior<VectorStore.Command> {

  public static final String NAME = "vector-store";

  /** Writes prepared and appended together at most. */
  private static final int MAX_BATCH = 64;

  /**
   * Estimated serialized size of one batch's events at most (text, metadata and vectors): half of
   * artery's default large frame (2 MiB), which an Append to a log entity on another node must fit.
   * A batch always takes its first write, whatever its size.
   */
  private static final long MAX_BATCH_BYTES = 1 << 20;

  /** Outcomes of applied events kept for a confirmation of the log that arrives after the stream brought the event. */
  private static final int RECENT_OUTCOMES = 4096;

  /** Where the index stands in the document log (tests and diagnostics). */
  public record GetReplicationStatus(ActorRef<ReplicationStatus> replyTo) implements VectorStore.Command {}

  /**
   * @param ready the index is open
   * @param appliedSeq every event of the log up to this one is in the index (and in its last commit)
   * @param following a read-journal stream follows the log
   * @param followedFrom the sequence number the current stream started at (0: none)
   * @param eventsApplied events this actor wrote to the index since it started (skipped ones excluded)
   */
  public record ReplicationStatus(boolean ready, long appliedSeq, boolean following, long followedFrom, long eventsApplied) {}

  private enum StreamAck { ACK }

  private record Opened(AsyncEmbedder embedder, LuceneIndex index, EventsByPersistenceIdQuery readJournal) {}

  private record InitDone(Opened opened, Throwable failure) implements VectorStore.Command {}

  private record WritesPrepared(List<VectorStore.Command> writes, List<LuceneIndex.Prepared> prepared, Throwable failure)
      implements VectorStore.Command {}

  private record WritesAppended(List<VectorStore.Command> writes, List<DocumentLog.Event> events,
      DocumentLog.Appended appended, Throwable failure) implements VectorStore.Command {}

  private record EventsApplied(long firstSeq, long lastSeq, List<LuceneIndex.WriteOutcome> outcomes, Throwable failure)
      implements VectorStore.Command {}

  private record StreamStarted(long generation, ActorRef<StreamAck> ackTo) implements VectorStore.Command {}

  private record LogEvents(long generation, List<EventEnvelope> envelopes, ActorRef<StreamAck> ackTo)
      implements VectorStore.Command {}

  private record StreamEnded(long generation, Throwable failure) implements VectorStore.Command {}

  private record RestartStream(long generation) implements VectorStore.Command {}

  private record SearchDone(ActorRef<StatusReply<SearchResult>> replyTo, List<Hit> hits, Throwable failure)
      implements VectorStore.Command {}

  /** The index in {@code <dataDir>/index}, with the local embedder named in {@code troupe.vector-store}. */
  public static Behavior<VectorStore.Command> create(Config troupe, Path dataDir) {
    return create(troupe, dataDir, null);
  }

  /**
   * Like {@link #create(Config, Path)}; {@code remote} supplies the embedder when the settings
   * name one that is not local ({@code openai}), and may be null otherwise. With
   * {@code troupe.vector-store.replication.mode = journal} the store starts the {@link DocumentLog}'s
   * sharding on this node (the actor system must be a cluster one) and follows the log.
   */
  public static Behavior<VectorStore.Command> create(Config troupe, Path dataDir, EmbedderFactory remote) {
    return Behaviors.setup(ctx -> {
      VectorStoreSettings settings;
      ReplicationSettings replication;
      EmbedderFactory factory;
      try {
        settings = VectorStoreSettings.fromConfig(troupe, dataDir);
        replication = ReplicationSettings.fromConfig(troupe);
        if (settings.embedder().equals("openai")) {
          if (remote == null) {
            throw new IllegalArgumentException("embedder 'openai' needs the node's wiring");
          }
          factory = remote;
        } else {
          factory = EmbedderFactory.local(settings);
        }
      } catch (RuntimeException e) { // a bad setting: every Init fails with the reason
        return Behaviors.<VectorStore.Command>withTimers(timers -> new VectorStoreActor(ctx, timers, null, null,
            ReplicationSettings.NONE, null, "invalid configuration: " + e.getMessage()));
      }
      RecipientRef<DocumentLog.Command> log = replication.journal()
          ? DocumentLog.init(ctx.getSystem(), replication.snapshotEvery())
          : null;
      return Behaviors.<VectorStore.Command>withTimers(timers ->
          new VectorStoreActor(ctx, timers, settings, factory, replication, log, null));
    });
  }

  /** With an embedder of your own, run on the embedding dispatcher (its dimension wins over {@code settings.dimension()}). */
  public static Behavior<VectorStore.Command> create(VectorStoreSettings settings, Embedder embedder) {
    return create(settings, EmbedderFactory.of(embedder, settings.embedBatchSize()));
  }

  /** With an embedder factory of your own, called at Init on the embedding dispatcher; a standalone index. */
  public static Behavior<VectorStore.Command> create(VectorStoreSettings settings, EmbedderFactory embedders) {
    return create(settings, embedders, ReplicationSettings.NONE, null);
  }

  /**
   * An index that follows the document log {@code log} (a {@link DocumentLog} with
   * {@link DocumentLog#PERSISTENCE_ID}) when {@code replication.journal()}; {@code log} may be null
   * otherwise.
   */
  public static Behavior<VectorStore.Command> create(
      VectorStoreSettings settings, EmbedderFactory embedders, ReplicationSettings replication,
      RecipientRef<DocumentLog.Command> log) {
    if (replication.journal() && log == null) {
      throw new IllegalArgumentException("a store that follows the journal needs the document log");
    }
    return Behaviors.setup(ctx -> Behaviors.<VectorStore.Command>withTimers(timers ->
        new VectorStoreActor(ctx, timers, settings, embedders, replication, replication.journal() ? log : null, null)));
  }

  private final TimerScheduler<VectorStore.Command> timers;
  private final VectorStoreSettings settings;
  private final EmbedderFactory embedders;
  private final ReplicationSettings replication;
  private final RecipientRef<DocumentLog.Command> log; // null: standalone
  private final BlockingInit<Opened, VectorStore.Command> init;
  private final Executor executor;
  private final Executor embeddingExecutor;
  private final Chunker chunker;

  private AsyncEmbedder embedder; // set once Init succeeded
  private LuceneIndex index; // set once Init succeeded
  private EventsByPersistenceIdQuery readJournal; // set once Init succeeded, with the journal

  // Prepare and append: one batch at a time, in arrival order.
  private final ArrayDeque<VectorStore.Command> pendingWrites = new ArrayDeque<>();
  private boolean writing;
  private long lastLocalSeq; // standalone: the last sequence number handed out

  // Apply: events by sequence number, applied strictly in order from appliedSeq + 1.
  private long appliedSeq;
  private long eventsApplied;
  private final TreeMap<Long, DocumentLog.Event> ahead = new TreeMap<>();
  private final Map<Long, VectorStore.Command> waiters = new HashMap<>(); // who waits for which event
  private final LinkedHashMap<Long, LuceneIndex.WriteOutcome> recentOutcomes = new LinkedHashMap<>(16, 0.75f, false) {
    @Override
    protected boolean removeEldestEntry(Map.Entry<Long, LuceneIndex.WriteOutcome> eldest) {
      return size() > RECENT_OUTCOMES;
    }
  };
  private CompletableFuture<?> applying; // the running Lucene batch, if any

  // The read-journal stream that follows the log.
  /** Stream ids are unique in the JVM: a restarted actor keeps its ActorRef, and its old stream's last messages may still come. */
  private static final AtomicLong STREAM_IDS = new AtomicLong();

  private long streamGeneration;
  private UniqueKillSwitch killSwitch;
  private long followedFrom;
  private ActorRef<StreamAck> streamAck; // the stream waits for this ack
  private int streamFailures;

  private VectorStoreActor(
      ActorContext<VectorStore.Command> ctx, TimerScheduler<VectorStore.Command> timers, VectorStoreSettings settings,
      EmbedderFactory embedders, ReplicationSettings replication, RecipientRef<DocumentLog.Command> log, String configError) {
    super(ctx);
    this.timers = timers;
    this.settings = settings;
    this.embedders = embedders;
    this.replication = replication;
    this.log = log;
    this.init = BlockingInit.create(ctx, NAME, configError, InitDone::new);
    this.executor = ctx.getSystem().dispatchers().lookup(DispatcherSelector.fromConfig(VectorStoreSettings.DISPATCHER));
    this.embeddingExecutor = ctx.getSystem().dispatchers().lookup(DispatcherSelector.fromConfig(VectorStoreSettings.EMBEDDING_DISPATCHER));
    this.chunker = settings == null ? null : settings.chunker();
  }

  @Override
  public Receive<VectorStore.Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(Lifecycle.Init.class, this::onInit)
        .onMessage(InitDone.class, this::onInitDone)
        .onMessage(Upsert.class, this::onUpsert)
        .onMessage(Delete.class, this::onDelete)
        .onMessage(VectorStore.DeleteWhere.class, this::onDeleteWhere)
        .onMessage(FoundToDelete.class, this::onFoundToDelete)
        .onMessage(WritesPrepared.class, this::onWritesPrepared)
        .onMessage(WritesAppended.class, this::onWritesAppended)
        .onMessage(EventsApplied.class, this::onEventsApplied)
        .onMessage(StreamStarted.class, this::onStreamStarted)
        .onMessage(LogEvents.class, this::onLogEvents)
        .onMessage(StreamEnded.class, this::onStreamEnded)
        .onMessage(RestartStream.class, this::onRestartStream)
        .onMessage(Search.class, this::onSearch)
        .onMessage(SearchDone.class, this::onSearchDone)
        .onMessage(GetReplicationStatus.class, this::onGetReplicationStatus)
        .onSignal(PostStop.class, signal -> stop())
        .onSignal(PreRestart.class, signal -> stop())
        .build();
  }

  // -- lifecycle

  private Behavior<VectorStore.Command> onInit(Lifecycle.Init message) {
    init.onInit(message, () -> {
      Path path = settings.indexDirectory();
      EmbedderFactory factory = embedders;
      org.apache.pekko.actor.typed.ActorSystem<?> system = getContext().getSystem();
      VectorStoreSettings s = settings;
      String readJournalId = replication.journal() ? replication.readJournal() : null;
      return CompletableFuture.supplyAsync(() -> {
        try {
          return factory.create(system, embeddingExecutor);
        } catch (Exception e) {
          throw new CompletionException(e);
        }
      }, embeddingExecutor).thenCompose(made -> LuceneIndex.previousClosed(path).thenApplyAsync(ignored -> {
        try {
          // The read journal first: a plugin that is missing or misconfigured fails Init with its reason.
          EventsByPersistenceIdQuery query = readJournalId == null ? null
              : PersistenceQuery.get(system).getReadJournalFor(EventsByPersistenceIdQuery.class, readJournalId);
          return new Opened(made, LuceneIndex.open(path, made.id(), made.dimension(), s.maxConn(), s.beamWidth()), query);
        } catch (Exception e) {
          throw new CompletionException(e);
        }
      }, executor));
    });
    return this;
  }

  private Behavior<VectorStore.Command> onInitDone(InitDone done) {
    if (done.failure() == null) {
      index = done.opened().index();
      embedder = done.opened().embedder();
      readJournal = done.opened().readJournal();
      appliedSeq = index.appliedSeq();
      lastLocalSeq = appliedSeq;
      getContext().getLog().info("vector store ready: {} with embedder {}, at event {} of the document log{}",
          index.path(), embedder.id(), appliedSeq, log == null ? " (standalone)" : "");
      if (readJournal != null) {
        startStream();
      }
      init.succeeded();
    } else {
      String error = describe(done.failure());
      getContext().getLog().warn("vector store init failed: {}", error);
      init.failed(error);
    }
    return this;
  }

  /** Stops following the log and closes the index after the running batch (or once a running Init has opened it). */
  private Behavior<VectorStore.Command> stop() {
    if (killSwitch != null) {
      killSwitch.shutdown();
      killSwitch = null;
    }
    CompletableFuture<?> pending = applying == null ? CompletableFuture.completedFuture(null) : applying;
    CompletableFuture<Opened> opening = init.abandon();
    if (index != null) {
      LuceneIndex.closeLater(index.path(), CompletableFuture.completedFuture(index), pending, executor);
      index = null;
    } else if (opening != null) {
      LuceneIndex.closeLater(settings.indexDirectory(), opening.thenApply(Opened::index), pending, executor);
    }
    return this;
  }

  private Behavior<VectorStore.Command> onGetReplicationStatus(GetReplicationStatus get) {
    get.replyTo().tell(new ReplicationStatus(index != null, appliedSeq, killSwitch != null, followedFrom, eventsApplied));
    return this;
  }

  // -- writes: validate and queue

  private Behavior<VectorStore.Command> onUpsert(Upsert upsert) {
    if (index == null) {
      upsert.replyTo().tell(StatusReply.error(init.unavailable()));
      return this;
    }
    String invalid = invalid(upsert.documents());
    if (invalid != null) {
      upsert.replyTo().tell(StatusReply.error(invalid));
      return this;
    }
    enqueue(upsert);
    return this;
  }

  private Behavior<VectorStore.Command> onDelete(Delete delete) {
    if (index == null) {
      delete.replyTo().tell(StatusReply.error(init.unavailable()));
      return this;
    }
    if (delete.id() == null || delete.id().isBlank()) {
      delete.replyTo().tell(StatusReply.error("the document id is empty"));
      return this;
    }
    enqueue(delete);
    return this;
  }

  /** The documents a {@link VectorStore.DeleteWhere} matched, found off the actor's thread. */
  private record FoundToDelete(VectorStore.DeleteWhere request, List<String> ids, Throwable failure)
      implements VectorStore.Command {}

  /** Documents one DeleteWhere deletes at most; a client erasing more deletes again. */
  private static final int MAX_DELETE_WHERE = 10_000;

  private Behavior<VectorStore.Command> onDeleteWhere(VectorStore.DeleteWhere request) {
    if (index == null) {
      request.replyTo().tell(StatusReply.error(init.unavailable()));
      return this;
    }
    if (request.filter() == null || request.filter().isEmpty()
        || request.filter().entrySet().stream().anyMatch(e -> e.getKey() == null || e.getValue() == null)) {
      request.replyTo().tell(StatusReply.error("a delete needs a filter of keys and values"));
      return this;
    }
    LuceneIndex target = index;
    Map<String, String> filter = Map.copyOf(request.filter());
    getContext().pipeToSelf(CompletableFuture.supplyAsync(() -> {
      try {
        return target.idsWhere(filter, MAX_DELETE_WHERE);
      } catch (Exception e) {
        throw new CompletionException(e);
      }
    }, executor), (ids, failure) -> new FoundToDelete(request, ids, failure));
    return this;
  }

  /** One Delete each, through the write path (and the replication log); the reply once all are done. */
  private Behavior<VectorStore.Command> onFoundToDelete(FoundToDelete found) {
    if (found.failure() != null) {
      found.request().replyTo().tell(StatusReply.error("the documents could not be found: " + found.failure().getMessage()));
      return this;
    }
    if (found.ids().isEmpty()) {
      found.request().replyTo().tell(StatusReply.success(new VectorStore.DeletedWhere(List.of())));
      return this;
    }
    ActorRef<StatusReply<VectorStore.Deleted>> gather =
        getContext().spawnAnonymous(DeletesGathered.create(found.ids().size(), found.request().replyTo()));
    for (String id : found.ids()) {
      enqueue(new Delete(id, gather));
    }
    return this;
  }

  /** Waits for the deletes of one DeleteWhere and answers with their ids, or the first failure. */
  private static final class DeletesGathered {
    static Behavior<StatusReply<VectorStore.Deleted>> create(int expected,
        ActorRef<StatusReply<VectorStore.DeletedWhere>> replyTo) {
      return Behaviors.setup(ctx -> waiting(expected, new ArrayList<>(), replyTo));
    }

    private static Behavior<StatusReply<VectorStore.Deleted>> waiting(int expected, List<String> ids,
        ActorRef<StatusReply<VectorStore.DeletedWhere>> replyTo) {
      return Behaviors.receive((ctx, reply) -> {
        if (reply.isError()) {
          replyTo.tell(StatusReply.error(reply.getError().getMessage()));
          return Behaviors.stopped();
        }
        ids.add(reply.getValue().id());
        if (ids.size() < expected) return Behaviors.same();
        replyTo.tell(StatusReply.success(new VectorStore.DeletedWhere(List.copyOf(ids))));
        return Behaviors.stopped();
      });
    }
  }

  private static String invalid(List<Document> documents) {
    if (documents == null) {
      return "no documents";
    }
    for (Document document : documents) {
      if (document == null || document.id() == null || document.id().isBlank()) {
        return "a document id is empty";
      }
      if (document.text() == null || document.text().isBlank()) {
        return "the text of document " + document.id() + " is empty";
      }
      for (Map.Entry<String, String> entry : document.metadata().entrySet()) {
        if (entry.getKey() == null || entry.getKey().isBlank() || entry.getValue() == null) {
          return "document " + document.id() + " has an empty metadata key or value";
        }
      }
    }
    return null;
  }

  private void enqueue(VectorStore.Command write) {
    pendingWrites.add(write);
    if (!writing) {
      prepareNextBatch();
    }
  }

  // -- writes: prepare (chunk and embed)

  private void prepareNextBatch() {
    List<VectorStore.Command> batch = new ArrayList<>();
    long bytes = 0;
    while (!pendingWrites.isEmpty() && batch.size() < MAX_BATCH) {
      long size = estimatedBytes(pendingWrites.peek());
      if (!batch.isEmpty() && bytes + size > MAX_BATCH_BYTES) {
        break;
      }
      bytes += size;
      batch.add(pendingWrites.poll());
    }
    writing = true;
    getContext().pipeToSelf(prepare(batch, embedder, chunker, executor),
        (prepared, failure) -> new WritesPrepared(batch, prepared, failure));
  }

  /**
   * Chunks every upserted text (on {@code executor}) and embeds all chunks of the batch with one
   * {@link AsyncEmbedder#embedAll}. If embedding fails, the batch's upserts are refused with the
   * reason and its deletes still apply.
   */
  static CompletableFuture<List<LuceneIndex.Prepared>> prepare(
      List<VectorStore.Command> batch, AsyncEmbedder embedder, Chunker chunker, Executor executor) {
    return CompletableFuture.supplyAsync(() -> {
      List<List<Chunker.Chunk>> chunked = new ArrayList<>();
      List<String> texts = new ArrayList<>();
      for (VectorStore.Command write : batch) {
        if (write instanceof Upsert upsert) {
          for (Document document : upsert.documents()) {
            List<Chunker.Chunk> chunks = chunker.split(document.text());
            chunked.add(chunks);
            chunks.forEach(chunk -> texts.add(chunk.text()));
          }
        }
      }
      return Map.entry(chunked, texts);
    }, executor).thenCompose(split -> embedder.embedAll(split.getValue()).handle((vectors, failure) -> {
      List<LuceneIndex.Prepared> prepared = new ArrayList<>(batch.size());
      int document = 0;
      int vector = 0;
      for (VectorStore.Command write : batch) {
        if (write instanceof Upsert upsert) {
          List<LuceneIndex.PreparedDocument> documents = new ArrayList<>();
          for (Document source : upsert.documents()) {
            List<Chunker.Chunk> chunks = split.getKey().get(document++);
            if (failure == null) {
              documents.add(new LuceneIndex.PreparedDocument(source, chunks, vectors.subList(vector, vector + chunks.size())));
            }
            vector += chunks.size();
          }
          prepared.add(failure == null
              ? new LuceneIndex.PreparedUpsert(documents)
              : new LuceneIndex.Refused("embedding failed: " + describe(failure)));
        } else if (write instanceof Delete delete) {
          prepared.add(new LuceneIndex.PreparedDelete(delete.id()));
        } else {
          prepared.add(new LuceneIndex.Refused("not a write: " + write.getClass().getSimpleName()));
        }
      }
      if (failure == null && vectors.size() != vector) {
        throw new CompletionException(new IllegalStateException(
            "the embedder returned " + vectors.size() + " vectors for " + vector + " chunks"));
      }
      return prepared;
    }));
  }

  /** About what a write weighs as an event: its text and metadata, and 5 bytes per vector component in CBOR. */
  private long estimatedBytes(VectorStore.Command write) {
    if (!(write instanceof Upsert upsert)) {
      return 64;
    }
    long step = Math.max(1, settings.chunkSize() - settings.chunkOverlap());
    long bytes = 0;
    for (Document document : upsert.documents()) {
      long chunks = 1 + document.text().length() / step;
      bytes += 64 + 3L * document.text().length() + chunks * (32 + 5L * embedder.dimension());
      for (Map.Entry<String, String> entry : document.metadata().entrySet()) {
        bytes += 3L * (entry.getKey().length() + entry.getValue().length());
      }
    }
    return bytes;
  }

  // -- writes: append to the log

  private Behavior<VectorStore.Command> onWritesPrepared(WritesPrepared done) {
    if (done.failure() != null) {
      String error = "write failed: " + describe(done.failure());
      done.writes().forEach(write -> replyError(write, error));
      return nextBatch();
    }
    List<VectorStore.Command> writes = new ArrayList<>();
    List<DocumentLog.Event> events = new ArrayList<>();
    for (int i = 0; i < done.writes().size(); i++) {
      VectorStore.Command write = done.writes().get(i);
      LuceneIndex.Prepared prepared = done.prepared().get(i);
      if (prepared instanceof LuceneIndex.PreparedUpsert upsert) {
        writes.add(write);
        events.add(new DocumentLog.DocumentsUpserted(embedder.id(), upsert.documents().stream().map(VectorStoreActor::logged).toList()));
      } else if (prepared instanceof LuceneIndex.PreparedDelete delete) {
        writes.add(write);
        events.add(new DocumentLog.DocumentDeleted(delete.id()));
      } else if (prepared instanceof LuceneIndex.Refused refused) {
        replyError(write, refused.error());
      }
    }
    if (events.isEmpty()) {
      return nextBatch();
    }
    if (log == null) { // standalone: this actor is the log
      long first = lastLocalSeq + 1;
      lastLocalSeq += events.size();
      return onWritesAppended(new WritesAppended(writes, events, new DocumentLog.Appended(first, lastLocalSeq), null));
    }
    Asks.askWithStatus(getContext(), DocumentLog.Appended.class, log, replication.appendTimeout(),
        replyTo -> new DocumentLog.Append(events, replyTo),
        (appended, failure) -> new WritesAppended(writes, events, appended, failure));
    return this;
  }

  private static DocumentLog.LoggedDocument logged(LuceneIndex.PreparedDocument prepared) {
    List<DocumentLog.LoggedChunk> chunks = new ArrayList<>(prepared.chunks().size());
    for (int i = 0; i < prepared.chunks().size(); i++) {
      Chunker.Chunk chunk = prepared.chunks().get(i);
      chunks.add(new DocumentLog.LoggedChunk(chunk.index(), chunk.start(), chunk.end(), prepared.vectors().get(i)));
    }
    return new DocumentLog.LoggedDocument(prepared.document(), chunks);
  }

  private Behavior<VectorStore.Command> onWritesAppended(WritesAppended done) {
    if (done.failure() != null) {
      // A timeout does not say whether the log kept the events; a retry is safe (upserts and deletes are idempotent).
      String error = "write failed: the document log did not confirm it (" + describe(done.failure()) + "); retry";
      done.writes().forEach(write -> replyError(write, error));
      getContext().getLog().warn("the document log refused or did not confirm {} writes: {}", done.writes().size(),
          describe(done.failure()));
      return nextBatch();
    }
    for (int i = 0; i < done.events().size(); i++) {
      long seq = done.appended().firstSeq() + i;
      VectorStore.Command write = done.writes().get(i);
      if (seq <= appliedSeq) { // the stream was faster than the confirmation
        reply(write, recentOutcomes.getOrDefault(seq, new LuceneIndex.WriteOutcome(false, null)));
      } else {
        waiters.put(seq, write);
        // Read-your-writes: apply it now (once the events before it are here), not after the next poll of the query.
        ahead.putIfAbsent(seq, done.events().get(i));
      }
    }
    applyNext();
    return nextBatch();
  }

  private Behavior<VectorStore.Command> nextBatch() {
    writing = false;
    if (!pendingWrites.isEmpty() && index != null) {
      prepareNextBatch();
    }
    return this;
  }

  // -- follow the log

  private void startStream() {
    long generation = STREAM_IDS.incrementAndGet();
    streamGeneration = generation;
    followedFrom = appliedSeq + 1;
    Sink<List<EventEnvelope>, NotUsed> sink = ActorSink.<List<EventEnvelope>, VectorStore.Command, StreamAck>actorRefWithBackpressure(
        getContext().getSelf(),
        (ackTo, envelopes) -> new LogEvents(generation, envelopes, ackTo),
        ackTo -> new StreamStarted(generation, ackTo),
        StreamAck.ACK,
        new StreamEnded(generation, null),
        failure -> new StreamEnded(generation, failure));
    killSwitch = readJournal.eventsByPersistenceId(DocumentLog.PERSISTENCE_ID.id(), followedFrom, Long.MAX_VALUE)
        .groupedWithin(replication.applyBatch(), Duration.ofMillis(10))
        .viaMat(KillSwitches.single(), Keep.right())
        .toMat(sink, Keep.left())
        .run(getContext().getSystem());
  }

  private Behavior<VectorStore.Command> onStreamStarted(StreamStarted started) {
    if (started.generation() == streamGeneration) {
      started.ackTo().tell(StreamAck.ACK);
    }
    return this;
  }

  private Behavior<VectorStore.Command> onLogEvents(LogEvents events) {
    if (events.generation() != streamGeneration || index == null) {
      return this; // a stream that was stopped
    }
    streamFailures = 0;
    for (EventEnvelope envelope : events.envelopes()) {
      if (envelope.sequenceNr() > appliedSeq && envelope.event() instanceof DocumentLog.Event event) {
        ahead.putIfAbsent(envelope.sequenceNr(), event);
      }
    }
    streamAck = events.ackTo();
    applyNext();
    ackStream();
    return this;
  }

  /**
   * Lets the stream go on while few events wait (the backlog of a catch-up stays in the journal, not
   * here), and always while the next event to apply is missing: the events waiting may be this
   * node's own, appended after an event that only the stream can bring.
   */
  private void ackStream() {
    if (streamAck != null && (ahead.size() < 2 * replication.applyBatch() || !ahead.containsKey(appliedSeq + 1))) {
      streamAck.tell(StreamAck.ACK);
      streamAck = null;
    }
  }

  private Behavior<VectorStore.Command> onStreamEnded(StreamEnded ended) {
    if (ended.generation() != streamGeneration || index == null) {
      return this;
    }
    killSwitch = null;
    streamAck = null;
    streamFailures++;
    long factor = 1L << Math.min(streamFailures - 1, 16);
    Duration delay = replication.minBackoff().multipliedBy(factor);
    if (delay.compareTo(replication.maxBackoff()) > 0) {
      delay = replication.maxBackoff();
    }
    getContext().getLog().warn("following the document log stopped ({}); again from event {} in {} ms",
        ended.failure() == null ? "the stream completed" : describe(ended.failure()), appliedSeq + 1, delay.toMillis());
    timers.startSingleTimer(new RestartStream(ended.generation()), delay);
    return this;
  }

  private Behavior<VectorStore.Command> onRestartStream(RestartStream restart) {
    if (restart.generation() == streamGeneration && index != null && killSwitch == null && readJournal != null) {
      startStream();
    }
    return this;
  }

  // -- apply: events to the index, in log order

  private void applyNext() {
    if (applying != null || index == null) {
      return;
    }
    while (!ahead.isEmpty() && ahead.firstKey() <= appliedSeq) {
      ahead.pollFirstEntry();
    }
    long first = appliedSeq + 1;
    List<DocumentLog.Event> run = new ArrayList<>();
    while (run.size() < replication.applyBatch() && ahead.containsKey(first + run.size())) {
      run.add(ahead.get(first + run.size()));
    }
    if (run.isEmpty()) {
      return;
    }
    long last = first + run.size() - 1;
    LuceneIndex target = index;
    CompletableFuture<List<LuceneIndex.WriteOutcome>> result = CompletableFuture.supplyAsync(() -> {
      try {
        List<LuceneIndex.Prepared> prepared = new ArrayList<>(run.size());
        for (int i = 0; i < run.size(); i++) {
          prepared.add(prepared(run.get(i), first + i, target.embedderId()));
        }
        return target.apply(prepared, last);
      } catch (Exception e) {
        throw new CompletionException(e);
      }
    }, executor);
    applying = result;
    getContext().pipeToSelf(result, (outcomes, failure) -> new EventsApplied(first, last, outcomes, failure));
  }

  /** An event of the log as a write of the index. */
  static LuceneIndex.Prepared prepared(DocumentLog.Event event, long seq, String embedderId) {
    if (event instanceof DocumentLog.DocumentDeleted deleted) {
      return new LuceneIndex.PreparedDelete(deleted.id());
    }
    if (event instanceof DocumentLog.DocumentsUpserted upserted) {
      if (!embedderId.equals(upserted.embedder())) {
        return new LuceneIndex.Refused("event " + seq + " was embedded with " + upserted.embedder()
            + ", this index uses " + embedderId + "; every node needs the same embedder");
      }
      List<LuceneIndex.PreparedDocument> documents = new ArrayList<>(upserted.documents().size());
      for (DocumentLog.LoggedDocument logged : upserted.documents()) {
        String text = logged.document().text();
        List<Chunker.Chunk> chunks = new ArrayList<>(logged.chunks().size());
        List<float[]> vectors = new ArrayList<>(logged.chunks().size());
        for (DocumentLog.LoggedChunk chunk : logged.chunks()) {
          chunks.add(new Chunker.Chunk(chunk.index(), chunk.start(), chunk.end(), text.substring(chunk.start(), chunk.end())));
          vectors.add(chunk.vector());
        }
        documents.add(new LuceneIndex.PreparedDocument(logged.document(), chunks, vectors));
      }
      return new LuceneIndex.PreparedUpsert(documents, seq);
    }
    return new LuceneIndex.Refused("event " + seq + " is not a document write");
  }

  private Behavior<VectorStore.Command> onEventsApplied(EventsApplied done) {
    applying = null;
    if (index == null) {
      return this; // from before a restart: the reopened index knows where it stands
    }
    if (done.failure() != null) {
      String error = "write failed: " + describe(done.failure());
      if (log == null) {
        // Standalone: these events exist nowhere else. Their writes fail, and the numbering continues from the index.
        ahead.tailMap(done.firstSeq()).clear();
        lastLocalSeq = appliedSeq;
        waiters.values().forEach(write -> replyError(write, error));
        waiters.clear();
        return this;
      }
      // The events are safe in the journal; this node's index is not. Answer, then restart: Init reopens
      // the index and the stream brings the events again.
      waiters.values().forEach(write -> replyError(write, error + " (the write is in the document log)"));
      waiters.clear();
      throw new IllegalStateException("applying events " + done.firstSeq() + " to " + done.lastSeq()
          + " of the document log failed: " + describe(done.failure()), done.failure());
    }
    for (long seq = done.firstSeq(); seq <= done.lastSeq(); seq++) {
      LuceneIndex.WriteOutcome outcome = done.outcomes().get((int) (seq - done.firstSeq()));
      recentOutcomes.put(seq, outcome);
      ahead.remove(seq);
      VectorStore.Command write = waiters.remove(seq);
      if (write != null) {
        reply(write, outcome);
      } else if (outcome.error() != null) {
        getContext().getLog().warn("event {} of the document log skipped: {}", seq, outcome.error());
      }
    }
    eventsApplied += done.lastSeq() - done.firstSeq() + 1;
    appliedSeq = done.lastSeq();
    applyNext();
    ackStream();
    return this;
  }

  private static void reply(VectorStore.Command write, LuceneIndex.WriteOutcome outcome) {
    if (outcome.error() != null) {
      replyError(write, outcome.error());
    } else if (write instanceof Upsert upsert) {
      upsert.replyTo().tell(StatusReply.success(new Upserted(upsert.documents().stream().map(Document::id).toList())));
    } else if (write instanceof Delete delete) {
      delete.replyTo().tell(StatusReply.success(new Deleted(delete.id(), outcome.existed())));
    }
  }

  private static void replyError(VectorStore.Command write, String error) {
    if (write instanceof Upsert upsert) {
      upsert.replyTo().tell(StatusReply.error(error));
    } else if (write instanceof Delete delete) {
      delete.replyTo().tell(StatusReply.error(error));
    }
  }

  // -- search

  private Behavior<VectorStore.Command> onSearch(Search search) {
    if (index == null) {
      search.replyTo().tell(StatusReply.error(init.unavailable()));
      return this;
    }
    if (search.query() == null || search.query().isBlank()) {
      search.replyTo().tell(StatusReply.error("the query is empty"));
      return this;
    }
    if (search.k() < 1) {
      search.replyTo().tell(StatusReply.error("k must be at least 1"));
      return this;
    }
    if (search.filter() != null && search.filter().entrySet().stream().anyMatch(e -> e.getKey() == null || e.getValue() == null)) {
      search.replyTo().tell(StatusReply.error("the filter has an empty key or value"));
      return this;
    }
    LuceneIndex target = index;
    String query = search.query();
    int k = Math.min(search.k(), settings.maxK());
    int candidates = settings.numCandidates();
    Map<String, String> filter = search.filter() == null ? Map.of() : Map.copyOf(search.filter());
    CompletableFuture<List<Hit>> hits = embedder.embedAll(List.of(query)).toCompletableFuture()
        .thenApplyAsync(vectors -> {
          try {
            return target.search(vectors.get(0), k, filter, candidates);
          } catch (Exception e) {
            throw new CompletionException(e);
          }
        }, executor);
    getContext().pipeToSelf(hits, (result, failure) -> new SearchDone(search.replyTo(), result, failure));
    return this;
  }

  private Behavior<VectorStore.Command> onSearchDone(SearchDone done) {
    done.replyTo().tell(done.failure() == null
        ? StatusReply.success(new SearchResult(done.hits()))
        : StatusReply.error("search failed: " + describe(done.failure())));
    return this;
  }

  private static String describe(Throwable failure) {
    Throwable t = failure;
    while (t instanceof CompletionException && t.getCause() != null) {
      t = t.getCause();
    }
    String message = t.getMessage();
    return t.getClass().getSimpleName() + (message == null ? "" : ": " + message.strip().split("\\R")[0]);
  }
}
