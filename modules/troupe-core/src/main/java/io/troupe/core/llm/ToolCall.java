package io.troupe.core.llm;

import com.fasterxml.jackson.databind.JsonNode;
import io.troupe.core.CborSerializable;

/** A tool call proposed by a model: its id (unique within the turn), the tool, and JSON arguments. */
public record ToolCall(String id, String name, JsonNode arguments) implements CborSerializable {}
