package io.troupe.tools.builtin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.databind.JsonNode;
import io.troupe.core.json.Json;
import io.troupe.tools.ToolException;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import org.junit.jupiter.api.Test;

class CurrentTimeToolTest {
  private final Instant now = Instant.parse("2026-11-28T01:02:03.456Z");
  private final CurrentTimeTool tool = new CurrentTimeTool(Clock.fixed(now, ZoneOffset.UTC));

  private JsonNode at(String zone) {
    var args = zone == null ? Json.object() : Json.object().put("timezone", zone);
    return tool.invoke(args, null).toCompletableFuture().join();
  }

  @Test
  void utcByDefault() {
    JsonNode out = at(null);
    assertEquals("UTC", out.get("timezone").asText());
    assertEquals("2026-11-28T01:02:03Z", out.get("iso").asText());
    assertEquals(now.toEpochMilli(), out.get("epochMillis").asLong());
    assertEquals("2026-11-28T01:02:03Z", at("utc").get("iso").asText());
  }

  @Test
  void namedZonesAndOffsets() {
    assertEquals("2026-11-28T02:02:03+01:00", at("Europe/Paris").get("iso").asText());
    assertEquals("Asia/Tokyo", at("asia/tokyo").get("timezone").asText());
    assertEquals("2026-11-28T10:02:03+09:00", at("Asia/Tokyo").get("iso").asText());
    assertEquals("GMT", at("GMT").get("timezone").asText());
    assertEquals("2026-11-28T03:02:03+02:00", at("UTC+2").get("iso").asText());
    assertEquals("UTC+02:00", at("UTC+2").get("timezone").asText());
  }

  @Test
  void unknownZoneIsAnError() {
    ToolException e = assertThrows(ToolException.class, () -> at("Mars/Olympus"));
    assertEquals("unknown timezone 'Mars/Olympus': use UTC, GMT, an IANA zone id such as Europe/Paris,"
        + " or an offset such as UTC+02:00", e.getMessage());
  }
}
