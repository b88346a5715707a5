package io.troupe.http.intents;

import static org.apache.pekko.http.javadsl.server.Directives.complete;
import static org.apache.pekko.http.javadsl.server.Directives.completeWithFuture;
import static org.apache.pekko.http.javadsl.server.Directives.concat;
import static org.apache.pekko.http.javadsl.server.Directives.delete;
import static org.apache.pekko.http.javadsl.server.Directives.get;
import static org.apache.pekko.http.javadsl.server.Directives.mapRouteResultFuture;
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
import io.troupe.core.actor.Asks;
import io.troupe.core.agent.Agents;
import io.troupe.core.json.Json;
import io.troupe.core.runtime.Subsystems;
import io.troupe.core.session.IntentIds;
import io.troupe.core.session.IntentView;
import io.troupe.core.session.Outcome;
import io.troupe.core.session.SessionEntity;
import io.troupe.core.trace.TraceParent;
import io.troupe.http.Backends;
import io.troupe.http.HttpSettings;
import io.troupe.http.security.Access;
import io.troupe.http.security.Caller;
import io.troupe.http.security.Scope;
import io.troupe.http.support.ApiError;
import io.troupe.http.support.Fields;
import io.troupe.http.support.JsonBody;
import io.troupe.http.support.JsonResponses;
import io.troupe.http.support.LoadShedder;
import io.troupe.http.support.ReadinessGate;
import io.troupe.http.support.Respond;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.RecipientRef;
import org.apache.pekko.actor.typed.Scheduler;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.pattern.StatusReply;
import org.apache.pekko.http.javadsl.model.headers.Location;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * The intent routes of DESIGN.md §4: submit, batch, read, cancel, events and trace. Every id a
 * caller names is qualified with its tenant on the way in ({@link Caller#qualify}) and
 * unqualified on the way out, so another tenant's intents answer 404 like ones that never existed.
 */
public final class IntentRoutes {
  private final Backends backends;
  private final HttpSettings settings;
  private final Scheduler scheduler;
  private final ReadinessGate readiness;
  private final LoadShedder shedder;
  private final Agents agents;
  private final int retryAfter;

  public IntentRoutes(
      Backends backends, HttpSettings settings, Scheduler scheduler, ReadinessGate readiness, LoadShedder shedder) {
    this(backends, settings, scheduler, readiness, shedder, null);
  }

  /** {@code agents}: an intent naming an agent not among them gets 400 here (null: the session decides). */
  public IntentRoutes(Backends backends, HttpSettings settings, Scheduler scheduler, ReadinessGate readiness,
      LoadShedder shedder, Agents agents) {
    this.agents = agents;
    this.backends = backends;
    this.settings = settings;
    this.scheduler = scheduler;
    this.readiness = readiness;
    this.shedder = shedder;
    this.retryAfter = settings.retryAfterSeconds();
  }

  public Route route(Caller caller) {
    return concat(
        path(segment("v1").slash("intents:batch"),
            () -> post(() -> Access.require(caller, () -> batch(caller), Scope.INTENTS_WRITE))),
        path(segment("v1").slash("intents"),
            () -> post(() -> Access.require(caller, () -> submit(caller), Scope.INTENTS_WRITE))),
        path(segment("v1").slash("intents").slash(segment()).slash("events"),
            id -> get(() -> Access.require(caller, () -> events(id, caller), Scope.INTENTS_READ))),
        path(segment("v1").slash("intents").slash(segment()).slash("approvals"),
            id -> post(() -> Access.require(caller, () -> decide(id, caller), Scope.APPROVALS_WRITE))),
        path(segment("v1").slash("intents").slash(segment()).slash("trace"),
            id -> get(() -> Access.require(caller, () -> trace(id, caller), Scope.INTENTS_READ))),
        path(segment("v1").slash("intents").slash(segment()), id -> concat(
            get(() -> Access.require(caller, () -> read(id, caller), Scope.INTENTS_READ)),
            delete(() -> Access.require(caller, () -> cancel(id, caller), Scope.INTENTS_WRITE)))));
  }

  // POST /v1/intents

  private Route submit(Caller caller) {
    return parameterOptional("wait", wait -> parameterOptional("timeoutMs", timeoutMs ->
        optionalHeaderValueByName("Idempotency-Key", key -> optionalHeaderValueByName("traceparent", traceparent ->
          shedFirst(!Fields.queryBoolean(wait, "wait"), () ->
            JsonBody.json(settings.limits(), settings.maxBodyBytes(), settings.askTimeout(), body -> Respond.guarded(() -> {
              boolean waitForIt = Fields.queryBoolean(wait, "wait");
              Duration waitFor = waitTimeout(timeoutMs, settings.waitDefaultTimeout());
              SubmitRequest request = forCaller(knownAgent(SubmitRequest.parse(body, key, "", settings.limits()), ""),
                  body, caller);
              // The caller's trace, which the intent joins; an invalid traceparent is ignored.
              TraceParent trace = traceparent.flatMap(TraceParent::parse).orElse(null);
              CompletionStage<HttpResponse> response = readiness
                  .require(Subsystems.DATABASE, "accepting an intent")
                  .thenCompose(ready -> waitForIt
                      ? submitAndWait(request, waitFor, trace).thenApply(done -> resourceResponse(shown(done, caller)))
                      : submitTo(request, trace).thenApply(view -> acceptedResponse(shown(view, caller))));
              return withRequestTimeout(requestTimeout(waitForIt ? waitFor : Duration.ZERO),
                  () -> respond(response, caller));
            })))))));
  }

  /**
   * Sheds before the work: a node that holds as many intents as it may, or that is already
   * accepting as many submissions at once as it may ({@code accepting}: a submission without
   * wait=true, or a batch), answers 503 with Retry-After before it reads, parses or validates the
   * body, so a flood costs it no more than the request head. Called per request (inside a
   * directive's lambda); the place is given back once the route has answered.
   */
  private Route shedFirst(boolean accepting, java.util.function.Supplier<Route> work) {
    shedder.admit();
    if (!accepting) {
      return work.get();
    }
    shedder.beginAccept();
    java.util.concurrent.atomic.AtomicBoolean given = new java.util.concurrent.atomic.AtomicBoolean();
    Runnable giveBack = () -> {
      if (given.compareAndSet(false, true)) {
        shedder.acceptDone();
      }
    };
    try {
      return mapRouteResultFuture(result -> result.whenComplete((r, t) -> giveBack.run()), work);
    } catch (RuntimeException e) {
      giveBack.run();
      throw e;
    }
  }

  /**
   * The request with its session qualified by the caller's tenant. A session derived from an
   * idempotency key also mixes in the tenant, so two tenants using one key get two different ids.
   */
  /** 400 {@code invalid_request} for an agent that does not exist, naming those that do. */
  private SubmitRequest knownAgent(SubmitRequest request, String prefix) {
    if (agents != null && request.agent() != null && agents.find(request.agent()).isEmpty()) {
      throw ApiError.invalid(prefix + agents.unknown(Fields.clip(request.agent())));
    }
    return request;
  }

  private static SubmitRequest forCaller(SubmitRequest request, JsonNode item, Caller caller) {
    String session = request.sessionId();
    if (!caller.isImplicit() && request.idempotencyKey() != null && !item.path("sessionId").isTextual()) {
      session = SubmitRequest.sessionOfKey(caller.tenant() + "\n" + request.idempotencyKey());
    }
    return request.with(caller.qualify(session), request.idempotencyKey());
  }

  // POST /v1/intents:batch

  private Route batch(Caller caller) {
    return parameterOptional("timeoutMs", timeoutMs -> optionalHeaderValueByName("Idempotency-Key", key ->
        optionalHeaderValueByName("traceparent", traceparent -> shedFirst(true, () ->
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
              // Every item joins the caller's trace, each as its own child of the caller's span.
              .thenCompose(ready -> runBatch(items, key, waitFor, caller, traceparent.flatMap(TraceParent::parse).orElse(null)));
          return withRequestTimeout(requestTimeout(waitFor), () -> respond(response, caller));
        }))))));
  }

  /** Submits every item at once, waits for each, and answers in input order. */
  private CompletionStage<HttpResponse> runBatch(JsonNode items, Optional<String> key, Duration waitFor, Caller caller,
      TraceParent trace) {
    List<CompletableFuture<JsonNode>> results = new ArrayList<>(items.size());
    for (int i = 0; i < items.size(); i++) {
      int index = i;
      try {
        SubmitRequest request = forCaller(knownAgent(SubmitRequest.parse(items.get(i), key.map(k -> k + "#" + index),
            "intents[" + i + "]: ", settings.limits()), "intents[" + i + "]: "), items.get(i), caller);
        results.add(submitAndWait(request, waitFor, trace)
            .<JsonNode>thenApply(view -> IntentJson.resource(shown(view, caller)))
            .exceptionally(t -> errorItem(scrubbed(t, caller)))
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

  private Route read(String id, Caller caller) {
    return Respond.guarded(() -> {
      String intentId = intentIdOf(id, caller);
      return respond(
          ask(intentId, replyTo -> new SessionEntity.Get(intentId, replyTo), settings.askTimeout())
              .thenApply(view -> JsonResponses.json(200, IntentJson.resource(shown(view, caller)))),
          caller);
    });
  }

  private Route cancel(String id, Caller caller) {
    return Respond.guarded(() -> {
      String intentId = intentIdOf(id, caller);
      return respond(
          ask(intentId, replyTo -> new SessionEntity.Cancel(intentId, replyTo), settings.askTimeout())
              .thenApply(view -> JsonResponses.json(202, IntentJson.resource(shown(view, caller)))),
          caller);
    });
  }

  // POST /v1/intents/{id}/approvals

  private Route decide(String id, Caller caller) {
    return JsonBody.json(settings.limits(), settings.maxBodyBytes(), settings.askTimeout(), body -> Respond.guarded(() -> {
      String intentId = intentIdOf(id, caller);
      ObjectNode request = Fields.object(body, "the request body");
      String approvalId = Fields.requiredText(request, "approvalId", "");
      String decision = Fields.requiredText(request, "decision", "");
      if (!decision.equals("approve") && !decision.equals("reject")) {
        throw ApiError.invalid("`decision` must be \"approve\" or \"reject\", not '" + Fields.clip(decision) + "'");
      }
      String comment = Fields.optionalString(request, "comment", "").orElse(null);
      if (comment != null && comment.length() > 2000) throw ApiError.invalid("`comment` is longer than 2000 characters");
      return respond(
          ask(intentId, replyTo -> new SessionEntity.DecideApproval(intentId, approvalId, decision.equals("approve"),
              comment, replyTo), settings.askTimeout())
              .thenApply(view -> JsonResponses.json(200, IntentJson.resource(shown(view, caller)))),
          caller);
    }));
  }

  // GET /v1/intents/{id}/trace

  private Route trace(String id, Caller caller) {
    return Respond.guarded(() -> {
      String intentId = intentIdOf(id, caller);
      return respond(
          ask(intentId, replyTo -> new SessionEntity.Get(intentId, replyTo), settings.askTimeout())
              .thenCompose(view -> withChildren(view, caller, CHILD_TRACE_LEVELS))
              .thenApply(trace -> JsonResponses.json(200, trace)),
          caller);
    });
  }

  /** Levels of child intents (agents called as tools) a trace reads; deeper ones are left out. */
  private static final int CHILD_TRACE_LEVELS = 8;

  /**
   * The trace with the spans of the child intents its agent tool calls ran (named by the tool step's
   * {@code childIntentId}), each under its call's span. A child that cannot be read is left out.
   */
  private CompletionStage<ObjectNode> withChildren(IntentView view, Caller caller, int levels) {
    ObjectNode trace = TraceJson.trace(shown(view, caller));
    if (levels <= 0 || view.steps() == null) return CompletableFuture.completedFuture(trace);
    List<CompletableFuture<Void>> children = new ArrayList<>();
    for (var step : view.steps()) {
      JsonNode child = step.detail() == null ? null : step.detail().get("childIntentId");
      if (!"tool".equals(step.kind()) || child == null || !child.isTextual()) continue;
      String childId = child.asText();
      children.add(ask(childId, replyTo -> new SessionEntity.Get(childId, replyTo), settings.askTimeout())
          .thenCompose(v -> withChildren(v, caller, levels - 1))
          .thenAccept(childTrace -> {
            synchronized (trace) {
              TraceJson.nest(trace, childTrace, step.spanId(), step.detail().path("agent").asText(""));
            }
          })
          .exceptionally(t -> null)
          .toCompletableFuture());
    }
    return CompletableFuture.allOf(children.toArray(CompletableFuture[]::new)).thenApply(done -> trace);
  }

  // GET /v1/intents/{id}/events

  private Route events(String id, Caller caller) {
    return optionalHeaderValueByName("Last-Event-ID", lastEventId -> Respond.guarded(() -> {
      String intentId = intentIdOf(id, caller);
      RecipientRef<SessionEntity.Command> session = sessionRef(intentId);
      long afterSeq = lastEventId(lastEventId);
      CompletionStage<IntentView> exists =
          ask(intentId, replyTo -> new SessionEntity.Get(intentId, replyTo), settings.askTimeout());
      return onComplete(exists, found -> found.isFailure()
          ? complete(JsonResponses.error(scrubbed(found.failed().get(), caller)))
          : complete(IntentEventsSse.response(
              session, intentId, id, caller::unqualify, afterSeq, settings.sseBufferSize(), settings.sseKeepAlive())));
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

  private CompletionStage<IntentView> submitTo(SubmitRequest request, TraceParent trace) {
    InboxFallback inbox = backends.inbox();
    if (!inbox.applies()) return submitTo(request, trace, settings.askTimeout());
    // A member is unreachable: the session may live there. Wait a little, then accept through the inbox.
    SubmitRequest r = InboxFallback.keyed(request);
    return submitTo(r, trace, inbox.waitForSession())
        .exceptionallyCompose(t -> JsonResponses.unwrap(t) instanceof TimeoutException
            ? inbox.accept(r, trace)
            : CompletableFuture.failedFuture(t));
  }

  private CompletionStage<IntentView> submitTo(SubmitRequest r, TraceParent trace, Duration timeout) {
    return Asks.askWithStatus(
        backends.sessions().apply(r.sessionId()),
        replyTo -> new SessionEntity.Submit(r.text(), r.metadata(), r.idempotencyKey(), replyTo, trace, r.agent()),
        timeout,
        scheduler);
  }

  /**
   * One request to the session: it accepts the intent and answers once it is terminal. When
   * {@code waitFor} passes first, the intent as it is then (202).
   */
  private CompletionStage<IntentView> submitAndWait(SubmitRequest request, Duration waitFor, TraceParent trace) {
    if (waitFor.isZero()) return submitTo(request, trace);
    // Without a key of the caller's, one of our own: a read after a timeout finds the same intent.
    SubmitRequest r = request.idempotencyKey() != null ? request
        : request.with(request.sessionId(), "wait:" + java.util.UUID.randomUUID());
    return Asks.<SessionEntity.Command, IntentView>askWithStatus(
            backends.sessions().apply(r.sessionId()),
            replyTo -> new SessionEntity.SubmitAndWait(r.text(), r.metadata(), r.idempotencyKey(), replyTo, trace,
                r.agent()),
            waitFor, scheduler)
        .exceptionallyCompose(t -> JsonResponses.unwrap(t) instanceof TimeoutException
            ? submitTo(r, trace) // the same key: the intent as it is now, accepted by the first request
            : CompletableFuture.failedFuture(t));
  }

  private CompletionStage<IntentView> ask(
      String intentId,
      Function<ActorRef<StatusReply<IntentView>>, SessionEntity.Command> message,
      Duration timeout) {
    return Asks.askWithStatus(sessionRef(intentId), message, timeout, scheduler);
  }

  /**
   * The internal id of an intent id a client names: qualified with its tenant. 404 for an id
   * that cannot name an intent (an id with a tenant prefix of its own is one of those).
   */
  private static String intentIdOf(String clientId, Caller caller) {
    IntentIds.sessionOf(clientId)
        .orElseThrow(() -> ApiError.notFound("no intent '" + Fields.clip(clientId) + "'"));
    return caller.qualify(clientId);
  }

  /** The session entity of an internal intent id. */
  private RecipientRef<SessionEntity.Command> sessionRef(String intentId) {
    int dot = intentId.lastIndexOf('.');
    if (dot <= 0) {
      throw ApiError.notFound("no intent");
    }
    return backends.sessions().apply(intentId.substring(0, dot));
  }

  /** The view as its client sees it: ids without the tenant prefix. */
  private static IntentView shown(IntentView v, Caller caller) {
    if (caller.isImplicit()) {
      return v;
    }
    Outcome o = v.outcome();
    Outcome outcome = o == null ? null : o.withError(caller.scrub(o.error()));
    return new IntentView(caller.unqualify(v.id()), caller.unqualify(v.sessionId()), v.status(), v.text(), v.metadata(),
        v.createdNanos(), v.finishedNanos(), outcome, v.steps(), v.usage(), v.traceId(), v.sessionUsage(), v.agent());
  }

  /** A failure as an API error whose message names ids as the caller knows them. */
  private ApiError scrubbed(Throwable t, Caller caller) {
    ApiError e = JsonResponses.toApiError(t, retryAfter);
    return caller.isImplicit() ? e
        : new ApiError(e.status(), e.code(), caller.scrub(e.getMessage()), e.retryAfterSeconds());
  }

  private Route respond(CompletionStage<HttpResponse> response, Caller caller) {
    return completeWithFuture(response.exceptionally(t -> JsonResponses.error(scrubbed(t, caller))));
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
