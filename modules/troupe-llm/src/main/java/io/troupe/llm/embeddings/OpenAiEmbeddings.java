package io.troupe.llm.embeddings;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.typesafe.config.Config;
import io.troupe.core.json.Json;
import io.troupe.core.llm.LlmFailure;
import io.troupe.llm.LlmException;
import io.troupe.llm.http.HttpExchange;
import io.troupe.llm.http.ProviderConfig;
import io.troupe.llm.http.ProviderErrors;
import io.troupe.llm.http.ProviderHttpClient;
import io.troupe.llm.http.Redactor;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpHeader;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.headers.Authorization;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;

/**
 * An embedding provider over an OpenAI-compatible {@code POST <base-url>/embeddings} (OpenAI,
 * Ollama, vLLM, LM Studio...), for the vector store. Vectors come back in input order, whether
 * the server sends them as float arrays or base64. Cancelling the future aborts the request.
 */
public final class OpenAiEmbeddings {
  private final ProviderConfig config;
  private final String url;
  private final List<HttpHeader> headers;
  private final HttpExchange exchange;
  private final int dimensions;

  /**
   * From an OpenAI section (e.g. {@code troupe.llm.openai}); uses its {@code embeddings-model} and
   * {@code embeddings-dimensions} (0: the model's own).
   */
  public static OpenAiEmbeddings create(ActorSystem<?> system, String path, Config section) {
    ProviderConfig common = ProviderConfig.fromConfig("openai-embeddings", path,
        section.withValue("model", section.getValue("embeddings-model")));
    return new OpenAiEmbeddings(common, section.getInt("embeddings-dimensions"), ProviderHttpClient.create(system, common.http()));
  }

  public OpenAiEmbeddings(ProviderConfig config, int dimensions, ProviderHttpClient client) {
    this.config = config;
    this.dimensions = dimensions;
    this.url = config.baseUrl() + "/embeddings";
    List<HttpHeader> h = new ArrayList<>();
    if (!config.apiKey().isEmpty()) {
      h.add(Authorization.oauth2(config.apiKey()));
    }
    config.headers().forEach((k, v) -> h.add(RawHeader.create(k, v)));
    this.headers = List.copyOf(h);
    this.exchange = new HttpExchange(client, new ProviderErrors(config.name(), new Redactor(config.apiKey())));
  }

  /** The model the vectors come from, e.g. {@code text-embedding-3-small}. */
  public String model() {
    return config.model();
  }

  /** One vector per text, in order. */
  public CompletionStage<List<float[]>> embed(List<String> texts) {
    if (texts.isEmpty()) {
      return CompletableFuture.completedFuture(List.of());
    }
    ObjectNode body = Json.object().put("model", config.model()).put("encoding_format", "float");
    ArrayNode input = body.putArray("input");
    texts.forEach(input::add);
    if (dimensions > 0) {
      body.put("dimensions", dimensions);
    }
    byte[] bytes;
    try {
      bytes = Json.MAPPER.writeValueAsBytes(body);
    } catch (Exception e) {
      return CompletableFuture.failedFuture(new LlmException(LlmFailure.Code.INVALID_REQUEST, "could not encode the embedding request"));
    }
    HttpRequest request = HttpRequest.POST(url).withHeaders(headers).withEntity(ContentTypes.APPLICATION_JSON, bytes);
    return exchange.strict(request, text -> parse(text, texts.size()), null);
  }

  static List<float[]> parse(String text, int expected) throws Exception {
    JsonNode data = Json.MAPPER.readTree(text).path("data");
    float[][] vectors = new float[expected][];
    int next = 0;
    for (JsonNode item : data) {
      int index = item.path("index").asInt(next);
      next++;
      if (index < 0 || index >= expected) {
        throw new LlmException(LlmFailure.Code.PROVIDER_ERROR, "the embeddings response has an index out of range");
      }
      vectors[index] = vector(item.path("embedding"));
    }
    List<float[]> out = new ArrayList<>(expected);
    for (float[] v : vectors) {
      if (v == null) {
        throw new LlmException(LlmFailure.Code.PROVIDER_ERROR,
            "the embeddings response has " + data.size() + " vectors for " + expected + " inputs");
      }
      out.add(v);
    }
    return out;
  }

  /** A JSON float array, or base64 of little-endian float32 (encoding_format=base64). */
  static float[] vector(JsonNode embedding) {
    if (embedding.isTextual()) {
      ByteBuffer bytes = ByteBuffer.wrap(Base64.getDecoder().decode(embedding.asText())).order(ByteOrder.LITTLE_ENDIAN);
      float[] v = new float[bytes.remaining() / 4];
      bytes.asFloatBuffer().get(v);
      return v;
    }
    float[] v = new float[embedding.size()];
    for (int i = 0; i < v.length; i++) {
      v[i] = (float) embedding.get(i).asDouble();
    }
    return v;
  }
}
