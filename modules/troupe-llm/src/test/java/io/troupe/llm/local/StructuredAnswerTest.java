package io.troupe.llm.local;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.troupe.core.agent.OutputSchema;
import io.troupe.core.json.Json;
import io.troupe.core.llm.ChatMessage;
import io.troupe.core.llm.ChatRequest;
import io.troupe.core.llm.ChatResponse;
import io.troupe.core.llm.FinishReason;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The local planner's answers to an agent with an output schema are valid against it. */
class StructuredAnswerTest {
  private static JsonNode filled(String schema, String answer) {
    OutputSchema compiled = OutputSchema.parse(schema);
    JsonNode value = Json.parse(StructuredAnswer.fill(compiled.json(), answer));
    assertEquals(List.of(), compiled.validate(value), value.toString());
    return value;
  }

  @Test
  void requiredStringsHoldTheAnswerAndNumbersItsLastNumber() {
    JsonNode v = filled("""
        {"type":"object","properties":{"answer":{"type":"string"},"result":{"type":"number"},
         "rounded":{"type":"integer","maximum":1000},"sure":{"type":"boolean"}},
         "required":["answer","result"],"additionalProperties":false}""", "17% of 2,340 is 397.8.");
    assertEquals("17% of 2,340 is 397.8.", v.get("answer").asText());
    assertEquals(397.8, v.get("result").asDouble());
    assertEquals(398, v.get("rounded").asInt());
    assertTrue(v.get("sure").asBoolean());
  }

  @Test
  void nestedObjectsArraysEnumsAndFormatsAreValid() {
    JsonNode v = filled("""
        {"type":"object","properties":{
           "kind":{"enum":["math","time"]},
           "at":{"type":"string","format":"date-time"},
           "tags":{"type":"array","items":{"type":"string","maxLength":5},"minItems":2},
           "detail":{"type":"object","properties":{"note":{"type":["string","null"],"minLength":3}},"required":["note"]},
           "level":{"const":3}},
         "required":["kind","at","tags","detail","level"]}""", "It is 04:00 UTC.");
    assertEquals("math", v.get("kind").asText());
    assertEquals(2, v.get("tags").size());
    assertEquals("It is", v.at("/tags/0").asText());
  }

  @Test
  void theProviderAnswersJsonWhenTheRequestHasAnOutputSchema() throws Exception {
    LocalProvider local = new LocalProvider(LocalSettings.defaults(), null, null);
    JsonNode schema = Json.parse("{\"type\":\"object\",\"properties\":{\"answer\":{\"type\":\"string\"}},"
        + "\"required\":[\"answer\"],\"additionalProperties\":false}");
    ChatRequest request = new ChatRequest(null, List.of(ChatMessage.user("Hello there")), List.of(), 0, false, null,
        null, null, new ChatRequest.OutputFormat("default", schema, true));
    ChatResponse r = local.chat(request, d -> {}).toCompletableFuture().get();
    assertEquals(FinishReason.STOP, r.finishReason());
    JsonNode answer = Json.parse(r.message().content());
    assertTrue(answer.get("answer").isTextual() && !answer.get("answer").asText().isEmpty(), answer.toString());
  }
}
