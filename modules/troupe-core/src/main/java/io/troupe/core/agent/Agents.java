package io.troupe.core.agent;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Extension;
import org.apache.pekko.actor.typed.ExtensionId;

/**
 * The agents of a node: those of {@code troupe.agents} (and {@code default}) when the extension is
 * first used, plus any defined in Java with {@link #define}. Reading is a volatile read of an
 * immutable map, so sessions, the guardrail and the ingress look agents up without asking anyone.
 */
public final class Agents implements Extension {

  private static final ExtensionId<Agents> ID = new ExtensionId<>() {
    @Override
    public Agents createExtension(ActorSystem<?> system) {
      var troupe = system.settings().config().getConfig("troupe");
      return new Agents(AgentSpec.allFromConfig(troupe), troupe.hasPath("agents." + AgentSpec.DEFAULT));
    }
  };

  public static Agents get(ActorSystem<?> system) {
    return ID.apply(system);
  }

  private final AtomicReference<Map<String, AgentSpec>> agents;
  private volatile boolean defaultDefined;

  /**
   * A registry of these agents (tests, and the extension). {@code defaultDefined}: {@code default}
   * was defined as an agent ({@code troupe.agents.default}), not only derived from {@code troupe.agent}.
   */
  public Agents(Collection<AgentSpec> specs, boolean defaultDefined) {
    Map<String, AgentSpec> map = new LinkedHashMap<>();
    specs.forEach(a -> map.put(a.name(), a));
    this.agents = new AtomicReference<>(java.util.Collections.unmodifiableMap(map));
    this.defaultDefined = defaultDefined;
  }

  /**
   * Whether {@code default} was defined as an agent (in {@code troupe.agents.default} or in Java).
   * If not, a session runs it with its own settings ({@code troupe.agent}), which tests may change.
   */
  public boolean defaultDefined() {
    return defaultDefined;
  }

  /** Adds an agent, or replaces the one of its name. Define agents before intents use them. */
  public void define(AgentSpec spec) {
    if (spec.name().equals(AgentSpec.DEFAULT)) defaultDefined = true;
    agents.updateAndGet(old -> {
      Map<String, AgentSpec> map = new LinkedHashMap<>(old);
      map.put(spec.name(), spec);
      return java.util.Collections.unmodifiableMap(map);
    });
  }

  public Optional<AgentSpec> find(String name) {
    return Optional.ofNullable(agents.get().get(name == null ? AgentSpec.DEFAULT : name));
  }

  /** The agent of that name, or {@code default} for null. */
  public AgentSpec get(String name) {
    return find(name).orElseThrow(() -> new IllegalArgumentException(unknown(name)));
  }

  public List<AgentSpec> all() {
    return List.copyOf(agents.get().values());
  }

  public List<String> names() {
    return List.copyOf(agents.get().keySet());
  }

  /** The message for an agent that does not exist: it names those that do. */
  public String unknown(String name) {
    return "unknown agent '" + name + "'; the agents are " + String.join(", ", names());
  }

  /**
   * What is wrong with the agents given the node's tools: a tool or an agent (in {@code agents},
   * {@code handoffs}) that does not exist. Each message names the agent and the field.
   */
  public List<String> problems(Set<String> tools) {
    List<String> out = new ArrayList<>();
    Map<String, AgentSpec> map = agents.get();
    for (AgentSpec a : map.values()) {
      if (a.tools() != null) {
        for (String t : a.tools()) {
          if (!tools.contains(t)) {
            out.add("agent '" + a.name() + "': tools: unknown tool '" + t + "' (the tools are "
                + String.join(", ", tools.stream().sorted().toList()) + ")");
          }
        }
      }
      for (String other : a.agents()) {
        if (!map.containsKey(other)) out.add("agent '" + a.name() + "': agents: " + unknown(other));
      }
      for (String other : a.handoffs()) {
        if (!map.containsKey(other)) out.add("agent '" + a.name() + "': handoffs: " + unknown(other));
      }
    }
    return out;
  }

  /** Agents whose {@code model.provider} is not one of {@code providers} (an empty provider is the primary). */
  public static List<String> providerProblems(Collection<AgentSpec> agents, Set<String> providers) {
    List<String> out = new ArrayList<>();
    for (AgentSpec a : agents) {
      String p = a.model().provider();
      if (!p.isEmpty() && !providers.contains(p)) {
        out.add("agent '" + a.name() + "': model.provider: unknown provider '" + p + "' (the providers are "
            + String.join(", ", providers.stream().sorted().toList()) + ")");
      }
    }
    return out;
  }
}
