package io.troupe.tools.builtin;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.troupe.core.actor.Asks;
import io.troupe.core.json.Json;
import io.troupe.core.llm.ToolSpec;
import io.troupe.core.tools.Tool;
import io.troupe.core.tools.ToolContext;
import io.troupe.core.vector.VectorStore;
import io.troupe.tools.ToolException;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Scheduler;

/**
 * {@code search_documents {"query", "k"?, "filter"?}} → {@code {"hits": [{id, score, text, metadata}]}},
 * asked of the vector store.
 */
public final class SearchDocumentsTool implements Tool {
  public static final String NAME = "search_documents";

  private final ActorRef<VectorStore.Command> vectorStore;
  private final Scheduler scheduler;
  private final Duration timeout;
  private final int defaultK;
  private final ToolSpec spec;

  public SearchDocumentsTool(ActorRef<VectorStore.Command> vectorStore, Scheduler scheduler, Duration timeout, int defaultK) {
    this.vectorStore = vectorStore;
    this.scheduler = scheduler;
    this.timeout = timeout;
    this.defaultK = defaultK;
    ObjectNode properties = Json.object();
    properties.set("query", Schemas.string("What to look for, in plain words.").put("minLength", 1).put("maxLength", 2000));
    properties.set("k", Schemas.integer("How many documents to return (default " + defaultK + ").", 1, 20));
    ObjectNode filter = Json.object().put("type", "object")
        .put("description", "Only documents whose metadata has exactly these values, e.g. {\"source\": \"handbook\"}.");
    filter.set("additionalProperties", Json.object().put("type", "string"));
    properties.set("filter", filter);
    this.spec = new ToolSpec(NAME, "Searches the indexed documents by meaning and returns the closest passages.",
        Schemas.object(properties, "query"));
  }

  @Override
  public ToolSpec spec() {
    return spec;
  }

  @Override
  public CompletionStage<JsonNode> invoke(JsonNode arguments, ToolContext context) {
    String query = arguments.path("query").asText().strip();
    if (query.isEmpty()) {
      throw new ToolException("the query is empty: say what to look for");
    }
    int k = arguments.path("k").asInt(defaultK);
    Map<String, String> filter = new LinkedHashMap<>();
    arguments.path("filter").fields().forEachRemaining(e -> filter.put(e.getKey(), e.getValue().asText()));
    // A tenant's session (<tenant>~<id>, named by the ingress) searches only that tenant's documents.
    String sessionId = context == null || context.sessionId() == null ? "" : context.sessionId();
    String tenant = sessionId.indexOf('~') > 0 ? sessionId.substring(0, sessionId.indexOf('~')) : null;
    filter.remove(VectorStore.TENANT_KEY);
    if (tenant != null) {
      filter.put(VectorStore.TENANT_KEY, tenant);
    }
    CompletionStage<VectorStore.SearchResult> ask = Asks.askWithStatus(
        vectorStore, replyTo -> new VectorStore.Search(query, k, Map.copyOf(filter), replyTo), timeout, scheduler);
    return AskFailures.explained(ask, "vector store", timeout).thenApply(result -> toJson(result, tenant));
  }

  private static JsonNode toJson(VectorStore.SearchResult result, String tenant) {
    ObjectNode out = Json.object();
    ArrayNode hits = out.putArray("hits");
    for (VectorStore.Hit hit : result.hits()) {
      String id = tenant != null && hit.id().startsWith(tenant + "~") ? hit.id().substring(tenant.length() + 1) : hit.id();
      ObjectNode h = hits.addObject().put("id", id).put("score", hit.score()).put("text", hit.text())
          .put("chunk", hit.chunk()).put("start", hit.start()).put("end", hit.end());
      Map<String, String> metadata = new LinkedHashMap<>(hit.metadata() == null ? Map.of() : hit.metadata());
      metadata.remove(VectorStore.TENANT_KEY);
      h.set("metadata", Json.valueToTree(metadata));
    }
    return out;
  }
}
