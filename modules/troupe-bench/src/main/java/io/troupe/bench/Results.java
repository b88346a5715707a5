package io.troupe.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.troupe.core.json.Json;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Results as JSON files (results/ is not committed; docs/benchmarks.md records the figures). */
public final class Results {
  private Results() {}

  public static void write(Path file, JsonNode node) throws IOException {
    if (file.getParent() != null) {
      Files.createDirectories(file.getParent());
    }
    Files.writeString(file, Json.MAPPER.writer().with(SerializationFeature.INDENT_OUTPUT).writeValueAsString(node));
  }

  public static JsonNode read(Path file) throws IOException {
    return Json.MAPPER.readTree(Files.readString(file));
  }

  public static double round3(double v) {
    return Math.round(v * 1000.0) / 1000.0;
  }
}
