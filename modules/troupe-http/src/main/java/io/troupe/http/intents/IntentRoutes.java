package io.troupe.http.intents;

import static org.apache.pekko.http.javadsl.server.Directives.complete;
import static org.apache.pekko.http.javadsl.server.Directives.concat;
import static org.apache.pekko.http.javadsl.server.Directives.delete;
import static org.apache.pekko.http.javadsl.server.Directives.get;
import static org.apache.pekko.http.javadsl.server.Directives.onComplete;
import static org.apache.pekko.http.javadsl.server.Directives.optionalHeaderValueByName;
import static org.apache.pekko.http.javadsl.server.Directives.parameterOptional;
import static org.apache.pekko.http.javadsl.server.Directives.path;
import static org.apache.pekko.http.javadsl.server.Directives.post;
import static org.apache.pekko.http.javadsl.server.Directives.withRequestTimeout;
import static org.apache.pekko.http.javadsl.server.PathMatchers.segment;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.troupe.core.json.Json;
import io.troupe.core.runtime.Subsystems;
import io.troupe.core.session.IntentIds;
import io.troupe.core.session.IntentView;
import io.troupe.core.session.SessionEntity;
import io.troupe.http.Backends;
import io.troupe.http.HttpSettings;
import io.troupe.http.support.ApiError;
import io.troupe.http.support.Fields;
import io.troupe.http.support.JsonBody;
import io.troupe.http.support.JsonResponses;
import io.troupe.http.support.ReadinessGate;
import io.troupe.http.support.Respond;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeoutException;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.RecipientRef;
import org.apache.pekko.actor.typed.Scheduler;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.japi.function.Function;
import org.apache.pekko.pattern.StatusReply;
import org.apache.pekko.http.javadsl.model.headers.Location;
import org.apache.pekko.http.javadsl.server.Route;

/** The intent routes of DESIGN.md §4: submit, batch, read, cancel, events and trace. */
public final class IntentRoutes {
  private final Backends backends;
  private final HttpSettings settings;
  private final Scheduler scheduler;
  private final ReadinessGate readiness;
  private final int retryAfter;

  public IntentRoutes(Backends backends, HttpSettings settings, Scheduler scheduler, ReadinessGate readiness) {
    this.backends = backends;
    this.settings = settings;
    this.scheduler = scheduler;
    this.readiness = readiness;
    this.retryAfter = settings.retryAfterSeconds();
  }

  public Route route() {
    return concat(
        path(segment("v1").slash("intents:batch"), () -> post(this::batch)),
        path(segment("v1").slash("intents"), () -> post(this::submit)),
        path(segment("v1").slash("intents").slash(segment()).slash("events"), id -> get(() -> events(id))),
        path(segment("v1").slash("intents").slash(segment()).slash("trace"), id -> get(() -> trace(id))),
        path(segment("v1").slash("intents").slash(segment()),
            id -> concat(get(() -> read(id)), delete(() -> cancel(id)))));
  }

  // POST /v1/intents

  private Route submit() {
    return parameterOptional("wait", wait -> parameterOptional("timeoutMs", timeoutMs ->
        optionalHeaderValueByName("Idempotency-Key", key ->
            JsonBody.json(settings.limits(), settings.maxBodyBytes(), settings.askTimeout(), body -> Respond.guarded(() -> {
              boolean waitForIt = Fields.queryBoolean(wait, "wait");
              Duration waitFor = waitTimeout(timeoutMs, settings.waitDefaultTimeout());
              SubmitRequest request = SubmitRequest.parse(body, key, "", settings.limits());
              CompletionStage<HttpResponse> response = readiness
                  .require(Subsystems.DATABASE, "accepting an intent")
                  .thenCompose(ready -> submitTo(request))
                  .thenCompose(view -> waitForIt
                      ? awaitResource(view, waitFor).thenApply(IntentRoutes::resourceResponse)
                      : CompletableFuture.completedFuture(acceptedResponse(view)));
              return withRequestTimeout(requestTimeout(waitForIt ? waitFor : Duration.ZERO),
                  () -> Respond.with(response, retryAfter));
            })))));
  }

