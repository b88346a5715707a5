package io.troupe.core.session;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.pekko.serialization.jackson.JacksonMigration;

/**
 * Reads older versions of {@link SessionEntity.IntentFinished}. Version 1 (before Core v1) carried
 * the terminal stream event; version 2 keeps its time and number, and the intent's usage.
 */
public final class SessionEventMigration extends JacksonMigration {

  @Override
  public int currentVersion() {
    return 2;
  }

  @Override
  public JsonNode transform(int fromVersion, JsonNode json) {
    if (fromVersion < 2 && json instanceof ObjectNode root) {
      JsonNode event = root.remove("event");
      if (event != null && event.isObject()) {
        root.put("finishedNanos", event.path("timeNanos").asLong());
        root.put("eventSeq", event.path("seq").asLong());
      }
    }
    return json;
  }
}
