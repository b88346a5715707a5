package io.troupe.http.documents;

import static org.apache.pekko.http.javadsl.server.Directives.concat;
import static org.apache.pekko.http.javadsl.server.Directives.delete;
import static org.apache.pekko.http.javadsl.server.Directives.get;
import static org.apache.pekko.http.javadsl.server.Directives.parameterOptional;
import static org.apache.pekko.http.javadsl.server.Directives.path;
import static org.apache.pekko.http.javadsl.server.Directives.post;
import static org.apache.pekko.http.javadsl.server.PathMatchers.segment;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.troupe.core.json.Json;
import io.troupe.core.vector.VectorStore;
import io.troupe.http.Backends;
import io.troupe.http.HttpSettings;
import io.troupe.http.support.ApiError;
import io.troupe.http.support.Fields;
import io.troupe.http.support.JsonBody;
import io.troupe.http.support.JsonResponses;
import io.troupe.http.support.Respond;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.apache.pekko.actor.typed.Scheduler;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.http.javadsl.server.Route;

/** Document ingest, search and delete against the vector store. */
public final class DocumentRoutes {
  private static final int MAX_ID_LENGTH = 256;

  private final Backends backends;
  private final HttpSettings settings;
  private final Scheduler scheduler;

  public DocumentRoutes(Backends backends, HttpSettings settings, Scheduler scheduler) {
    this.backends = backends;
    this.settings = settings;
    this.scheduler = scheduler;
  }

  public Route route() {
    return concat(
        path(segment("v1").slash("documents"), () -> post(this::ingest)),
        path(segment("v1").slash("documents").slash("search"), () -> get(this::search)),
        path(segment("v1").slash("documents").slash(segment()), id -> delete(() -> remove(id))));
  }

  // POST /v1/documents {"documents":[{"id"?,"text","metadata"?}]}

  private Route ingest() {
    return JsonBody.json(settings.maxDocumentBodyBytes(), settings.askTimeout(), body -> Respond.guarded(() -> {
      List<VectorStore.Document> documents = parseDocuments(body);
      return Respond.with(
          AskPattern.<VectorStore.Command, VectorStore.Upserted>askWithStatus(
                  backends.vectorStore(), replyTo -> new VectorStore.Upsert(documents, replyTo),
                  settings.askTimeout(), scheduler)
              .thenApply(upserted -> {
                ObjectNode out = Json.object();
                ArrayNode ids = out.putArray("ids");
                upserted.ids().forEach(ids::add);
                return JsonResponses.json(200, out);
              }),
          settings.retryAfterSeconds());
    }));
  }

  private List<VectorStore.Document> parseDocuments(JsonNode body) {
    ObjectNode obj = Fields.object(body, "the request body");
    JsonNode docs = obj.get("documents");
    if (docs == null || docs.isNull()) {
      throw ApiError.invalid("`documents` is required");
    }
    if (!docs.isArray()) {
      throw ApiError.invalid("`documents` must be an array, not " + Fields.typeOf(docs));
    }
    if (docs.isEmpty()) {
      throw ApiError.invalid("`documents` must not be empty");
    }
    if (docs.size() > settings.documentsMaxCount()) {
      throw ApiError.invalid("at most " + settings.documentsMaxCount() + " documents per request, not " + docs.size());
    }
    List<VectorStore.Document> out = new ArrayList<>(docs.size());
    for (int i = 0; i < docs.size(); i++) {
      String prefix = "documents[" + i + "]: ";
      ObjectNode doc = Fields.object(docs.get(i), "documents[" + i + "]");
      String text = Fields.requiredText(doc, "text", prefix);
      String id = Fields.optionalString(doc, "id", prefix).orElse(null);
      if (id != null && (id.isBlank() || id.length() > MAX_ID_LENGTH)) {
        throw ApiError.invalid(prefix + "`id` must be 1 to " + MAX_ID_LENGTH + " characters");
      }
      Map<String, String> metadata = Fields.optionalObject(doc, "metadata", prefix)
          .map(m -> stringMap(m, prefix + "`metadata`"))
          .orElse(Map.of());
      out.add(new VectorStore.Document(id == null ? UUID.randomUUID().toString() : id, text, metadata));
    }
    return out;
  }

