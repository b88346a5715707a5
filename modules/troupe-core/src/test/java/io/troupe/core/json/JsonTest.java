package io.troupe.core.json;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

class JsonTest {

  @Test
  void compactLengthIsTheLengthOfTheWrittenJson() {
    for (String text : new String[] {
        "{}", "[]", "null", "true", "false", "0", "-12", "3.5", "\"\"", "\"abc\"",
        "{\"a\":1}", "{\"a\":1,\"bc\":[1,2,{\"d\":null}],\"e\":{\"f\":false,\"g\":\"h i\"}}",
        "[[],{},[[1]],\"x\"]",
        "{\"type\":\"object\",\"properties\":{\"expression\":{\"type\":\"string\",\"maxLength\":200}},\"required\":[\"expression\"]}"}) {
      JsonNode node = Json.parse(text);
      assertEquals(node.toString().length(), Json.compactLength(node), text);
    }
  }
}