  // POST /v1/intents:batch

  private Route batch() {
    return parameterOptional("timeoutMs", timeoutMs -> optionalHeaderValueByName("Idempotency-Key", key ->
        JsonBody.json(settings.limits(), settings.maxBodyBytes(), settings.askTimeout(), body -> Respond.guarded(() -> {
          Duration waitFor = waitTimeout(timeoutMs, settings.batchDefaultTimeout());
          ObjectNode obj = Fields.object(body, "the request body");
          JsonNode items = obj.get("intents");
          if (items == null || items.isNull()) {
            throw ApiError.invalid("`intents` is required");
          }
          if (!items.isArray()) {
            throw ApiError.invalid("`intents` must be an array, not " + Fields.typeOf(items));
          }
          if (items.isEmpty()) {
            throw ApiError.invalid("`intents` must not be empty");
          }
          if (items.size() > settings.batchMaxSize()) {
            throw ApiError.invalid("a batch holds at most " + settings.batchMaxSize() + " intents, not " + items.size());
          }
          CompletionStage<HttpResponse> response = readiness
              .require(Subsystems.DATABASE, "accepting an intent")
              .thenCompose(ready -> runBatch(items, key, waitFor));
          return withRequestTimeout(requestTimeout(waitFor), () -> Respond.with(response, retryAfter));
        }))));
  }

  /** Submits every item at once, waits for each, and answers in input order. */
  private CompletionStage<HttpResponse> runBatch(JsonNode items, Optional<String> key, Duration waitFor) {
    List<CompletableFuture<JsonNode>> results = new ArrayList<>(items.size());
    for (int i = 0; i < items.size(); i++) {
      int index = i;
      try {
        SubmitRequest request =
            SubmitRequest.parse(items.get(i), key.map(k -> k + "#" + index), "intents[" + i + "]: ", settings.limits());
        results.add(submitTo(request)
            .thenCompose(view -> awaitResource(view, waitFor))
            .<JsonNode>thenApply(IntentJson::resource)
            .exceptionally(t -> errorItem(JsonResponses.toApiError(t, retryAfter)))
            .toCompletableFuture());
      } catch (ApiError e) {
        results.add(CompletableFuture.completedFuture(errorItem(e)));
      }
    }
    return CompletableFuture.allOf(results.toArray(CompletableFuture[]::new)).thenApply(done -> {
      ObjectNode out = Json.object();
      ArrayNode array = out.putArray("results");
      results.forEach(f -> array.add(f.getNow(null)));
      return JsonResponses.json(200, out);
    });
  }

  private static JsonNode errorItem(ApiError e) {
    return JsonResponses.errorBody(e.code(), e.getMessage());
  }

  // GET, DELETE /v1/intents/{id}

  private Route read(String id) {
    return Respond.guarded(() -> Respond.with(
        ask(id, replyTo -> new SessionEntity.Get(id, replyTo), settings.askTimeout())
            .thenApply(view -> JsonResponses.json(200, IntentJson.resource(view))),
        retryAfter));
  }

  private Route cancel(String id) {
    return Respond.guarded(() -> Respond.with(
        ask(id, replyTo -> new SessionEntity.Cancel(id, replyTo), settings.askTimeout())
            .thenApply(view -> JsonResponses.json(202, IntentJson.resource(view))),
        retryAfter));
  }

  // GET /v1/intents/{id}/trace

  private Route trace(String id) {
    return Respond.guarded(() -> Respond.with(
        ask(id, replyTo -> new SessionEntity.Get(id, replyTo), settings.askTimeout())
            .thenApply(view -> JsonResponses.json(200, TraceJson.trace(view))),
        retryAfter));
  }

  // GET /v1/intents/{id}/events

