package io.troupe.core.guardrail;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import com.fasterxml.jackson.databind.JsonNode;
import io.troupe.core.guardrail.policy.RedactSecrets;
import io.troupe.core.json.Json;
import java.util.List;
import org.junit.jupiter.api.Test;

class TraceRedactionTest {

  private final TraceRedaction redaction = new TraceRedaction(new RedactSecrets(List.of("api-keys", "cards", "emails")));

  @Test
  void aDetailWithNothingToRedactIsKeptAsItIs() {
    JsonNode detail = Json.parse("{\"tool\":\"calculator\",\"arguments\":{\"expression\":\"(3 + 4) * 6\"},\"output\":[42, 1.5]}");
    assertSame(detail, redaction.scrub(detail));
  }

  @Test
  void secretsDeepInTheTreeAreRedacted() {
    JsonNode detail = Json.parse("{\"messages\":[{\"role\":\"tool\",\"content\":\"key sk-abcdefghijklmnopqrstuvwxyz\"}],"
        + "\"card\":4111111111111111,\"to\":\"ops@example.com\"}");
    JsonNode scrubbed = redaction.scrub(detail);
    assertEquals("key [redacted:api_key]", scrubbed.get("messages").get(0).get("content").asText());
    assertEquals("[redacted:card]", scrubbed.get("card").asText());
    assertEquals("[redacted:email]", scrubbed.get("to").asText());
  }

  @Test
  void aSecretInAFieldNameIsRedactedToo() {
    JsonNode detail = Json.parse("{\"ops@example.com\":1}");
    assertEquals("{\"[redacted:email]\":1}", Json.write(redaction.scrub(detail)));
  }
}
