package io.troupe.core.json;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

class WellFormedTest {

  @Test
  void loneSurrogatesBecomeReplacementCharactersAndPairsStay() {
    String fine = "plain, \u00e9, \ud83d\ude00";
    assertSame(fine, WellFormed.text(fine));
    assertEquals("a\ufffdb", WellFormed.text("a\ud800b"));
    assertEquals("\ufffd", WellFormed.text("\udc00"));
    assertEquals("x\ufffd", WellFormed.text("x\ud800"));
    assertEquals("\ufffd\ud83d\ude00\ufffd", WellFormed.text("\ude00\ud83d\ude00\ud83d"));
  }

  @Test
  void jsonIsCopiedOnlyWhenItHasToBe() {
    JsonNode fine = Json.parse("{\"a\":[1,\"b\",{\"c\":\"d\"}]}");
    assertSame(fine, WellFormed.json(fine));
    JsonNode broken = Json.parse("{\"a\":[1,\"b\\ud800\",{\"k\\udc00\":\"d\"}],\"n\":null}");
    assertEquals(Json.parse("{\"a\":[1,\"b\\ufffd\",{\"k\\ufffd\":\"d\"}],\"n\":null}"), WellFormed.json(broken));
  }
}
