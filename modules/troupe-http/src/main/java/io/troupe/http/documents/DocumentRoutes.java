package io.troupe.http.documents;

import static org.apache.pekko.http.javadsl.server.Directives.complete;
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
import io.troupe.core.actor.Asks;
import io.troupe.core.json.Json;
import io.troupe.core.guardrail.Guardrail;
import io.troupe.core.vector.VectorStore;
import org.apache.pekko.Done;
import io.troupe.http.Backends;
import io.troupe.http.HttpSettings;
import io.troupe.http.security.Access;
import io.troupe.http.security.Caller;
import io.troupe.http.security.Scope;
import io.troupe.http.support.ApiError;
import io.troupe.http.support.Fields;
import io.troupe.http.support.JsonBody;
import io.troupe.http.support.JsonResponses;
import io.troupe.http.support.Respond;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.apache.pekko.actor.typed.Scheduler;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * Document ingest, search and delete against the vector store.
 *
 * <ul>
 *   <li>{@code POST /v1/documents} {@code {"documents":[{"id"?,"text","metadata"?}]}}: 200
 *       {@code {"ids"}} once every document is durable. With {@code ?async=true}: 202
 *       {@code {"jobId","status","done","total","ids","links"}} at once, and the progress at
 *       {@code GET /v1/documents/jobs/{jobId}} ({@code {"id","status","done","total","ids","error"?}},
 *       status {@code running | succeeded | failed}). Either way the batch goes to the store in
 *       slices of {@value #SLICE} documents, one after the other; {@code done} counts the durable ones.
 *   <li>{@code GET /v1/documents/search?q=&k=&filter=}: {@code {"hits":[{"id","score","text",
 *       "metadata","chunk","start","end"}]}}, one hit per matching chunk.
 *   <li>{@code DELETE /v1/documents/{id}}: every chunk of the document.
 * </ul>
 *
 * Metadata values are strings, numbers or booleans; {@code tags} may also be an array of them
 * (stored comma-separated; a filter {@code tags:a} matches every document tagged a).
 *
 * <p>Tenancy: a tenant's documents are stored under {@code <tenant>~<id>} with the metadata
 * {@link VectorStore#TENANT_KEY}, and every search of a tenant filters on it; ids and metadata
 * leave without either. Another tenant's document is 404, and never a hit.
 */
public final class DocumentRoutes {
  private static final int MAX_ID_LENGTH = 256;
  private static final String TAGS = "tags";
  /** Documents per Upsert sent to the store. */
  static final int SLICE = 64;
  /** Finished jobs kept for GET, the oldest forgotten first. */
  static final int MAX_JOBS = 1000;

  private final Jobs jobs = new Jobs();

  private final Backends backends;
  private final HttpSettings settings;
  private final Scheduler scheduler;

  public DocumentRoutes(Backends backends, HttpSettings settings, Scheduler scheduler) {
    this.backends = backends;
    this.settings = settings;
    this.scheduler = scheduler;
  }

  public Route route(Caller caller) {
    return concat(
        path(segment("v1").slash("documents"),
            () -> post(() -> Access.require(caller, () -> ingest(caller), Scope.DOCUMENTS_WRITE))),
        path(segment("v1").slash("documents").slash("search"),
            () -> get(() -> Access.require(caller, () -> search(caller), Scope.INTENTS_READ, Scope.DOCUMENTS_WRITE))),
        path(segment("v1").slash("documents").slash("jobs").slash(segment()),
            id -> get(() -> Access.require(caller, () -> job(id, caller), Scope.DOCUMENTS_WRITE))),
        path(segment("v1").slash("documents").slash(segment()),
            id -> delete(() -> Access.require(caller, () -> remove(id, caller), Scope.DOCUMENTS_WRITE))));
  }

  // POST /v1/documents {"documents":[{"id"?,"text","metadata"?}]}

  private Route ingest(Caller caller) {
    return parameterOptional("async", async -> JsonBody.json(settings.limits(), settings.maxDocumentBodyBytes(), settings.askTimeout(),
        body -> Respond.guarded(() -> {
          boolean background = Fields.queryBoolean(async, "async");
          List<VectorStore.Document> documents = parseDocuments(body);
          Job job = new Job(UUID.randomUUID().toString(), caller.tenant(),
              documents.stream().map(VectorStore.Document::id).toList());
          CompletionStage<Void> done = upsertInSlices(documents.stream().map(d -> owned(d, caller)).toList(), job);
          if (background) {
            jobs.add(job);
            done.whenComplete((ignored, failure) -> job.finish(failure, settings.retryAfterSeconds()));
            ObjectNode out = job.toJson();
            out.put("jobId", job.id);
            out.putObject("links").put("self", "/v1/documents/jobs/" + job.id);
            return complete(JsonResponses.json(202, out));
          }
          return Respond.with(done.thenApply(ignored -> {
            ObjectNode out = Json.object();
            ArrayNode ids = out.putArray("ids");
            job.ids.forEach(ids::add);
            return JsonResponses.json(200, out);
          }), settings.retryAfterSeconds());
        })));
  }

  /**
   * Checks every document first (nothing is written when one is refused), then sends the slices
   * one after the other through the guardrail; each is durable when its reply arrives.
   */
  private CompletionStage<Void> upsertInSlices(List<VectorStore.Document> documents, Job job) {
    CompletionStage<Void> chain = Asks.<Guardrail.Command, Done>askWithStatus(backends.guardrail(),
            replyTo -> new Guardrail.CheckDocuments(documents, replyTo), settings.askTimeout(), scheduler)
        .thenApply(ok -> null);
    for (int from = 0; from < documents.size(); from += SLICE) {
      List<VectorStore.Document> slice = List.copyOf(documents.subList(from, Math.min(documents.size(), from + SLICE)));
      chain = chain.thenCompose(ignored -> upsert(slice).thenAccept(upserted -> job.done.addAndGet(slice.size())));
    }
    return chain;
  }

  private CompletionStage<VectorStore.Upserted> upsert(List<VectorStore.Document> slice) {
    return Asks.askWithStatus(backends.guardrail(), replyTo -> new Guardrail.RouteDocuments(slice, replyTo),
        settings.askTimeout(), scheduler);
  }

  /** The document as stored for the caller's tenant. */
  private static VectorStore.Document owned(VectorStore.Document d, Caller caller) {
    if (caller.isImplicit()) {
      return d;
    }
    Map<String, String> metadata = new LinkedHashMap<>(d.metadata());
    metadata.put(VectorStore.TENANT_KEY, caller.tenant());
    return new VectorStore.Document(caller.qualify(d.id()), d.text(), metadata);
  }

  // GET /v1/documents/jobs/{id}

  private Route job(String id, Caller caller) {
    Job job = jobs.get(id);
    if (job == null || !job.tenant.equals(caller.tenant())) {
      return complete(JsonResponses.error(ApiError.notFound("no ingest job '" + Fields.clip(id) + "'")));
    }
    return complete(JsonResponses.json(200, job.toJson()));
  }

  /** An ingest in progress: its counters are written by the ask callbacks and read by GET. */
  static final class Job {
    final String id;
    final String tenant;
    final List<String> ids;
    final AtomicInteger done = new AtomicInteger();
    private volatile String status = "running";
    private volatile ApiError error;

    Job(String id, String tenant, List<String> ids) {
      this.id = id;
      this.tenant = tenant;
      this.ids = ids;
    }

    void finish(Throwable failure, int retryAfterSeconds) {
      if (failure != null) {
        error = JsonResponses.toApiError(failure, retryAfterSeconds);
        status = "failed";
      } else {
        status = "succeeded";
      }
    }

    boolean running() {
      return status.equals("running");
    }

    ObjectNode toJson() {
      ObjectNode out = Json.object();
      out.put("id", id);
      String now = status;
      out.put("status", now);
      out.put("done", done.get());
      out.put("total", ids.size());
      ArrayNode list = out.putArray("ids");
      ids.forEach(list::add);
      ApiError failure = error;
      if (failure != null) {
        out.putObject("error").put("code", failure.code()).put("message", failure.getMessage());
      }
      return out;
    }
  }

  /** The jobs of this node, in memory: a restart forgets them (not the documents they wrote). */
  static final class Jobs {
    private final Map<String, Job> byId = new LinkedHashMap<>();

    synchronized void add(Job job) {
      byId.put(job.id, job);
      if (byId.size() > MAX_JOBS) {
        byId.values().stream().filter(j -> !j.running()).findFirst().ifPresent(oldest -> byId.remove(oldest.id));
      }
    }

    synchronized Job get(String id) {
      return byId.get(id);
    }
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
      if (id != null) {
        Fields.identifier(id, prefix + "`id`", MAX_ID_LENGTH);
      }
      Map<String, String> metadata = Fields.optionalObject(doc, "metadata", prefix)
          .map(m -> metadataMap(m, prefix + "`metadata`"))
          .orElse(Map.of());
      out.add(new VectorStore.Document(id == null ? UUID.randomUUID().toString() : id, text, metadata));
    }
    return out;
  }

  // GET /v1/documents/search?q=&k=&filter=

  private Route search(Caller caller) {
    return parameterOptional("q", q -> parameterOptional("k", k -> parameterOptional("filter", filter ->
        Respond.guarded(() -> {
          String query = q.filter(s -> !s.isBlank())
              .orElseThrow(() -> ApiError.invalid("query parameter `q` is required"));
          int top = Fields.queryLong(k, "k").map(Long::intValue).orElse(settings.documentsDefaultK());
          if (top < 1 || top > settings.documentsMaxK()) {
            throw ApiError.invalid("query parameter `k` must be between 1 and " + settings.documentsMaxK());
          }
          Map<String, String> filters = new LinkedHashMap<>(parseFilter(filter));
          if (!caller.isImplicit()) {
            filters.put(VectorStore.TENANT_KEY, caller.tenant());
          }
          return Respond.with(
              Asks.<VectorStore.Command, VectorStore.SearchResult>askWithStatus(
                      backends.vectorStore(), replyTo -> new VectorStore.Search(query, top, filters, replyTo),
                      settings.askTimeout(), scheduler)
                  .thenApply(result -> {
                    ObjectNode out = Json.object();
                    ArrayNode hits = out.putArray("hits");
                    result.hits().forEach(h -> {
                      ObjectNode o = hits.addObject();
                      o.put("id", caller.unqualify(h.id()));
                      o.put("score", h.score());
                      o.put("text", h.text());
                      o.set("metadata", metadataJson(h.metadata()));
                      o.put("chunk", h.chunk());
                      o.put("start", h.start());
                      o.put("end", h.end());
                    });
                    return JsonResponses.json(200, out);
                  }),
              settings.retryAfterSeconds());
        }))));
  }

  /**
   * {@code filter} as a JSON object ({@code {"tenant":"acme","tags":["a","b"]}}) or
   * {@code key:value,key:value} ({@code tenant:acme,tag:a,tag:b}). Several tags: documents with all of them.
   */
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
      return metadataMap(Fields.object(node, "query parameter `filter`"), "query parameter `filter`");
    }
    Map<String, String> out = new LinkedHashMap<>();
    for (String pair : text.split(",")) {
      int colon = pair.indexOf(':');
      if (colon < 0 || pair.substring(0, colon).isBlank()) {
        throw ApiError.invalid("query parameter `filter` must be a JSON object or key:value pairs separated by commas");
      }
      String named = pair.substring(0, colon).trim();
      String key = named.equals("tag") ? TAGS : named;
      String value = pair.substring(colon + 1).trim();
      // tags:a,tags:b asks for both tags
      out.merge(key, value, (earlier, later) -> key.equals(TAGS) ? earlier + "," + later : later);
    }
    return out;
  }

  /** Metadata as the store keeps it: strings; {@code tags} may be an array, kept comma-separated. */
  private static Map<String, String> metadataMap(ObjectNode obj, String what) {
    JsonNode tags = obj.get(TAGS);
    if (tags == null || !tags.isArray()) {
      return stringMap(obj, what);
    }
    List<String> list = new ArrayList<>();
    for (JsonNode tag : tags) {
      if (!tag.isValueNode() || tag.isNull()) {
        throw ApiError.invalid(what + " `tags` must be an array of strings");
      }
      Fields.storableText(tag.asText(), what + " `tags`");
      if (tag.asText().contains(",")) {
        throw ApiError.invalid(what + " a tag must not contain a comma: '" + Fields.clip(tag.asText()) + "'");
      }
      if (!tag.asText().isBlank()) {
        list.add(tag.asText().trim());
      }
    }
    ObjectNode rest = obj.deepCopy();
    rest.remove(TAGS);
    Map<String, String> out = stringMap(rest, what);
    if (!list.isEmpty()) {
      out.put(TAGS, String.join(",", list));
    }
    return out;
  }

  /** Hit metadata as JSON: {@code tags} as an array. */
  private static ObjectNode metadataJson(Map<String, String> metadata) {
    ObjectNode out = Json.object();
    if (metadata == null) {
      return out;
    }
    metadata.forEach((key, value) -> {
      if (key.equals(VectorStore.TENANT_KEY)) {
        return;
      }
      if (key.equals(TAGS)) {
        ArrayNode tags = out.putArray(TAGS);
        Arrays.stream(value.split(",")).map(String::trim).filter(t -> !t.isEmpty()).forEach(tags::add);
      } else {
        out.put(key, value);
      }
    });
    return out;
  }

  private static Map<String, String> stringMap(ObjectNode obj, String what) {
    Map<String, String> out = new LinkedHashMap<>();
    if (obj.has(VectorStore.TENANT_KEY)) {
      throw ApiError.invalid(what + " `" + VectorStore.TENANT_KEY + "` is reserved: the ingress sets it");
    }
    obj.fields().forEachRemaining(f -> {
      JsonNode v = f.getValue();
      if (v.isNull()) {
        return;
      }
      if (f.getKey().isBlank()) {
        throw ApiError.invalid(what + " keys must not be empty");
      }
      Fields.storableText(f.getKey(), what + " keys");
      Fields.storableText(v.asText(), what + " `" + Fields.clip(f.getKey()) + "`");
      if (!v.isValueNode()) {
        throw ApiError.invalid(what + " values must be strings, numbers or booleans; `" + f.getKey() + "` is "
            + Fields.typeOf(v));
      }
      out.put(f.getKey(), v.asText());
    });
    return out;
  }

  // DELETE /v1/documents/{id}

  private Route remove(String id, Caller caller) {
    if (id.isBlank()) {
      return complete(JsonResponses.error(ApiError.notFound("no document '" + Fields.clip(id) + "'")));
    }
    return Respond.with(
        Asks.<VectorStore.Command, VectorStore.Deleted>askWithStatus(
                backends.vectorStore(), replyTo -> new VectorStore.Delete(caller.qualify(id), replyTo),
                settings.askTimeout(), scheduler)
            .thenApply(deleted -> {
              if (!deleted.existed()) {
                throw ApiError.notFound("no document '" + Fields.clip(id) + "'");
              }
              ObjectNode out = Json.object();
              out.put("id", caller.unqualify(deleted.id()));
              out.put("deleted", true);
              return JsonResponses.json(200, out);
            }),
        settings.retryAfterSeconds());
  }
}
