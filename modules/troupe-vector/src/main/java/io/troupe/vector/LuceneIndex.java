package io.troupe.vector;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import io.troupe.core.json.Json;
import io.troupe.core.vector.VectorStore;
import java.util.Arrays;
import org.apache.lucene.codecs.KnnVectorsFormat;
import org.apache.lucene.codecs.lucene912.Lucene912Codec;
import org.apache.lucene.codecs.lucene99.Lucene99HnswVectorsFormat;
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
 * A Lucene index of document chunks with an HNSW vector field. Blocking I/O: use it on the
 * vector-store dispatcher only. Searches may run concurrently; write batches must run one at a time.
 *
 * <p>One Lucene document per chunk. Fields: {@code id} (the document's id: exact, stored; every
 * chunk of a document has it, so an upsert or delete by id touches them all), {@code chunk},
 * {@code start}, {@code end} (stored ints: the chunk's index and character offsets in the
 * document's text), {@code text} (the chunk's text) and {@code metadata} (the document's, as
 * JSON; stored), {@code meta.<key>} (exact, for filters; {@code tags} is split on commas into one
 * term per tag), {@code vector} (L2-normalized, dot product).
 */
final class LuceneIndex {

  static final String ID = "id";
  static final String CHUNK = "chunk";
  static final String START = "start";
  static final String END = "end";
  static final String TEXT = "text";
  static final String METADATA = "metadata";
  static final String META_PREFIX = "meta.";
  static final String VECTOR = "vector";
  static final String EMBEDDER_KEY = "troupe.embedder";
  /**
   * Commit user data: the sequence number of the document log's last event in the index. Every
   * event up to it is applied (the index applies the log in order), so a restart resumes after it.
   */
  static final String APPLIED_SEQ_KEY = "troupe.applied-seq";
  /** Stored per chunk: the sequence number of the log event that wrote its document (0: none). */
  static final String SEQ = "seq";
  /** The multi-valued metadata key: a comma-separated list of tags; a filter on one tag matches. */
  static final String TAGS = "tags";

  private static final TypeReference<Map<String, String>> METADATA_TYPE = new TypeReference<>() {};

  /**
   * Closes still running per directory, in this JVM. Lucene allows one writer per directory, so an
   * index reopened right after a stop (a restarted actor, a new actor system) opens once the old
   * writer is closed, without blocking anyone.
   */
  private static final ConcurrentHashMap<Path, CompletableFuture<Void>> CLOSING = new ConcurrentHashMap<>();

  /** A write of a batch with its embeddings done: what {@link #apply} takes. */
  sealed interface Prepared {}

  /** Documents with their chunks and one vector per chunk; {@code seq}: the log event's, or 0. */
  record PreparedUpsert(List<PreparedDocument> documents, long seq) implements Prepared {
    PreparedUpsert(List<PreparedDocument> documents) {
      this(documents, 0);
    }
  }

  record PreparedDocument(VectorStore.Document document, List<Chunker.Chunk> chunks, List<float[]> vectors) {}

  record PreparedDelete(String id) implements Prepared {}

  /** A write refused before it reached the index (e.g. its embedding failed). */
  record Refused(String error) implements Prepared {}

  /** What became of one Upsert or Delete of a batch. */
  record WriteOutcome(boolean existed, String error) {}

  private final Path path;
  private final FSDirectory directory;
  private final IndexWriter writer;
  private final SearcherManager searchers;
  private final int dimension;
  private final String embedderId;
  private long appliedSeq; // changed only by apply, which runs one batch at a time

  private LuceneIndex(Path path, FSDirectory directory, IndexWriter writer, SearcherManager searchers, int dimension,
      String embedderId, long appliedSeq) {
    this.path = path;
    this.directory = directory;
    this.writer = writer;
    this.searchers = searchers;
    this.dimension = dimension;
    this.embedderId = embedderId;
    this.appliedSeq = appliedSeq;
  }

  /** Completes when any index on {@code path} that is being closed in this JVM is closed. */
  static CompletableFuture<Void> previousClosed(Path path) {
    return CLOSING.getOrDefault(path, CompletableFuture.completedFuture(null)).exceptionally(e -> null);
  }

  /** Opens (or creates) the index with the default HNSW parameters. */
  static LuceneIndex open(Path path, String embedderId, int dimension) throws IOException {
    return open(path, embedderId, dimension, Lucene99HnswVectorsFormat.DEFAULT_MAX_CONN, Lucene99HnswVectorsFormat.DEFAULT_BEAM_WIDTH);
  }

