package io.troupe.tools.api;

import com.fasterxml.jackson.databind.JsonNode;
import io.troupe.core.tools.ToolContext;
import java.util.concurrent.CompletionStage;

/**
 * The code of a builder tool. It receives arguments that have passed the schema. A non-blocking
 * handler must not block; a tool built with {@code blocking(true)} may.
 */
@FunctionalInterface
public interface ToolHandler {
  CompletionStage<JsonNode> handle(JsonNode arguments, ToolContext context) throws Exception;
}
