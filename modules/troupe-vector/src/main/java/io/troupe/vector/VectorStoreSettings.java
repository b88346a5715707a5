package io.troupe.vector;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import java.nio.file.Path;

/** Settings of the vector store, read from the {@code troupe} config subtree. */
public record VectorStoreSettings(Path indexDirectory, String embedder, int dimension, int maxK, int numCandidates) {

  /** Config path of the dispatcher for Lucene I/O and embeddings (in the actor system's config). */
  public static final String DISPATCHER = "troupe.vector-store.dispatcher";

  /** Settings with the data directory from {@code troupe.data-dir}. */
  public static VectorStoreSettings fromConfig(Config troupe) {
    return fromConfig(troupe, Path.of(troupe.getString("data-dir")));
  }

  /** The index lives in {@code <dataDir>/index}. */
  public static VectorStoreSettings fromConfig(Config troupe, Path dataDir) {
    Config c = troupe.getConfig("vector-store");
    int dimension = c.getInt("dimension");
    if (dimension < 8 || dimension > 1024) {
      throw new ConfigException.BadValue("troupe.vector-store.dimension", "must be between 8 and 1024 (the limit of Lucene's HNSW format)");
    }
    int maxK = c.getInt("max-k");
    if (maxK < 1) {
      throw new ConfigException.BadValue("troupe.vector-store.max-k", "must be at least 1");
    }
    return new VectorStoreSettings(
        dataDir.toAbsolutePath().normalize().resolve("index"), c.getString("embedder"), dimension, maxK,
        Math.max(1, c.getInt("num-candidates")));
  }

  /** The embedder named by {@code troupe.vector-store.embedder}. */
  public Embedder createEmbedder() {
    if (embedder.equals("hashing")) {
      return new HashingEmbedder(dimension);
    }
    throw new ConfigException.BadValue("troupe.vector-store.embedder", "unknown embedder '" + embedder + "' (known: hashing)");
  }
}
