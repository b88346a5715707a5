package io.troupe.tools.builtin;

import com.fasterxml.jackson.databind.JsonNode;
import io.troupe.core.json.Json;
import io.troupe.core.llm.ToolSpec;
import io.troupe.core.tools.Tool;
import io.troupe.core.tools.ToolContext;
import io.troupe.tools.ToolException;
import java.time.Clock;
import java.time.DateTimeException;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/** {@code current_time {"timezone"?}} → {@code {"timezone", "iso", "epochMillis"}}; UTC by default. */
public final class CurrentTimeTool implements Tool {
  public static final String NAME = "current_time";

  private static final ToolSpec SPEC = new ToolSpec(NAME,
      "Returns the current date and time in a timezone.",
      Schemas.object(Json.object().set("timezone",
          Schemas.string("UTC (the default), GMT, an IANA zone id such as Europe/Paris or Asia/Tokyo, or an offset"
              + " such as UTC+02:00.").put("maxLength", 64))));

  private static final Map<String, String> IDS_BY_LOWER = new HashMap<>();

  static {
    for (String id : ZoneId.getAvailableZoneIds()) {
      IDS_BY_LOWER.put(id.toLowerCase(Locale.ROOT), id);
    }
  }

  private final Clock clock;

  public CurrentTimeTool(Clock clock) {
    this.clock = clock;
  }

  @Override
  public ToolSpec spec() {
    return SPEC;
  }

  @Override
  public CompletionStage<JsonNode> invoke(JsonNode arguments, ToolContext context) {
    ZoneId zone = zone(arguments.path("timezone").asText("UTC"));
    Instant now = clock.instant();
    String iso = now.truncatedTo(ChronoUnit.SECONDS).atZone(zone).toOffsetDateTime().format(DateTimeFormatter.ISO_OFFSET_DATE_TIME);
    return CompletableFuture.completedFuture(
        Json.object().put("timezone", zone.getId()).put("iso", iso).put("epochMillis", now.toEpochMilli()));
  }

  static ZoneId zone(String raw) {
    String name = raw == null ? "" : raw.strip();
    String lower = name.toLowerCase(Locale.ROOT);
    if (lower.isEmpty() || lower.equals("utc") || lower.equals("z") || lower.equals("zulu")) {
      return ZoneId.of("UTC");
    }
    if (lower.equals("gmt")) {
      return ZoneId.of("GMT");
    }
    String known = IDS_BY_LOWER.get(lower);
    if (known != null) {
      return ZoneId.of(known);
    }
    try {
      if (lower.startsWith("utc") || lower.startsWith("gmt")) {
        return ZoneId.ofOffset(name.substring(0, 3).toUpperCase(Locale.ROOT), ZoneOffset.of(name.substring(3).strip()));
      }
      return ZoneId.of(name);
    } catch (DateTimeException e) {
      throw new ToolException("unknown timezone '" + name + "': use UTC, GMT, an IANA zone id such as Europe/Paris,"
          + " or an offset such as UTC+02:00");
    }
  }
}