  /**
   * Opens (or creates) the index; refuses an index built with another embedder. {@code maxConn}
   * and {@code beamWidth} shape the HNSW graph of the segments written from now on.
   */
  static LuceneIndex open(Path path, String embedderId, int dimension, int maxConn, int beamWidth) throws IOException {
    Files.createDirectories(path);
    FSDirectory directory = FSDirectory.open(path);
    try {
      boolean exists = DirectoryReader.indexExists(directory);
      long appliedSeq = 0;
      if (exists) {
        Map<String, String> userData = SegmentInfos.readLatestCommit(directory).getUserData();
        appliedSeq = Long.parseLong(userData.getOrDefault(APPLIED_SEQ_KEY, "0"));
        String recorded = userData.get(EMBEDDER_KEY);
        if (recorded != null && !recorded.equals(embedderId)) {
          throw new IllegalStateException("the index in " + path + " was built with embedder " + recorded
              + ", not " + embedderId + "; delete the directory to index again");
        }
      }
      KnnVectorsFormat hnsw = new Lucene99HnswVectorsFormat(maxConn, beamWidth);
      IndexWriterConfig config = new IndexWriterConfig()
          .setOpenMode(IndexWriterConfig.OpenMode.CREATE_OR_APPEND)
          .setRAMBufferSizeMB(64)
          .setCodec(new Lucene912Codec() {
            @Override
            public KnnVectorsFormat getKnnVectorsFormatForField(String field) {
              return hnsw;
            }
          });
      IndexWriter writer = new IndexWriter(directory, config);
      try {
        writer.setLiveCommitData(commitData(embedderId, appliedSeq).entrySet());
        if (!exists) {
          writer.commit();
        }
        return new LuceneIndex(path, directory, writer, new SearcherManager(writer, null), dimension, embedderId, appliedSeq);
      } catch (IOException | RuntimeException e) {
        writer.rollback();
        throw e;
      }
    } catch (IOException | RuntimeException e) {
      directory.close();
      throw e;
    }
  }

  private static Map<String, String> commitData(String embedderId, long appliedSeq) {
    return Map.of(EMBEDDER_KEY, embedderId, APPLIED_SEQ_KEY, Long.toString(appliedSeq));
  }

  Path path() {
    return path;
  }

  String embedderId() {
    return embedderId;
  }

  /** The sequence number of the log's last event in the last commit (0: none). */
  long appliedSeq() {
    return appliedSeq;
  }

  /** Chunks in the index. */
  int chunkCount() throws IOException {
    IndexSearcher searcher = searchers.acquire();
    try {
      return searcher.getIndexReader().numDocs();
    } finally {
      searchers.release(searcher);
    }
  }

  /**
   * Applies upserts and deletes in order, commits once, and refreshes the searcher: durable and
   * visible to searches when this returns. An upsert replaces every chunk of its documents; a
   * delete removes every chunk. A write that is refused (e.g. a bad vector) gets an error in its
   * outcome; an I/O failure fails the whole batch.
   */
  List<WriteOutcome> apply(List<Prepared> writes) throws IOException {
    return apply(writes, appliedSeq);
  }

  /**
   * As {@link #apply(List)}, and records {@code throughSeq} as the last applied event of the log in
   * the same commit: the documents and the position in the log are durable together.
   */
  List<WriteOutcome> apply(List<Prepared> writes, long throughSeq) throws IOException {
    List<WriteOutcome> outcomes = new ArrayList<>(writes.size());
    Map<String, Boolean> present = new HashMap<>(); // ids touched by this batch, not yet visible
    IndexSearcher searcher = searchers.acquire();
    try {
      for (Prepared write : writes) {
        try {
          if (write instanceof PreparedUpsert upsert) {
            List<Map.Entry<String, List<Document>>> converted = new ArrayList<>();
            for (PreparedDocument document : upsert.documents()) { // all converted before any is written
              converted.add(Map.entry(document.document().id(), toLucene(document, upsert.seq())));
            }
            for (Map.Entry<String, List<Document>> document : converted) {
              writer.updateDocuments(new Term(ID, document.getKey()), document.getValue());
              present.put(document.getKey(), true);
            }
            outcomes.add(new WriteOutcome(false, null));
          } else if (write instanceof PreparedDelete delete) {
            Term id = new Term(ID, delete.id());
            boolean existed = present.containsKey(delete.id())
                ? present.get(delete.id())
                : searcher.count(new TermQuery(id)) > 0;
            writer.deleteDocuments(id);
            present.put(delete.id(), false);
            outcomes.add(new WriteOutcome(existed, null));
          } else if (write instanceof Refused refused) {
            outcomes.add(new WriteOutcome(false, refused.error()));
          }
        } catch (RuntimeException e) {
          outcomes.add(new WriteOutcome(false, e.getMessage()));
        }
      }
    } finally {
      searchers.release(searcher);
    }
    writer.setLiveCommitData(commitData(embedderId, throughSeq).entrySet());
    writer.commit();
    appliedSeq = throughSeq;
    searchers.maybeRefreshBlocking();
    return outcomes;
  }

