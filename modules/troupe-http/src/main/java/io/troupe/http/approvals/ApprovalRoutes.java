package io.troupe.http.approvals;

import static org.apache.pekko.http.javadsl.server.Directives.completeWithFuture;
import static org.apache.pekko.http.javadsl.server.Directives.get;
import static org.apache.pekko.http.javadsl.server.Directives.parameterOptional;
import static org.apache.pekko.http.javadsl.server.Directives.path;
import static org.apache.pekko.http.javadsl.server.PathMatchers.segment;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.troupe.core.json.Json;
import io.troupe.core.session.SessionEntity;
import io.troupe.core.trace.TraceClock;
import io.troupe.http.security.Access;
import io.troupe.http.security.Caller;
import io.troupe.http.security.Scope;
import io.troupe.http.support.ApiError;
import io.troupe.http.support.Fields;
import io.troupe.http.support.JsonResponses;
import io.troupe.http.support.Respond;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.persistence.query.EventEnvelope;
import org.apache.pekko.persistence.query.Offset;
import org.apache.pekko.persistence.query.PersistenceQuery;
import org.apache.pekko.persistence.query.javadsl.CurrentEventsByTagQuery;

/**
 * {@code GET /v1/approvals?status=pending|decided|all}: the caller's tenant's approvals, read from
 * the journal's approval events (tag {@link SessionEntity#TAG_APPROVAL}) through the read journal
 * {@code troupe.guardrail.approvals-read-journal}. Any node answers, whichever paused the run.
 */
public final class ApprovalRoutes {
  private static final int MAX_LISTED = 1000;
  private static final String SESSION_PREFIX = SessionEntity.TYPE_KEY.name() + "|";

  private final ActorSystem<?> system;
  private final String readJournalId;
  private final int retryAfter;
  private volatile CurrentEventsByTagQuery journal;

  public ApprovalRoutes(ActorSystem<?> system, int retryAfterSeconds) {
    this.system = system;
    this.readJournalId = system.settings().config().getString("troupe.guardrail.approvals-read-journal");
    this.retryAfter = retryAfterSeconds;
  }

  public Route route(Caller caller) {
    return path(segment("v1").slash("approvals"), () -> get(() -> parameterOptional("status", status ->
        Access.require(caller, () -> Respond.guarded(() -> completeWithFuture(list(status, caller))),
            Scope.INTENTS_READ, Scope.APPROVALS_WRITE))));
  }

  private CompletionStage<HttpResponse> list(Optional<String> statusParam, Caller caller) {
    String status = statusParam.orElse("pending");
    if (!status.equals("pending") && !status.equals("decided") && !status.equals("all")) {
      throw ApiError.invalid("`status` must be pending, decided or all, not '" + Fields.clip(status) + "'");
    }
    CurrentEventsByTagQuery query;
    try {
      query = readJournal();
    } catch (RuntimeException e) {
      return CompletableFuture.completedFuture(JsonResponses.error(ApiError.unavailable(
          "approvals cannot be listed: the journal cannot be queried (" + readJournalId + ")", retryAfter)));
    }
    String ownPrefix = SESSION_PREFIX + (caller.isImplicit() ? "" : caller.qualify(""));
    return query.currentEventsByTag(SessionEntity.TAG_APPROVAL, Offset.noOffset())
        .filter(envelope -> envelope.persistenceId().startsWith(ownPrefix))
        .runFold((Map<String, ObjectNode>) new LinkedHashMap<String, ObjectNode>(), (found, envelope) -> add(found, envelope, caller),
            system)
        .thenApply(found -> {
          ArrayNode out = Json.array();
          for (ObjectNode a : found.values()) {
            boolean pending = a.path("status").asText().equals("pending");
            if (status.equals("all") || pending == status.equals("pending")) out.add(a);
            if (out.size() >= MAX_LISTED) break;
          }
          ObjectNode body = Json.object();
          body.set("approvals", out);
          return JsonResponses.json(200, body);
        })
        .exceptionally(t -> JsonResponses.error(ApiError.unavailable("approvals could not be read; retry shortly",
            retryAfter)));
  }

  private static Map<String, ObjectNode> add(Map<String, ObjectNode> found, EventEnvelope envelope, Caller caller) {
    Object event = envelope.event();
    if (event instanceof SessionEntity.ApprovalRequested r) {
      String intentId = caller.unqualify(r.intentId());
      ObjectNode a = Json.object()
          .put("id", r.approvalId())
          .put("intentId", intentId)
          .put("sessionId", intentId.substring(0, Math.max(0, intentId.lastIndexOf('.'))))
          .put("kind", "tool_call")
          .put("name", r.tool())
          .put("reason", r.reason())
          .put("requestedAt", TraceClock.iso(r.requestedNanos()))
          .put("status", "pending");
      a.set("arguments", r.arguments());
      found.put(r.intentId() + "/" + r.approvalId(), a);
    } else if (event instanceof SessionEntity.ApprovalDecided d) {
      ObjectNode a = found.get(d.intentId() + "/" + d.approvalId());
      if (a != null) {
        a.put("status", d.approved() ? "approved" : "rejected").put("decidedAt", TraceClock.iso(d.decidedNanos()));
        if (d.comment() != null) a.put("comment", d.comment());
      }
    }
    return found;
  }

  private CurrentEventsByTagQuery readJournal() {
    CurrentEventsByTagQuery q = journal;
    if (q == null) {
      q = PersistenceQuery.get(Adapter.toClassic(system)).getReadJournalFor(CurrentEventsByTagQuery.class, readJournalId);
      journal = q;
    }
    return q;
  }
}
