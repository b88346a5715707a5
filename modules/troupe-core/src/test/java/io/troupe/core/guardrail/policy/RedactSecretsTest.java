package io.troupe.core.guardrail.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.troupe.core.guardrail.GuardTarget;
import io.troupe.core.guardrail.GuardTarget.Kind;
import io.troupe.core.guardrail.Verdict;
import java.util.List;
import org.junit.jupiter.api.Test;

class RedactSecretsTest {

  private final RedactSecrets policy = new RedactSecrets(List.of("api-keys", "cards", "emails"));

  private Verdict check(String text) {
    return policy.check(new GuardTarget(Kind.TOOL_RESULT, text, "http_fetch", "s.1"));
  }

  @Test
  void everyKeyShapePassesThePrefilterAndIsRedacted() {
    List<String> keys = List.of(
        "sk-abcdefghijklmnopqrstuvwxyz",
        "sk-ant-abcdefghijklmnopqrstuvwxyz",
        "AKIAABCDEFGHIJKLMNOP",
        "ghp_abcdefghijklmnopqrstuvwxyz0123456789",
        "gho_abcdefghijklmnopqrstuvwxyz0123456789",
        "xoxb-1234567890-abcdef",
        "AIzaabcdefghijklmnopqrstuvwxyz012345678",
        "Bearer abcdefghijklmnopqrstuvwxyz",
        "BEARER abcdefghijklmnopqrstuvwxyz");
    for (String key : keys) {
      assertTrue(RedactSecrets.mayHoldApiKey("the key: " + key), key);
      Verdict v = check("the key: " + key + " end");
      assertEquals(Verdict.Kind.REWRITE, v.kind(), key);
      assertEquals("the key: [redacted:api_key] end", v.rewritten(), key);
    }
  }

  @Test
  void ordinaryTextSkipsEveryPatternAndIsAllowed() {
    String text = "{\"result\": 42, \"expression\": \"(3 + 4) * 6\", \"note\": \"through the bearing, sk8 ghost\"}";
    assertFalse(RedactSecrets.mayHoldApiKey(text));
    assertEquals(Verdict.Kind.ALLOW, check(text).kind());
  }

  @Test
  void aCardSplitBySpacesAndAnEmailAreStillFound() {
    Verdict v = check("card 4111 1111 1111 1111, mail ops@example.com");
    assertEquals("card [redacted:card], mail [redacted:email]", v.rewritten());
  }
}
