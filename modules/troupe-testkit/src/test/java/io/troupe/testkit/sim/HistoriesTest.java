package io.troupe.testkit.sim;

import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.troupe.core.json.Json;
import io.troupe.core.llm.ChatMessage;
import io.troupe.core.llm.ToolCall;
import java.util.List;
import org.junit.jupiter.api.Test;

class HistoriesTest {

  private static final ChatMessage CALLS = ChatMessage.assistantToolCalls("", List.of(
      new ToolCall("a", "t", Json.object()), new ToolCall("b", "t", Json.object())));

  @Test
  void acceptsEachCallAnsweredOnceInOrder() {
    assertNull(Histories.problem(List.of(ChatMessage.user("q"), CALLS,
        ChatMessage.toolResult("a", "t", "1"), ChatMessage.toolResult("b", "t", "2"), ChatMessage.assistant("x"))));
  }

  @Test
  void rejectsAMissingResultResultsOutOfOrderAndALoneResult() {
    assertTrue(Histories.problem(List.of(ChatMessage.user("q"), CALLS, ChatMessage.toolResult("a", "t", "1")))
        .contains("b"));
    assertTrue(Histories.problem(List.of(CALLS, ChatMessage.toolResult("b", "t", "2"),
        ChatMessage.toolResult("a", "t", "1"))).contains("should be the result of a"));
    assertTrue(Histories.problem(List.of(ChatMessage.user("q"), ChatMessage.toolResult("a", "t", "1")))
        .contains("no call before it"));
    assertTrue(Histories.problem(List.of(CALLS, ChatMessage.toolResult("a", "t", "1"),
        ChatMessage.toolResult("b", "t", "2"), ChatMessage.toolResult("b", "t", "2"))) != null, "a second result");
  }
}
