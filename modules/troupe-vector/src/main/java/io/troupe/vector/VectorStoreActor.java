package io.troupe.vector;

import com.typesafe.config.Config;
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
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
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
 * The vector store subsystem: a persistent Lucene HNSW index in {@code <data-dir>/index}. Init
 * makes the embedder (loading a local model on the embedding dispatcher) and then opens the index
 * on the vector-store dispatcher. Upserts and Deletes run in arrival order, one batch at a time:
 * chunk the texts, embed every chunk of the batch (on the embedding dispatcher, or remotely),
 * write and commit (vector-store dispatcher), then reply; so an acknowledged write is durable and
 * visible to the next search. A search embeds its query the same way, then searches the index.
 * The actor itself never blocks: every step's result comes back with {@code pipeToSelf}.
 */
public final class VectorStoreActor extends AbstractBehavior<VectorStore.Command> {

  public static final String NAME = "vector-store";

  /** Writes applied in one commit at most. */
  private static final int MAX_BATCH = 64;

  private record Opened(AsyncEmbedder embedder, LuceneIndex index) {}

  private record InitDone(Opened opened, Throwable failure) implements VectorStore.Command {}

  private record WritesDone(List<VectorStore.Command> writes, List<LuceneIndex.WriteOutcome> outcomes, Throwable failure)
      implements VectorStore.Command {}

  private record SearchDone(ActorRef<StatusReply<SearchResult>> replyTo, List<Hit> hits, Throwable failure)
      implements VectorStore.Command {}

  /** The index in {@code <dataDir>/index}, with the local embedder named in {@code troupe.vector-store}. */
  public static Behavior<VectorStore.Command> create(Config troupe, Path dataDir) {
    return create(troupe, dataDir, null);
  }

  /**
   * Like {@link #create(Config, Path)}; {@code remote} supplies the embedder when the settings
   * name one that is not local ({@code openai}), and may be null otherwise.
   */
  public static Behavior<VectorStore.Command> create(Config troupe, Path dataDir, EmbedderFactory remote) {
    return Behaviors.setup(ctx -> {
      try {
        VectorStoreSettings settings = VectorStoreSettings.fromConfig(troupe, dataDir);
        EmbedderFactory factory;
        if (settings.embedder().equals("openai")) {
          if (remote == null) {
            throw new IllegalArgumentException("embedder 'openai' needs the node's wiring");
          }
          factory = remote;
        } else {
          factory = EmbedderFactory.local(settings);
        }
        return new VectorStoreActor(ctx, settings, factory, null);
      } catch (RuntimeException e) { // a bad setting: every Init fails with the reason
        return new VectorStoreActor(ctx, null, null, "invalid configuration: " + e.getMessage());
      }
    });
  }

  /** With an embedder of your own, run on the embedding dispatcher (its dimension wins over {@code settings.dimension()}). */
  public static Behavior<VectorStore.Command> create(VectorStoreSettings settings, Embedder embedder) {
    return create(settings, EmbedderFactory.of(embedder, settings.embedBatchSize()));
  }

  /** With an embedder factory of your own, called at Init on the embedding dispatcher. */
  public static Behavior<VectorStore.Command> create(VectorStoreSettings settings, EmbedderFactory embedders) {
    return Behaviors.setup(ctx -> new VectorStoreActor(ctx, settings, embedders, null));
  }

  private final VectorStoreSettings settings;
  private final EmbedderFactory embedders;
  private final String configError;
  private final Executor executor;
  private final Executor embeddingExecutor;
  private final Chunker chunker;

  private AsyncEmbedder embedder; // set once Init succeeded
  private LuceneIndex index; // set once Init succeeded
  private CompletableFuture<Opened> opening; // set while Init runs
  private final List<ActorRef<Lifecycle.Initialized>> initWaiters = new ArrayList<>();
  private String lastError;
  private final ArrayDeque<VectorStore.Command> pendingWrites = new ArrayDeque<>();
  private CompletableFuture<?> writing; // the running batch, if any

  private VectorStoreActor(
      ActorContext<VectorStore.Command> ctx, VectorStoreSettings settings, EmbedderFactory embedders, String configError) {
    super(ctx);
    this.settings = settings;
    this.embedders = embedders;
    this.configError = configError;
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
        .onMessage(WritesDone.class, this::onWritesDone)
        .onMessage(Search.class, this::onSearch)
        .onMessage(SearchDone.class, this::onSearchDone)
        .onSignal(PostStop.class, signal -> closeIndex())
        .onSignal(PreRestart.class, signal -> closeIndex())
        .build();
  }

  // -- lifecycle

