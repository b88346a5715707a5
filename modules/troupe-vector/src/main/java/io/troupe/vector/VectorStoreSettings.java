package io.troupe.vector;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import java.nio.file.Path;

/**
 * Settings of the vector store, read from the {@code troupe} config subtree.
 *
 * @param embedder {@code minilm}, {@code hashing} or {@code openai} (the node wires the last)
 * @param dimension vector length of the hashing and openai embedders (MiniLM is always 384)
 * @param chunkSize characters per chunk at most
 * @param chunkOverlap characters a chunk shares with the one before it
 * @param embedBatchSize texts per embedder call
 * @param maxConn HNSW: neighbours per node in the graph
 * @param beamWidth HNSW: candidates considered while building the graph
 */
public record VectorStoreSettings(
    Path indexDirectory,
    String embedder,
    int dimension,
    int maxK,
    int numCandidates,
    int chunkSize,
    int chunkOverlap,
    int embedBatchSize,
    int maxConn,
    int beamWidth) {

  /** Config path of the dispatcher for Lucene I/O and searches (in the actor system's config). */
  public static final String DISPATCHER = "troupe.vector-store.dispatcher";

  /** Config path of the bounded dispatcher that runs local embedding models. */
  public static final String EMBEDDING_DISPATCHER = "troupe.vector-store.embedding-dispatcher";

  /** Settings with the data directory from {@code troupe.data-dir}. */
  public static VectorStoreSettings fromConfig(Config troupe) {
    return fromConfig(troupe, Path.of(troupe.getString("data-dir")));
  }

  /** The index lives in {@code <dataDir>/index}. */
  public static VectorStoreSettings fromConfig(Config troupe, Path dataDir) {
    Config c = troupe.getConfig("vector-store");
    VectorStoreSettings s = new VectorStoreSettings(
        dataDir.toAbsolutePath().normalize().resolve("index"), c.getString("embedder").trim(), c.getInt("dimension"),
        c.getInt("max-k"), Math.max(1, c.getInt("num-candidates")), c.getInt("chunk-size"), c.getInt("chunk-overlap"),
        c.getInt("embed-batch-size"), c.getInt("hnsw.max-conn"), c.getInt("hnsw.beam-width"));
    s.validate();
    return s;
  }

  /** Defaults for tests and benchmarks: hashing embedder, chunks of 1000 with 200 overlap. */
  public static VectorStoreSettings of(Path indexDirectory, String embedder, int dimension) {
    VectorStoreSettings s = new VectorStoreSettings(indexDirectory, embedder, dimension, 100, 100, 1000, 200, 32, 16, 100);
    s.validate();
    return s;
  }

  public VectorStoreSettings withChunking(int size, int overlap) {
    VectorStoreSettings s = new VectorStoreSettings(indexDirectory, embedder, dimension, maxK, numCandidates, size, overlap,
        embedBatchSize, maxConn, beamWidth);
    s.validate();
    return s;
  }

  public VectorStoreSettings withHnsw(int maxConn, int beamWidth, int numCandidates) {
    VectorStoreSettings s = new VectorStoreSettings(indexDirectory, embedder, dimension, maxK, numCandidates, chunkSize,
        chunkOverlap, embedBatchSize, maxConn, beamWidth);
    s.validate();
    return s;
  }

  private void validate() {
    if (dimension < 8 || dimension > 1024) {
      throw new ConfigException.BadValue("troupe.vector-store.dimension", "must be between 8 and 1024 (the limit of Lucene's HNSW format)");
    }
    if (maxK < 1) {
      throw new ConfigException.BadValue("troupe.vector-store.max-k", "must be at least 1");
    }
    if (chunkSize < 16) {
      throw new ConfigException.BadValue("troupe.vector-store.chunk-size", "must be at least 16 characters");
    }
    if (chunkOverlap < 0 || chunkOverlap >= chunkSize / 2) {
      throw new ConfigException.BadValue("troupe.vector-store.chunk-overlap", "must be between 0 and half the chunk-size");
    }
    if (embedBatchSize < 1) {
      throw new ConfigException.BadValue("troupe.vector-store.embed-batch-size", "must be at least 1");
    }
    if (maxConn < 2 || maxConn > 512) {
      throw new ConfigException.BadValue("troupe.vector-store.hnsw.max-conn", "must be between 2 and 512");
    }
    if (beamWidth < 1 || beamWidth > 3200) {
      throw new ConfigException.BadValue("troupe.vector-store.hnsw.beam-width", "must be between 1 and 3200");
    }
    if (!embedder.equals("minilm") && !embedder.equals("hashing") && !embedder.equals("openai")) {
      throw new ConfigException.BadValue("troupe.vector-store.embedder",
          "unknown embedder '" + embedder + "' (known: minilm, hashing, openai)");
    }
  }

  public Chunker chunker() {
    return new Chunker(chunkSize, chunkOverlap);
  }

  /**
   * The local embedder named by {@code troupe.vector-store.embedder}: {@code minilm} loads the
   * model (blocking; call it on the embedding dispatcher). {@code openai} is not local: the node
   * supplies it.
   */
  public Embedder createEmbedder() {
    return switch (embedder) {
      case "hashing" -> new HashingEmbedder(dimension);
      case "minilm" -> OnnxMiniLmEmbedder.load();
      default -> throw new ConfigException.BadValue("troupe.vector-store.embedder",
          "'" + embedder + "' is a remote embedder that the node must supply; use minilm or hashing here");
    };
  }
}