  private Route events(String id) {
    return optionalHeaderValueByName("Last-Event-ID", lastEventId -> Respond.guarded(() -> {
      RecipientRef<SessionEntity.Command> session = sessionRef(id);
      long afterSeq = lastEventId(lastEventId);
      CompletionStage<IntentView> exists =
          ask(id, replyTo -> new SessionEntity.Get(id, replyTo), settings.askTimeout());
      return onComplete(exists, found -> found.isFailure()
          ? complete(JsonResponses.fromThrowable(found.failed().get(), retryAfter))
          : complete(IntentEventsSse.response(
              session, id, afterSeq, settings.sseBufferSize(), settings.sseKeepAlive())));
    }));
  }

  private static long lastEventId(Optional<String> header) {
    if (header.isEmpty() || header.get().isBlank()) {
      return 0;
    }
    try {
      long seq = Long.parseLong(header.get().trim());
      if (seq < 0) {
        throw ApiError.invalid("the Last-Event-ID header must not be negative");
      }
      return seq;
    } catch (NumberFormatException e) {
      throw ApiError.invalid("the Last-Event-ID header must be an event id (an integer), not '"
          + Fields.clip(header.get()) + "'");
    }
  }

  // helpers

  private CompletionStage<IntentView> submitTo(SubmitRequest r) {
    return AskPattern.askWithStatus(
        backends.sessions().apply(r.sessionId()),
        replyTo -> new SessionEntity.Submit(r.text(), r.metadata(), r.idempotencyKey(), replyTo),
        settings.askTimeout(),
        scheduler);
  }

  /**
   * The intent once terminal, or as it is when {@code waitFor} passes first (or as submitted
   * when even that read fails).
   */
  private CompletionStage<IntentView> awaitResource(IntentView view, Duration waitFor) {
    if (view.status().isTerminal() || waitFor.isZero()) {
      return CompletableFuture.completedFuture(view);
    }
    return ask(view.id(), replyTo -> new SessionEntity.AwaitTerminal(view.id(), replyTo), waitFor)
        .exceptionallyCompose(t -> {
          if (JsonResponses.unwrap(t) instanceof TimeoutException) {
            return ask(view.id(), replyTo -> new SessionEntity.Get(view.id(), replyTo), settings.askTimeout())
                .exceptionally(again -> view);
          }
          return CompletableFuture.failedFuture(t);
        });
  }

  private CompletionStage<IntentView> ask(
      String intentId,
      Function<ActorRef<StatusReply<IntentView>>, SessionEntity.Command> message,
      Duration timeout) {
    return AskPattern.askWithStatus(sessionRef(intentId), message, timeout, scheduler);
  }

  /** The session entity of an intent id; 404 for an id that cannot name an intent. */
  private RecipientRef<SessionEntity.Command> sessionRef(String intentId) {
    String session = IntentIds.sessionOf(intentId)
        .orElseThrow(() -> ApiError.notFound("no intent '" + Fields.clip(intentId) + "'"));
    return backends.sessions().apply(session);
  }

  private Duration waitTimeout(Optional<String> timeoutMs, Duration fallback) {
    Duration requested = Fields.queryLong(timeoutMs, "timeoutMs").map(Duration::ofMillis).orElse(fallback);
    return requested.compareTo(settings.waitMaxTimeout()) > 0 ? settings.waitMaxTimeout() : requested;
  }

  private Duration requestTimeout(Duration wait) {
    return wait.plus(settings.askTimeout().multipliedBy(3));
  }

  private static HttpResponse acceptedResponse(IntentView view) {
    return JsonResponses.json(202, IntentJson.accepted(view))
        .addHeader(Location.create(IntentJson.self(view.id())));
  }

  /** 200 with the resource once terminal; 202 with it while it still runs. */
  private static HttpResponse resourceResponse(IntentView view) {
    if (view.status().isTerminal()) {
      return JsonResponses.json(200, IntentJson.resource(view));
    }
    return JsonResponses.json(202, IntentJson.resource(view)).addHeader(Location.create(IntentJson.self(view.id())));
  }
}
