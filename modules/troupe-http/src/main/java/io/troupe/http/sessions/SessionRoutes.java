package io.troupe.http.sessions;

import static org.apache.pekko.http.javadsl.server.Directives.completeWithFuture;
import static org.apache.pekko.http.javadsl.server.Directives.concat;
import static org.apache.pekko.http.javadsl.server.Directives.delete;
import static org.apache.pekko.http.javadsl.server.Directives.get;
import static org.apache.pekko.http.javadsl.server.Directives.path;
import static org.apache.pekko.http.javadsl.server.PathMatchers.segment;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.troupe.core.actor.Asks;
import io.troupe.core.json.Json;
import io.troupe.core.llm.ChatMessage;
import io.troupe.core.llm.ToolCall;
import io.troupe.core.session.IntentIds;
import io.troupe.core.session.IntentView;
import io.troupe.core.session.SessionEntity;
import io.troupe.core.session.SessionView;
import io.troupe.core.vector.VectorStore;
import io.troupe.http.Backends;
import io.troupe.http.HttpSettings;
import io.troupe.http.intents.IntentJson;
import io.troupe.http.security.Access;
import io.troupe.http.security.Caller;
import io.troupe.http.security.Scope;
import io.troupe.http.support.ApiError;
import io.troupe.http.support.Fields;
import io.troupe.http.support.JsonResponses;
import io.troupe.http.support.Respond;
import java.util.Locale;
import java.util.Map;
import org.apache.pekko.actor.typed.Scheduler;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * {@code GET /v1/sessions/{id}}: a session's intents and the messages its next intent sees;
 * {@code DELETE}: erases it (journal events, snapshots, traces). Both tenant-scoped.
 */
public final class SessionRoutes {
  private final Backends backends;
  private final HttpSettings settings;
  private final Scheduler scheduler;

  public SessionRoutes(Backends backends, HttpSettings settings, Scheduler scheduler) {
    this.backends = backends;
    this.settings = settings;
    this.scheduler = scheduler;
  }

  public Route route(Caller caller) {
    return path(segment("v1").slash("sessions").slash(segment()), id -> concat(
        get(() -> Access.require(caller, () -> read(id, caller), Scope.INTENTS_READ)),
        delete(() -> Access.require(caller, () -> erase(id, caller), Scope.INTENTS_WRITE))));
  }

  private Route erase(String id, Caller caller) {
    return Respond.guarded(() -> {
      if (!IntentIds.isValidSessionId(id)) throw ApiError.notFound("no session '" + Fields.clip(id) + "'");
      var session = backends.sessions().apply(caller.qualify(id));
      // The session's documents (metadata "sessionId", in the caller's tenant) go with it.
      Map<String, String> documents = caller.isImplicit() ? Map.of("sessionId", id)
          : Map.of("sessionId", id, VectorStore.TENANT_KEY, caller.tenant());
      return completeWithFuture(Asks.<SessionEntity.Command, org.apache.pekko.Done>askWithStatus(session,
              SessionEntity.Erase::new, settings.askTimeout(), scheduler)
          .thenCompose(done -> Asks.<VectorStore.Command, VectorStore.DeletedWhere>askWithStatus(backends.vectorStore(),
              replyTo -> new VectorStore.DeleteWhere(documents, replyTo), settings.askTimeout(), scheduler)
              .exceptionally(t -> {
                throw ApiError.unavailable("the session was erased, but its documents could not be deleted ("
                    + JsonResponses.unwrap(t).getMessage() + "); send the DELETE again", settings.retryAfterSeconds());
              }))
          .thenApply(done -> org.apache.pekko.http.javadsl.model.HttpResponse.create().withStatus(204))
          .exceptionally(t -> {
            ApiError e = JsonResponses.toApiError(t, settings.retryAfterSeconds());
            return JsonResponses.error(e.code().equals(ApiError.NOT_FOUND)
                ? ApiError.notFound("no session '" + Fields.clip(id) + "'")
                : caller.isImplicit() ? e : new ApiError(e.status(), e.code(), caller.scrub(e.getMessage()), e.retryAfterSeconds()));
          }));
    });
  }

  private Route read(String id, Caller caller) {
    return Respond.guarded(() -> {
      if (!IntentIds.isValidSessionId(id)) throw ApiError.notFound("no session '" + Fields.clip(id) + "'");
      var session = backends.sessions().apply(caller.qualify(id));
      return completeWithFuture(Asks.<SessionEntity.Command, SessionView>askWithStatus(session,
              SessionEntity.GetSession::new, settings.askTimeout(), scheduler)
          .thenApply(view -> JsonResponses.json(200, json(view, caller)))
          .exceptionally(t -> {
            ApiError e = JsonResponses.toApiError(t, settings.retryAfterSeconds());
            return JsonResponses.error(e.code().equals(ApiError.NOT_FOUND)
                ? ApiError.notFound("no session '" + Fields.clip(id) + "'") : e);
          }));
    });
  }

  static ObjectNode json(SessionView v, Caller caller) {
    ObjectNode out = Json.object().put("id", caller.unqualify(v.id())).put("intentsAccepted", v.intentsAccepted());
    ArrayNode intents = out.putArray("intents");
    for (IntentView i : v.intents()) {
      ObjectNode r = IntentJson.resource(new IntentView(caller.unqualify(i.id()), caller.unqualify(i.sessionId()),
          i.status(), i.text(), i.metadata(), i.createdNanos(), i.finishedNanos(), i.outcome(), i.steps(), i.usage(),
          i.traceId()));
      r.remove("steps");
      intents.add(r);
    }
    ArrayNode messages = out.putArray("messages");
    for (ChatMessage m : v.messages()) messages.add(message(m));
    if (v.usage() != null) out.set("usage", IntentJson.usageJson(v.usage()));
    if (v.summary() != null) {
      // The older turns an agent with memory.summarize sees as one message before its window.
      out.putObject("summary").put("text", v.summary().text()).put("coversMessages", v.summary().coversMessages());
    }
    return out;
  }

  static ObjectNode message(ChatMessage m) {
    ObjectNode o = Json.object().put("role", m.role().name().toLowerCase(Locale.ROOT)).put("content", m.content());
    if (!m.toolCalls().isEmpty()) {
      ArrayNode calls = o.putArray("toolCalls");
      for (ToolCall c : m.toolCalls()) {
        ObjectNode call = calls.addObject().put("id", c.id()).put("name", c.name());
        call.set("arguments", c.arguments());
      }
    }
    if (m.toolCallId() != null) o.put("toolCallId", m.toolCallId());
    if (m.name() != null) o.put("name", m.name());
    return o;
  }
}