  // GET /v1/documents/search?q=&k=&filter=

  private Route search() {
    return parameterOptional("q", q -> parameterOptional("k", k -> parameterOptional("filter", filter ->
        Respond.guarded(() -> {
          String query = q.filter(s -> !s.isBlank())
              .orElseThrow(() -> ApiError.invalid("query parameter `q` is required"));
          int top = Fields.queryLong(k, "k").map(Long::intValue).orElse(settings.documentsDefaultK());
          if (top < 1 || top > settings.documentsMaxK()) {
            throw ApiError.invalid("query parameter `k` must be between 1 and " + settings.documentsMaxK());
          }
          Map<String, String> filters = parseFilter(filter);
          return Respond.with(
              AskPattern.<VectorStore.Command, VectorStore.SearchResult>askWithStatus(
                      backends.vectorStore(), replyTo -> new VectorStore.Search(query, top, filters, replyTo),
                      settings.askTimeout(), scheduler)
                  .thenApply(result -> {
                    ObjectNode out = Json.object();
                    ArrayNode hits = out.putArray("hits");
                    result.hits().forEach(h -> {
                      ObjectNode o = hits.addObject();
                      o.put("id", h.id());
                      o.put("score", h.score());
                      o.put("text", h.text());
                      o.set("metadata", Json.valueToTree(h.metadata() == null ? Map.of() : h.metadata()));
                    });
                    return JsonResponses.json(200, out);
                  }),
              settings.retryAfterSeconds());
        }))));
  }

  /** {@code filter} as a JSON object ({@code {"lang":"en"}}) or {@code key:value,key:value}. */
  static Map<String, String> parseFilter(Optional<String> raw) {
    if (raw.isEmpty() || raw.get().isBlank()) {
      return Map.of();
    }
    String text = raw.get().trim();
    if (text.startsWith("{")) {
      JsonNode node;
      try {
        node = JsonBody.parse(text.getBytes(StandardCharsets.UTF_8));
      } catch (ApiError e) {
        throw ApiError.invalid("query parameter `filter` is not valid JSON: " + e.getMessage());
      }
      return stringMap(Fields.object(node, "query parameter `filter`"), "query parameter `filter`");
    }
    Map<String, String> out = new LinkedHashMap<>();
    for (String pair : text.split(",")) {
      int colon = pair.indexOf(':');
      if (colon < 0 || pair.substring(0, colon).isBlank()) {
        throw ApiError.invalid("query parameter `filter` must be a JSON object or key:value pairs separated by commas");
      }
      out.put(pair.substring(0, colon).trim(), pair.substring(colon + 1).trim());
    }
    return out;
  }

  private static Map<String, String> stringMap(ObjectNode obj, String what) {
    Map<String, String> out = new LinkedHashMap<>();
    obj.fields().forEachRemaining(f -> {
      JsonNode v = f.getValue();
      if (v.isNull()) {
        return;
      }
      if (!v.isValueNode()) {
        throw ApiError.invalid(what + " values must be strings, numbers or booleans; `" + f.getKey() + "` is "
            + Fields.typeOf(v));
      }
      out.put(f.getKey(), v.asText());
    });
    return out;
  }

  // DELETE /v1/documents/{id}

  private Route remove(String id) {
    return Respond.with(
        AskPattern.<VectorStore.Command, VectorStore.Deleted>askWithStatus(
                backends.vectorStore(), replyTo -> new VectorStore.Delete(id, replyTo),
                settings.askTimeout(), scheduler)
            .thenApply(deleted -> {
              if (!deleted.existed()) {
                throw ApiError.notFound("no document '" + Fields.clip(id) + "'");
              }
              ObjectNode out = Json.object();
              out.put("id", deleted.id());
              out.put("deleted", true);
              return JsonResponses.json(200, out);
            }),
        settings.retryAfterSeconds());
  }
}
