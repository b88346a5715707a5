package io.troupe.core.llm;

import com.fasterxml.jackson.databind.JsonNode;
import io.troupe.core.CborSerializable;

/** A tool as a model sees it: name, description and a JSON Schema for its parameters. */
public record ToolSpec(String name, String description, JsonNode parameters)
    implements CborSerializable {}
