package io.troupe.vector;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import io.troupe.core.json.Json;
import io.troupe.core.vector.VectorStore;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import org.apache.lucene.document.Document;
import org.apache.lucene.document.Field;
import org.apache.lucene.document.KnnFloatVectorField;
import org.apache.lucene.document.StoredField;
import org.apache.lucene.document.StringField;
import org.apache.lucene.index.DirectoryReader;
import org.apache.lucene.index.IndexWriter;
import org.apache.lucene.index.IndexWriterConfig;
import org.apache.lucene.index.SegmentInfos;
import org.apache.lucene.index.StoredFields;
import org.apache.lucene.index.Term;
import org.apache.lucene.index.VectorSimilarityFunction;
import org.apache.lucene.search.BooleanClause;
import org.apache.lucene.search.BooleanQuery;
import org.apache.lucene.search.IndexSearcher;
import org.apache.lucene.search.KnnFloatVectorQuery;
import org.apache.lucene.search.Query;
import org.apache.lucene.search.ScoreDoc;
import org.apache.lucene.search.SearcherManager;
import org.apache.lucene.search.TermQuery;
import org.apache.lucene.search.TopDocs;
import org.apache.lucene.store.FSDirectory;

/**
 * A Lucene index of documents with an HNSW vector field. Blocking I/O: use it on the vector-store
 * dispatcher only. Searches may run concurrently; write batches must run one at a time.
 *
 * <p>Fields: {@code id} (exact, stored), {@code text} and {@code metadata} (stored; metadata as
 * JSON), {@code meta.<key>} (exact, for filters), {@code vector} (L2-normalized, dot product).
 */
final class LuceneIndex {

  static final String ID = "id";
  static final String TEXT = "text";
  static final String METADATA = "metadata";
  static final String META_PREFIX = "meta.";
  static final String VECTOR = "vector";
  static final String EMBEDDER_KEY = "troupe.embedder";

  private static final TypeReference<Map<String, String>> METADATA_TYPE = new TypeReference<>() {};

  /**
   * Closes still running per directory, in this JVM. Lucene allows one writer per directory, so an
   * index reopened right after a stop (a restarted actor, a new actor system) opens once the old
   * writer is closed, without blocking anyone.
   */
  private static final ConcurrentHashMap<Path, CompletableFuture<Void>> CLOSING = new ConcurrentHashMap<>();

  /** What became of one Upsert or Delete of a batch. */
  record WriteOutcome(boolean existed, String error) {}

  private final Path path;
  private final FSDirectory directory;
  private final IndexWriter writer;
  private final SearcherManager searchers;
  private final Embedder embedder;

  private LuceneIndex(Path path, FSDirectory directory, IndexWriter writer, SearcherManager searchers, Embedder embedder) {
    this.path = path;
    this.directory = directory;
    this.writer = writer;
    this.searchers = searchers;
    this.embedder = embedder;
  }

  /** Completes when any index on {@code path} that is being closed in this JVM is closed. */
  static CompletableFuture<Void> previousClosed(Path path) {
    return CLOSING.getOrDefault(path, CompletableFuture.completedFuture(null)).exceptionally(e -> null);
  }

  /** Opens (or creates) the index; refuses an index built with another embedder. */
  static LuceneIndex open(Path path, Embedder embedder) throws IOException {
    Files.createDirectories(path);
    FSDirectory directory = FSDirectory.open(path);
    try {
      boolean exists = DirectoryReader.indexExists(directory);
      if (exists) {
        String recorded = SegmentInfos.readLatestCommit(directory).getUserData().get(EMBEDDER_KEY);
        if (recorded != null && !recorded.equals(embedder.id())) {
          throw new IllegalStateException("the index in " + path + " was built with embedder " + recorded
              + ", not " + embedder.id() + "; delete the directory to index again");
        }
      }
      IndexWriter writer = new IndexWriter(directory, new IndexWriterConfig().setOpenMode(IndexWriterConfig.OpenMode.CREATE_OR_APPEND));
      try {
        writer.setLiveCommitData(Map.of(EMBEDDER_KEY, embedder.id()).entrySet());
        if (!exists) {
          writer.commit();
        }
        return new LuceneIndex(path, directory, writer, new SearcherManager(writer, null), embedder);
      } catch (IOException | RuntimeException e) {
        writer.rollback();
        throw e;
      }
    } catch (IOException | RuntimeException e) {
      directory.close();
      throw e;
    }
  }

  Path path() {
    return path;
  }

  int documentCount() throws IOException {
    IndexSearcher searcher = searchers.acquire();
    try {
      return searcher.getIndexReader().numDocs();
    } finally {
      searchers.release(searcher);
    }
  }

  /**
   * Applies Upserts and Deletes in order, commits once, and refreshes the searcher: durable and
   * visible to searches when this returns. A write that is refused (e.g. a bad vector) gets an
   * error in its outcome; an I/O failure fails the whole batch.
   */
  List<WriteOutcome> apply(List<VectorStore.Command> writes) throws IOException {
    List<WriteOutcome> outcomes = new ArrayList<>(writes.size());
    Map<String, Boolean> present = new HashMap<>(); // ids touched by this batch, not yet visible
    IndexSearcher searcher = searchers.acquire();
    try {
      for (VectorStore.Command write : writes) {
        try {
          if (write instanceof VectorStore.Upsert upsert) {
            List<Document> documents = toLucene(upsert.documents());
            for (Document document : documents) {
              String id = document.get(ID);
              writer.updateDocument(new Term(ID, id), document);
              present.put(id, true);
            }
            outcomes.add(new WriteOutcome(false, null));
          } else if (write instanceof VectorStore.Delete delete) {
            Term id = new Term(ID, delete.id());
            boolean existed = present.containsKey(delete.id())
                ? present.get(delete.id())
                : searcher.count(new TermQuery(id)) > 0;
            writer.deleteDocuments(id);
            present.put(delete.id(), false);
            outcomes.add(new WriteOutcome(existed, null));
          } else {
            outcomes.add(new WriteOutcome(false, "not a write: " + write.getClass().getSimpleName()));
          }
        } catch (RuntimeException e) {
          outcomes.add(new WriteOutcome(false, e.getMessage()));
        }
      }
    } finally {
      searchers.release(searcher);
    }
    writer.commit();
    searchers.maybeRefreshBlocking();
    return outcomes;
  }

