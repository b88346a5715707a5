package io.troupe.tools.api;

import io.troupe.core.tools.Tool;

/** A tool that carries its own limits; the registry applies them, or its defaults for a plain {@link Tool}. */
public interface LimitedTool extends Tool {
  ToolLimits limits();
}
