package io.troupe.http.tools;

import static org.apache.pekko.http.javadsl.server.Directives.get;
import static org.apache.pekko.http.javadsl.server.Directives.path;
import static org.apache.pekko.http.javadsl.server.PathMatchers.segment;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.troupe.core.actor.Asks;
import io.troupe.core.json.Json;
import io.troupe.core.tools.ToolCatalog;
import io.troupe.core.tools.ToolRegistry;
import io.troupe.http.Backends;
import io.troupe.http.HttpSettings;
import io.troupe.http.security.Access;
import io.troupe.http.security.Caller;
import io.troupe.http.security.Scope;
import io.troupe.http.support.JsonResponses;
import io.troupe.http.support.Respond;
import java.util.HashMap;
import java.util.Map;
import org.apache.pekko.actor.typed.Scheduler;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * GET /v1/tools: the registered tools with their JSON Schemas and, when the registry reports them,
 * their flags: {@code effect}, {@code blocking}, {@code timeoutMs}, {@code maxConcurrent} and
 * {@code source} ({@code builtin}, {@code java} or {@code mcp:<server>}).
 */
public final class ToolRoutes {
  private final Backends backends;
  private final HttpSettings settings;
  private final Scheduler scheduler;

  public ToolRoutes(Backends backends, HttpSettings settings, Scheduler scheduler) {
    this.backends = backends;
    this.settings = settings;
    this.scheduler = scheduler;
  }

  public Route route(Caller caller) {
    return path(segment("v1").slash("tools"), () -> get(() -> Access.require(caller, this::list, Scope.INTENTS_READ)));
  }

  private Route list() {
    return Respond.with(
        Asks.<ToolRegistry.Command, ToolCatalog.Catalog>ask(
                backends.tools(), ToolCatalog.Describe::new, settings.askTimeout(), scheduler)
            .thenApply(list -> {
              ObjectNode out = Json.object();
              ArrayNode tools = out.putArray("tools");
              Map<String, ToolCatalog.ToolInfo> details = new HashMap<>();
              list.details().forEach(d -> details.put(d.name(), d));
              list.tools().forEach(spec -> {
                ObjectNode t = tools.addObject();
                t.put("name", spec.name());
                t.put("description", spec.description());
                t.set("parameters", spec.parameters() == null ? Json.object() : spec.parameters());
                ToolCatalog.ToolInfo d = details.get(spec.name());
                if (d != null) {
                  t.put("effect", d.effect() == null ? null : d.effect().name());
                  t.put("blocking", d.blocking());
                  t.put("timeoutMs", d.timeoutMs());
                  t.put("maxConcurrent", d.maxConcurrent());
                  t.put("source", d.source());
                }
              });
              return JsonResponses.json(200, out);
            }),
        settings.retryAfterSeconds());
  }
}
