package io.troupe.core.tools;

import java.util.concurrent.atomic.AtomicReference;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Extension;
import org.apache.pekko.actor.typed.ExtensionId;

/**
 * Where the tool registry of a node publishes its catalog. Publishing replaces an immutable
 * snapshot; reading it is a volatile read, so the hot path never asks the registry for its tools.
 */
public final class ToolCatalogs implements Extension {

  private static final ExtensionId<ToolCatalogs> ID = new ExtensionId<>() {
    @Override
    public ToolCatalogs createExtension(ActorSystem<?> system) {
      return new ToolCatalogs();
    }
  };

  public static ToolCatalogs get(ActorSystem<?> system) {
    return ID.apply(system);
  }

  private final AtomicReference<PublishedCatalog> current = new AtomicReference<>(PublishedCatalog.EMPTY);

  private ToolCatalogs() {}

  public PublishedCatalog current() {
    return current.get();
  }

  /** Publishes a new snapshot; its version is one more than the last. */
  public PublishedCatalog publish(java.util.List<io.troupe.core.llm.ToolSpec> tools,
      java.util.Map<String, Tool.Effect> effects) {
    return current.updateAndGet(old -> new PublishedCatalog(old.version() + 1, tools, effects));
  }
}