  private Behavior<VectorStore.Command> onInit(Lifecycle.Init init) {
    if (index != null) {
      init.replyTo().tell(Lifecycle.Initialized.ok(NAME));
      return this;
    }
    if (configError != null) {
      lastError = configError;
      init.replyTo().tell(Lifecycle.Initialized.failed(NAME, configError));
      return this;
    }
    initWaiters.add(init.replyTo());
    if (opening == null) { // otherwise the running attempt answers this Init too
      Path path = settings.indexDirectory();
      EmbedderFactory factory = embedders;
      org.apache.pekko.actor.typed.ActorSystem<?> system = getContext().getSystem();
      VectorStoreSettings s = settings;
      opening = CompletableFuture.supplyAsync(() -> {
        try {
          return factory.create(system, embeddingExecutor);
        } catch (Exception e) {
          throw new CompletionException(e);
        }
      }, embeddingExecutor).thenCompose(made -> LuceneIndex.previousClosed(path).thenApplyAsync(ignored -> {
        try {
          return new Opened(made, LuceneIndex.open(path, made.id(), made.dimension(), s.maxConn(), s.beamWidth()));
        } catch (Exception e) {
          throw new CompletionException(e);
        }
      }, executor));
      getContext().pipeToSelf(opening, InitDone::new);
    }
    return this;
  }

  private Behavior<VectorStore.Command> onInitDone(InitDone done) {
    opening = null;
    Lifecycle.Initialized reply;
    if (done.failure() == null) {
      index = done.opened().index();
      embedder = done.opened().embedder();
      lastError = null;
      reply = Lifecycle.Initialized.ok(NAME);
      getContext().getLog().info("vector store ready: {} with embedder {}", index.path(), embedder.id());
    } else {
      lastError = describe(done.failure());
      reply = Lifecycle.Initialized.failed(NAME, lastError);
      getContext().getLog().warn("vector store init failed: {}", lastError);
    }
    initWaiters.forEach(replyTo -> replyTo.tell(reply));
    initWaiters.clear();
    return this;
  }

  /** Closes the index after the running batch (or once a running Init has opened it). */
  private Behavior<VectorStore.Command> closeIndex() {
    CompletableFuture<?> pending = writing == null ? CompletableFuture.completedFuture(null) : writing;
    if (index != null) {
      LuceneIndex.closeLater(index.path(), CompletableFuture.completedFuture(index), pending, executor);
      index = null;
    } else if (opening != null) {
      LuceneIndex.closeLater(settings.indexDirectory(), opening.thenApply(Opened::index), pending, executor);
      opening = null;
    }
    return this;
  }

  // -- writes

  private Behavior<VectorStore.Command> onUpsert(Upsert upsert) {
    if (index == null) {
      upsert.replyTo().tell(StatusReply.error(Lifecycle.unavailable(NAME, lastError)));
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
      delete.replyTo().tell(StatusReply.error(Lifecycle.unavailable(NAME, lastError)));
      return this;
    }
    if (delete.id() == null || delete.id().isBlank()) {
      delete.replyTo().tell(StatusReply.error("the document id is empty"));
      return this;
    }
    enqueue(delete);
    return this;
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
    if (writing == null) {
      writeNextBatch();
    }
  }

  private void writeNextBatch() {
    List<VectorStore.Command> batch = new ArrayList<>();
    while (!pendingWrites.isEmpty() && batch.size() < MAX_BATCH) {
      batch.add(pendingWrites.poll());
    }
    LuceneIndex target = index;
    CompletableFuture<List<LuceneIndex.WriteOutcome>> result = prepare(batch, embedder, chunker, executor)
        .thenApplyAsync(prepared -> {
          try {
            return target.apply(prepared);
          } catch (Exception e) {
            throw new CompletionException(e);
          }
        }, executor);
    writing = result;
    getContext().pipeToSelf(result, (outcomes, failure) -> new WritesDone(batch, outcomes, failure));
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

  private Behavior<VectorStore.Command> onWritesDone(WritesDone done) {
    writing = null;
    for (int i = 0; i < done.writes().size(); i++) {
      VectorStore.Command write = done.writes().get(i);
      String error = done.failure() != null
          ? "write failed: " + describe(done.failure())
          : done.outcomes().get(i).error();
      if (write instanceof Upsert upsert) {
        upsert.replyTo().tell(error == null
            ? StatusReply.success(new Upserted(upsert.documents().stream().map(Document::id).toList()))
            : StatusReply.error(error));
      } else if (write instanceof Delete delete) {
        delete.replyTo().tell(error == null
            ? StatusReply.success(new Deleted(delete.id(), done.outcomes().get(i).existed()))
            : StatusReply.error(error));
      }
    }
    if (!pendingWrites.isEmpty() && index != null) {
      writeNextBatch();
    }
    return this;
  }

  // -- search

  private Behavior<VectorStore.Command> onSearch(Search search) {
    if (index == null) {
      search.replyTo().tell(StatusReply.error(Lifecycle.unavailable(NAME, lastError)));
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
