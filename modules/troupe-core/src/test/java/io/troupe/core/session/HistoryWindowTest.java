package io.troupe.core.session;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.troupe.core.agent.AgentSpec;
import io.troupe.core.json.Json;
import io.troupe.core.llm.ChatMessage;
import io.troupe.core.llm.ChatRequest;
import io.troupe.core.llm.TokenEstimate;
import io.troupe.core.llm.ToolCall;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class HistoryWindowTest {

  /** A text of exactly {@code tokens} estimated tokens as one message (framing included). */
  private static String textOf(int tokens) {
    return "x".repeat((tokens - TokenEstimate.PER_MESSAGE) * 4);
  }

  private static List<ChatMessage> plainTurn(int i, int tokensPerMessage) {
    return List.of(ChatMessage.user("q" + i + " " + textOf(tokensPerMessage).substring(("q" + i + " ").length())),
        ChatMessage.assistant("a" + i + " " + textOf(tokensPerMessage).substring(("a" + i + " ").length())));
  }

  private static List<ChatMessage> toolTurn(int i) {
    ToolCall c1 = new ToolCall("c" + i + "a", "calculator", Json.parse("{\"expression\":\"1+" + i + "\"}"));
    ToolCall c2 = new ToolCall("c" + i + "b", "current_time", Json.parse("{}"));
    return List.of(ChatMessage.user("t" + i),
        ChatMessage.assistantToolCalls("", List.of(c1, c2)),
        ChatMessage.toolResult(c1.id(), c1.name(), "{\"result\":" + (1 + i) + "}"),
        ChatMessage.toolResult(c2.id(), c2.name(), "{\"time\":\"12:00\"}"),
        ChatMessage.assistant("done " + i));
  }

  @Test
  void theEstimateIsFourCharactersATokenPlusFraming() {
    assertEquals(TokenEstimate.PER_MESSAGE, TokenEstimate.of(ChatMessage.user("")));
    assertEquals(TokenEstimate.PER_MESSAGE + 1, TokenEstimate.of(ChatMessage.user("abcd")));
    assertEquals(TokenEstimate.PER_MESSAGE + 2, TokenEstimate.of(ChatMessage.user("abcde")));
    assertEquals(100, TokenEstimate.of(ChatMessage.user(textOf(100))));
    ToolCall call = new ToolCall("c1", "calc", Json.parse("{\"e\":\"1+2\"}")); // "calc" + {"e":"1+2"}: 15 chars
    assertEquals(TokenEstimate.PER_MESSAGE + 4, TokenEstimate.of(ChatMessage.assistantToolCalls("", List.of(call))));
  }

  @Test
  void theNewestWholeTurnsThatFitAreKept() {
    List<ChatMessage> history = new ArrayList<>();
    for (int i = 0; i < 10; i++) history.addAll(plainTurn(i, 50)); // 100 tokens a turn
    var memory = new AgentSpec.Memory(350, false);
    var selection = HistoryWindow.select(history, 0, null, 0, memory, 20);
    // 350 tokens hold three turns of 100, not four, and never half a turn.
    assertEquals(6, selection.window().size());
    assertTrue(selection.window().get(0).content().startsWith("q7 "), selection.window().get(0).content());
    assertTrue(selection.window().get(5).content().startsWith("a9 "));
    assertTrue(TokenEstimate.of(selection.window()) <= 350);
    assertEquals(14, selection.through());
    assertFalse(selection.needsSummary(), "summarize is off");

    // Exactly at the bound: four turns fit in 400.
    assertEquals(8, HistoryWindow.select(history, 0, null, 0, new AgentSpec.Memory(400, false), 20).window().size());
  }

  @Test
  void aNewestTurnLargerThanTheBoundLeavesTheWindowEmpty() {
    List<ChatMessage> history = new ArrayList<>(plainTurn(0, 10));
    history.addAll(plainTurn(1, 500));
    assertEquals(List.of(), HistoryWindow.select(history, 0, null, 0, new AgentSpec.Memory(400, false), 20).window());
  }

  @Test
  void withoutATokenBoundTheMessageBoundIsTodays() {
    List<ChatMessage> history = new ArrayList<>();
    for (int i = 0; i < 10; i++) history.addAll(toolTurn(i)); // 5 messages a turn
    var selection = HistoryWindow.select(history, 0, null, 0, AgentSpec.Memory.NONE, 7);
    SessionState state = new SessionState();
    state.history.addAll(history);
    assertEquals(state.recentHistory(7), selection.window());
    // The last 7 start on t8's two tool results: they are skipped, as before.
    assertEquals(ChatMessage.assistant("done 8"), selection.window().get(0));
    assertTrue(HistoryWindow.isValid(selection.window()));
  }

  @Test
  void aToolCallIsNeverSplitFromItsResultsAndTheWindowNeverStartsWithAToolResult() {
    Random random = new Random(42);
    for (int run = 0; run < 200; run++) {
      List<ChatMessage> history = new ArrayList<>();
      int turns = 1 + random.nextInt(12);
      for (int i = 0; i < turns; i++) {
        history.addAll(random.nextBoolean() ? toolTurn(i) : plainTurn(i, 5 + random.nextInt(80)));
      }
      // The tail of a turn cut off by an older message bound: it is never shown.
      int cut = random.nextInt(3);
      List<ChatMessage> kept = history.subList(Math.min(cut, history.size()), history.size());
      long bound = 10 + random.nextInt(600);
      var window = HistoryWindow.select(kept, cut, null, 0, new AgentSpec.Memory((int) bound, false), 20).window();
      assertTrue(HistoryWindow.isValid(window), () -> "invalid window " + window);
      assertTrue(TokenEstimate.of(window) <= bound, "over the bound");
      if (!window.isEmpty()) assertEquals(ChatMessage.Role.USER, window.get(0).role());
      // Whole turns: what is left out is a prefix ending where a turn starts.
      assertEquals(kept.subList(kept.size() - window.size(), kept.size()), window);
    }
  }

  @Test
  void validityIsChecked() {
    ToolCall c = new ToolCall("c1", "calculator", Json.object());
    assertTrue(HistoryWindow.isValid(toolTurn(1)));
    assertFalse(HistoryWindow.isValid(toolTurn(1).subList(2, 5)), "starts on a tool result");
    assertFalse(HistoryWindow.isValid(toolTurn(1).subList(0, 3)), "a call without its result");
    assertFalse(HistoryWindow.isValid(List.of(ChatMessage.assistantToolCalls("", List.of(c)),
        ChatMessage.toolResult("c2", "calculator", "{}"))), "a result of another call");
    assertFalse(HistoryWindow.isValid(List.of(ChatMessage.assistantToolCalls("", List.of(c)),
        ChatMessage.toolResult("c1", "calculator", "{}"), ChatMessage.toolResult("c1", "calculator", "{}"))),
        "two results of one call");
  }

  @Test
  void turnsThatFellOutAreToSummariseOnceAndTheSummaryIsPrependedOnce() {
    List<ChatMessage> history = new ArrayList<>();
    for (int i = 0; i < 6; i++) history.addAll(plainTurn(i, 50));
    var memory = new AgentSpec.Memory(400, true); // 100 for the summary, 300 for the turns: three of them
    assertEquals(100, HistoryWindow.summaryReserve(memory));
    var first = HistoryWindow.select(history, 0, null, 0, memory, 20);
    assertTrue(first.needsSummary());
    assertEquals(history.subList(0, 6), first.toSummarize());
    assertEquals(6, first.through());
    assertEquals(history.subList(6, 12), first.window(), "no summary yet: the turns only");

    // Summarised through 6: nothing more to summarise, the summary comes first.
    var second = HistoryWindow.select(history, 0, "They talked about q0 to q2.", 6, memory, 20);
    assertFalse(second.needsSummary());
    assertEquals(7, second.window().size());
    assertEquals(HistoryWindow.summaryMessage("They talked about q0 to q2."), second.window().get(0));
    assertEquals(ChatMessage.Role.SYSTEM, second.window().get(0).role());
    assertEquals(history.subList(6, 12), second.window().subList(1, 7));

    // Two turns later, with the first two dropped from the session (base 4): only the new overflow.
    for (int i = 6; i < 8; i++) history.addAll(plainTurn(i, 50));
    List<ChatMessage> kept = history.subList(4, history.size());
    var third = HistoryWindow.select(kept, 4, "They talked about q0 to q2.", 6, memory, 20);
    assertEquals(history.subList(6, 10), third.toSummarize());
    assertEquals(10, third.through());

    // A summary that covers more than the budget shows (another agent's, larger): not shown twice.
    var fourth = HistoryWindow.select(kept, 4, "Up to q5.", 12, memory, 20);
    assertFalse(fourth.needsSummary());
    assertEquals(history.subList(12, 16), fourth.window().subList(1, 5));

    // An agent that does not summarise never sees the summary.
    var plain = HistoryWindow.select(kept, 4, "Up to q5.", 12, new AgentSpec.Memory(400, false), 20);
    assertTrue(plain.window().stream().noneMatch(m -> m.role() == ChatMessage.Role.SYSTEM));
  }

  @Test
  void theSummaryRequestUsesTheAgentsModelWithNoToolsAndRendersToolTurnsAsText() {
    var model = new AgentSpec.Model("openai", "gpt-4o-mini", 0.2, 1024);
    ChatRequest request = HistoryWindow.summaryRequest(model, new AgentSpec.Memory(400, true), "Earlier: a.",
        toolTurn(3), null);
    assertEquals("gpt-4o-mini", request.model());
    assertEquals("openai", request.provider());
    assertEquals(0.2, request.temperature());
    assertEquals(100, request.maxOutputTokens());
    assertTrue(request.tools().isEmpty());
    assertFalse(request.stream());
    assertNull(request.output());
    assertEquals(2, request.messages().size());
    String user = request.messages().get(1).content();
    assertTrue(user.startsWith("The summary so far:\nEarlier: a."), user);
    assertTrue(user.contains("assistant called calculator({\"expression\":\"1+3\"})"), user);
    assertTrue(user.contains("tool calculator returned: {\"result\":4}"), user);
    assertTrue(request.messages().stream().noneMatch(m -> m.role() == ChatMessage.Role.TOOL));
  }

  @Test
  void theSessionKeepsTheTurnsTheLargestBudgetShowedUntilTheNextIntentHasSeenThemGo() {
    SessionState state = new SessionState();
    for (int i = 0; i < 20; i++) state.remember(plainTurn(i, 50), 4, 300);
    // Before the last transcript, 300 tokens held three turns; the last turn came on top: four, 8 messages.
    assertEquals(8, state.history.size());
    assertEquals(32, state.historyBase);
    assertTrue(state.history.get(0).content().startsWith("q16 "));
    // The message bound alone (no agent with a token bound) is today's.
    SessionState plain = new SessionState();
    for (int i = 0; i < 20; i++) plain.remember(plainTurn(i, 50), 4, 0);
    assertEquals(4, plain.history.size());
    assertEquals(36, plain.historyBase);
  }
}
