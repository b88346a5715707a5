package io.troupe.core.tools;

import io.troupe.core.llm.ToolSpec;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The tools of this node as the registry last published them: an immutable snapshot with a
 * version that grows with every change. Sessions and the guardrail read it instead of asking the
 * registry for a listing per intent.
 *
 * @param effects each tool's effect, by name
 */
public record PublishedCatalog(long version, List<ToolSpec> tools, Map<String, Tool.Effect> effects) {

  public static final PublishedCatalog EMPTY = new PublishedCatalog(0, List.of(), Map.of());

  public PublishedCatalog {
    tools = List.copyOf(tools);
    effects = Map.copyOf(effects);
  }

  public boolean isSideEffecting(String tool) {
    return effects.get(tool) == Tool.Effect.SIDE_EFFECTING;
  }

  public boolean has(String tool) {
    return effects.containsKey(tool);
  }

  public Set<String> names() {
    return effects.keySet();
  }
}
