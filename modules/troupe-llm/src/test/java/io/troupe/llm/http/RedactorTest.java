package io.troupe.llm.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import org.junit.jupiter.api.Test;

class RedactorTest {

  @Test
  void removesTheKeyAndKeyShapedTokens() {
    Redactor r = new Redactor("my-custom-key-123");
    assertEquals("key [redacted] is wrong", r.redact("key my-custom-key-123 is wrong"));
    assertFalse(r.redact("Incorrect API key provided: sk-proj-abc*****wxyz.").contains("sk-proj"));
    assertFalse(r.redact("Authorization: Bearer abc.def").contains("abc.def"));
    assertFalse(r.redact("x-api-key=zzz123").contains("zzz123"));
  }
}