  /** The ids of the documents (not chunks) whose metadata match {@code filter} exactly, at most {@code max}. */
  List<String> idsWhere(Map<String, String> filter, int max) throws IOException {
    BooleanQuery.Builder all = new BooleanQuery.Builder();
    filter.forEach((key, value) -> all.add(new TermQuery(new Term(META_PREFIX + key, value)), BooleanClause.Occur.FILTER));
    IndexSearcher searcher = searchers.acquire();
    try {
      java.util.LinkedHashSet<String> ids = new java.util.LinkedHashSet<>();
      StoredFields stored = searcher.storedFields();
      for (ScoreDoc scoreDoc : searcher.search(all.build(), Math.max(1, max) * 8).scoreDocs) {
        ids.add(stored.document(scoreDoc.doc).get(ID));
        if (ids.size() >= max) break;
      }
      return List.copyOf(ids);
    } finally {
      searchers.release(searcher);
    }
  }

  /**
   * The {@code k} nearest chunks to {@code vector} whose document's metadata match {@code filter}
   * exactly ({@code tags}: every listed tag). The HNSW graph is explored for at least
   * {@code candidates} neighbours: with a beam as narrow as a small k the greedy search can stop
   * in a local optimum.
   */
  List<VectorStore.Hit> search(float[] vector, int k, Map<String, String> filter, int candidates) throws IOException {
    float[] query = normalized(vector);
    Query filterQuery = null;
    if (!filter.isEmpty()) {
      BooleanQuery.Builder all = new BooleanQuery.Builder();
      filter.forEach((key, value) -> {
        if (key.equals(TAGS) || key.equals("tag")) {
          for (String tag : tags(value)) {
            all.add(new TermQuery(new Term(META_PREFIX + TAGS, tag)), BooleanClause.Occur.FILTER);
          }
        } else {
          all.add(new TermQuery(new Term(META_PREFIX + key, value)), BooleanClause.Occur.FILTER);
        }
      });
      filterQuery = all.build();
    }
    IndexSearcher searcher = searchers.acquire();
    try {
      int explored = Math.max(k, candidates);
      TopDocs top = searcher.search(new KnnFloatVectorQuery(VECTOR, query, explored, filterQuery), k);
      StoredFields stored = searcher.storedFields();
      List<VectorStore.Hit> hits = new ArrayList<>(top.scoreDocs.length);
      for (ScoreDoc scoreDoc : top.scoreDocs) {
        Document document = stored.document(scoreDoc.doc);
        String text = document.get(TEXT);
        hits.add(new VectorStore.Hit(document.get(ID), scoreDoc.score, text, metadata(document.get(METADATA)),
            intOf(document, CHUNK, 0), intOf(document, START, 0), intOf(document, END, text == null ? 0 : text.length())));
      }
      return hits;
    } finally {
      searchers.release(searcher);
    }
  }

  private static int intOf(Document document, String field, int otherwise) {
    var value = document.getField(field);
    return value == null || value.numericValue() == null ? otherwise : value.numericValue().intValue();
  }

  /** The tags of a {@code tags} value: comma-separated, trimmed, empty ones dropped. */
  static List<String> tags(String value) {
    return Arrays.stream(value.split(",")).map(String::trim).filter(t -> !t.isEmpty()).distinct().toList();
  }

  private List<Document> toLucene(PreparedDocument prepared, long seq) {
    VectorStore.Document source = prepared.document();
    if (prepared.vectors().size() != prepared.chunks().size()) {
      throw new IllegalStateException("the embedder returned " + prepared.vectors().size() + " vectors for "
          + prepared.chunks().size() + " chunks");
    }
    String metadataJson = Json.write(source.metadata());
    List<Document> result = new ArrayList<>(prepared.chunks().size());
    for (int i = 0; i < prepared.chunks().size(); i++) {
      Chunker.Chunk chunk = prepared.chunks().get(i);
      Document document = new Document();
      document.add(new StringField(ID, source.id(), Field.Store.YES));
      document.add(new StoredField(CHUNK, chunk.index()));
      document.add(new StoredField(START, chunk.start()));
      document.add(new StoredField(END, chunk.end()));
      document.add(new StoredField(SEQ, seq));
      document.add(new StoredField(TEXT, chunk.text()));
      document.add(new StoredField(METADATA, metadataJson));
      source.metadata().forEach((key, value) -> {
        if (key.equals(TAGS)) {
          tags(value).forEach(tag -> document.add(new StringField(META_PREFIX + TAGS, tag, Field.Store.NO)));
        } else {
          document.add(new StringField(META_PREFIX + key, value, Field.Store.NO));
        }
      });
      document.add(new KnnFloatVectorField(VECTOR, normalized(prepared.vectors().get(i)), VectorSimilarityFunction.DOT_PRODUCT));
      result.add(document);
    }
    return result;
  }

  /** A unit-length copy; dot product then equals cosine similarity. */
  private float[] normalized(float[] vector) {
    if (vector == null || vector.length != dimension) {
      throw new IllegalStateException("the embedder returned a vector of length "
          + (vector == null ? "null" : vector.length) + ", expected " + dimension);
    }
    float[] copy = vector.clone();
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
    HashingEmbedder.normalize(copy);
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
