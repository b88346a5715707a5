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
 * opens it on the vector-store dispatcher. Searches run there concurrently. Upserts and Deletes
 * run in arrival order, one batch at a time, and each batch is committed before its replies go
 * out, so an acknowledged write is durable and visible to the next search.
 */
public final class VectorStoreActor extends AbstractBehavior<VectorStore.Command> {

  public static final String NAME = "vector-store";

  /** Writes applied in one commit at most. */
  private static final int MAX_BATCH = 64;

  private record InitDone(LuceneIndex index, Throwable failure) implements VectorStore.Command {}

  private record WritesDone(List<VectorStore.Command> writes, List<LuceneIndex.WriteOutcome> outcomes, Throwable failure)
      implements VectorStore.Command {}

  private record SearchDone(ActorRef<StatusReply<SearchResult>> replyTo, List<Hit> hits, Throwable failure)
      implements VectorStore.Command {}

  /** The index in {@code <dataDir>/index}, with the embedder named in {@code troupe.vector-store}. */
  public static Behavior<VectorStore.Command> create(Config troupe, Path dataDir) {
    return Behaviors.setup(ctx -> {
      try {
        VectorStoreSettings settings = VectorStoreSettings.fromConfig(troupe, dataDir);
        return new VectorStoreActor(ctx, settings, settings.createEmbedder(), null);
      } catch (RuntimeException e) { // a bad setting: every Init fails with the reason
        return new VectorStoreActor(ctx, null, null, "invalid configuration: " + e.getMessage());
      }
    });
  }

  /** With an embedder of your own (its dimension wins over {@code settings.dimension()}). */
  public static Behavior<VectorStore.Command> create(VectorStoreSettings settings, Embedder embedder) {
    return Behaviors.setup(ctx -> new VectorStoreActor(ctx, settings, embedder, null));
  }

  private final VectorStoreSettings settings;
  private final Embedder embedder;
  private final String configError;
  private final Executor executor;

  private LuceneIndex index; // set once Init succeeded
  private CompletableFuture<LuceneIndex> opening; // set while Init runs
  private final List<ActorRef<Lifecycle.Initialized>> initWaiters = new ArrayList<>();
  private String lastError;
  private final ArrayDeque<VectorStore.Command> pendingWrites = new ArrayDeque<>();
  private CompletableFuture<?> writing; // the running batch, if any

  private VectorStoreActor(
      ActorContext<VectorStore.Command> ctx, VectorStoreSettings settings, Embedder embedder, String configError) {
    super(ctx);
    this.settings = settings;
    this.embedder = embedder;
    this.configError = configError;
    this.executor = ctx.getSystem().dispatchers().lookup(DispatcherSelector.fromConfig(VectorStoreSettings.DISPATCHER));
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
      Embedder embedderForIndex = embedder;
      opening = LuceneIndex.previousClosed(path).thenApplyAsync(ignored -> {
        try {
          return LuceneIndex.open(path, embedderForIndex);
        } catch (Exception e) {
          throw new CompletionException(e);
        }
      }, executor);
      getContext().pipeToSelf(opening, InitDone::new);
    }
    return this;
  }

  private Behavior<VectorStore.Command> onInitDone(InitDone done) {
    opening = null;
    Lifecycle.Initialized reply;
    if (done.failure() == null) {
      index = done.index();
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
      LuceneIndex.closeLater(settings.indexDirectory(), opening, pending, executor);
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
    CompletableFuture<List<LuceneIndex.WriteOutcome>> result = CompletableFuture.supplyAsync(() -> {
      try {
        return target.apply(batch);
      } catch (Exception e) {
        throw new CompletionException(e);
      }
    }, executor);
    writing = result;
    getContext().pipeToSelf(result, (outcomes, failure) -> new WritesDone(batch, outcomes, failure));
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
    CompletableFuture<List<Hit>> hits = CompletableFuture.supplyAsync(() -> {
      try {
        return target.search(query, k, filter, candidates);
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
