package io.troupe.http.agents;

import static org.apache.pekko.http.javadsl.server.Directives.complete;
import static org.apache.pekko.http.javadsl.server.Directives.extractRequest;
import static org.apache.pekko.http.javadsl.server.Directives.get;
import static org.apache.pekko.http.javadsl.server.Directives.path;
import static org.apache.pekko.http.javadsl.server.PathMatchers.segment;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.troupe.core.agent.AgentSpec;
import io.troupe.core.agent.Agents;
import io.troupe.core.json.Json;
import io.troupe.core.llm.ToolSpec;
import io.troupe.core.tools.ToolCatalogs;
import io.troupe.http.security.Access;
import io.troupe.http.security.Caller;
import io.troupe.http.security.Scope;
import io.troupe.http.support.JsonResponses;
import java.util.List;
import java.util.Set;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * GET /v1/agents: {@code {"agents":[{"name","description","model","tools","agents"?,"handoffs"?,"outputSchema"?,
 * "policies"?,"budget"?}]}}.
 * {@code model} is {@code {"provider","name","temperature"?,"maxTokens"?}} with the gateway's primary
 * provider (and its model) filled in where the agent names none; {@code tools} are the agent's own, or,
 * for an agent without a list, the node's tools that the guardrail's allow-list lets through.
 */
public final class AgentRoutes {
  private final Agents agents;
  private final ToolCatalogs catalogs;
  private final String primaryProvider;
  private final String primaryModel;
  private final Set<String> allowList;

  public AgentRoutes(ActorSystem<?> system) {
    this.agents = Agents.get(system);
    this.catalogs = ToolCatalogs.get(system);
    var troupe = system.settings().config().getConfig("troupe");
    this.primaryProvider = troupe.hasPath("llm.provider") ? troupe.getString("llm.provider") : "local";
    this.primaryModel = troupe.hasPath("llm.model") ? troupe.getString("llm.model") : "";
    this.allowList = Set.copyOf(troupe.getStringList("guardrail.tool-allow-list"));
  }

  public Route route(Caller caller) {
    return path(segment("v1").slash("agents"), () -> get(() -> Access.require(caller, this::list, Scope.INTENTS_READ)));
  }

  private Route list() {
    return extractRequest(request -> complete(JsonResponses.json(200, describe())));
  }

  /** The body of GET /v1/agents. */
  public ObjectNode describe() {
    ObjectNode out = Json.object();
    ArrayNode list = out.putArray("agents");
    List<ToolSpec> catalog = catalogs.current().tools();
    for (AgentSpec a : agents.all()) {
      ObjectNode agent = list.addObject();
      agent.put("name", a.name());
      agent.put("description", a.description());
      ObjectNode model = agent.putObject("model");
      String provider = a.model().provider().isEmpty() ? primaryProvider : a.model().provider();
      String name = !a.model().name().isEmpty() ? a.model().name()
          : provider.equals(primaryProvider) && !primaryModel.isEmpty() ? primaryModel : null;
      model.put("provider", provider);
      model.put("name", name);
      if (a.model().temperature() != null) model.put("temperature", a.model().temperature());
      if (a.model().maxTokens() > 0) model.put("maxTokens", a.model().maxTokens());
      ArrayNode tools = agent.putArray("tools");
      if (a.tools() != null) {
        a.tools().forEach(tools::add);
      } else {
        catalog.stream().map(ToolSpec::name).filter(t -> allowList.isEmpty() || allowList.contains(t)).forEach(tools::add);
      }
      // The other agents, by name: offered to the model as agent_<name> and transfer_to_<name>.
      if (!a.agents().isEmpty()) a.agents().forEach(agent.putArray("agents")::add);
      if (!a.handoffs().isEmpty()) a.handoffs().forEach(agent.putArray("handoffs")::add);
      if (a.outputSchema() != null) agent.set("outputSchema", a.outputSchema().json());
      // Its own guardrail policies (after the node's), by name, and its budget where it sets one.
      if (!a.policies().isEmpty()) a.policies().forEach(p -> agent.withArray("policies").add(p.name()));
      if (!a.budget().equals(AgentSpec.Budget.NONE)) {
        ObjectNode budget = agent.putObject("budget");
        if (a.budget().maxTokens() > 0) budget.put("maxTokens", a.budget().maxTokens());
        if (a.budget().maxCostUsd() > 0) budget.put("maxCostUsd", a.budget().maxCostUsd());
      }
    }
    return out;
  }
}