  /**
   * The {@code k} nearest documents to {@code query} whose metadata match {@code filter} exactly.
   * The HNSW graph is explored for at least {@code candidates} neighbours: with a beam as narrow
   * as a small k the greedy search can stop in a local optimum.
   */
  List<VectorStore.Hit> search(String query, int k, Map<String, String> filter, int candidates) throws IOException {
    float[] vector = vectorOf(query);
    Query filterQuery = null;
    if (!filter.isEmpty()) {
      BooleanQuery.Builder all = new BooleanQuery.Builder();
      filter.forEach((key, value) -> all.add(new TermQuery(new Term(META_PREFIX + key, value)), BooleanClause.Occur.FILTER));
      filterQuery = all.build();
    }
    IndexSearcher searcher = searchers.acquire();
    try {
      int explored = Math.max(k, candidates);
      TopDocs top = searcher.search(new KnnFloatVectorQuery(VECTOR, vector, explored, filterQuery), k);
      StoredFields stored = searcher.storedFields();
      List<VectorStore.Hit> hits = new ArrayList<>(top.scoreDocs.length);
      for (ScoreDoc scoreDoc : top.scoreDocs) {
        Document document = stored.document(scoreDoc.doc);
        hits.add(new VectorStore.Hit(document.get(ID), scoreDoc.score, document.get(TEXT), metadata(document.get(METADATA))));
      }
      return hits;
    } finally {
      searchers.release(searcher);
    }
  }

  private List<Document> toLucene(List<VectorStore.Document> documents) {
    List<float[]> vectors = embedder.embedAll(documents.stream().map(VectorStore.Document::text).toList());
    List<Document> result = new ArrayList<>(documents.size());
    for (int i = 0; i < documents.size(); i++) {
      VectorStore.Document source = documents.get(i);
      Document document = new Document();
      document.add(new StringField(ID, source.id(), Field.Store.YES));
      document.add(new StoredField(TEXT, source.text()));
      document.add(new StoredField(METADATA, Json.write(source.metadata())));
      source.metadata().forEach((key, value) -> document.add(new StringField(META_PREFIX + key, value, Field.Store.NO)));
      document.add(new KnnFloatVectorField(VECTOR, normalized(vectors.get(i)), VectorSimilarityFunction.DOT_PRODUCT));
      result.add(document);
    }
    return result;
  }

  private float[] vectorOf(String text) {
    return normalized(embedder.embed(text));
  }

  /** A unit-length copy; dot product then equals cosine similarity. */
  private float[] normalized(float[] vector) {
    if (vector == null || vector.length != embedder.dimension()) {
      throw new IllegalStateException("the embedder returned a vector of length "
          + (vector == null ? "null" : vector.length) + ", expected " + embedder.dimension());
    }
    float[] copy = vector.clone();
    HashingEmbedder.normalize(copy);
    double norm = 0;
    for (float v : copy) {
      if (!Float.isFinite(v)) {
        throw new IllegalStateException("the embedder returned a vector that is not finite");
      }
      norm += (double) v * v;
    }
    if (norm == 0) {
      throw new IllegalStateException("the embedder returned a zero vector");
    }
    return copy;
  }

  private static Map<String, String> metadata(String json) {
    if (json == null || json.isEmpty()) {
      return Map.of();
    }
    try {
      return Json.MAPPER.readValue(json, METADATA_TYPE);
    } catch (JsonProcessingException e) {
      return Map.of();
    }
  }

  /**
   * Closes {@code index} once it is open and {@code pendingWork} is done, on {@code executor}, and
   * registers the close so that the next {@link #open} of {@code path} in this JVM waits for it.
   */
  static void closeLater(Path path, CompletableFuture<LuceneIndex> index, CompletableFuture<?> pendingWork, Executor executor) {
    Executor orInline = task -> {
      try {
        executor.execute(task);
      } catch (RejectedExecutionException e) {
        task.run(); // the dispatcher is shut down: the actor system is terminating
      }
    };
    CompletableFuture<Void> closed = index.exceptionally(e -> null)
        .thenCombine(pendingWork.handle((result, failure) -> null), (open, ignored) -> open)
        .thenAcceptAsync(open -> {
          if (open != null) {
            open.close();
          }
        }, orInline);
    CompletableFuture<Void> registered = CLOSING.merge(path, closed, (earlier, later) -> CompletableFuture.allOf(earlier, later));
    registered.whenComplete((result, failure) -> CLOSING.remove(path, registered));
  }

  private void close() {
    try {
      searchers.close();
    } catch (IOException | RuntimeException ignored) {
      // the writer below still has to go
    }
    try {
      writer.close(); // every acknowledged write is committed already
    } catch (IOException | RuntimeException e) {
      try {
        writer.rollback();
      } catch (IOException | RuntimeException ignored) {
        // nothing more to do
      }
    }
    try {
      directory.close();
    } catch (IOException ignored) {
      // nothing more to do
    }
  }
}
