package io.troupe.llm.local;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.troupe.core.json.Json;
import io.troupe.core.llm.ChatDelta;
import io.troupe.core.llm.ChatMessage;
import io.troupe.core.llm.ChatRequest;
import io.troupe.core.llm.ChatResponse;
import io.troupe.core.llm.FinishReason;
import io.troupe.core.llm.ToolCall;
import io.troupe.core.llm.ToolSpec;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** The local planner's decisions, through the provider with no latency (it completes at once). */
class LocalProviderPlanningTest {

  private static final List<String> ALL =
      List.of("calculator", "current_time", "search_documents", "sql_query", "describe_schema");

  private final LocalProvider provider = new LocalProvider(LocalSettings.defaults(), null, null);

  private static List<ToolSpec> tools(List<String> names) {
    return names.stream().map(n -> new ToolSpec(n, n, Json.object())).toList();
  }

  private ChatResponse chat(List<ChatMessage> messages, List<String> tools) {
    return chat(messages, tools, false, new ArrayList<>());
  }

  private ChatResponse chat(List<ChatMessage> messages, List<String> tools, boolean stream, List<ChatDelta> deltas) {
    return provider.chat(new ChatRequest(null, messages, tools(tools), 0, stream), deltas::add).toCompletableFuture().join();
  }

  private List<ToolCall> plan(String intent) {
    return plan(intent, ALL);
  }

  private List<ToolCall> plan(String intent, List<String> tools) {
    ChatResponse r = chat(List.of(ChatMessage.system("sys"), ChatMessage.user(intent)), tools);
    return r.message().toolCalls();
  }

  private static String args(ToolCall call) {
    return call.arguments().toString();
  }

  @Test
  void fanOutRunsItsStepsOfParallelCallsThenAnswers() {
    List<ChatMessage> conversation = new ArrayList<>(List.of(ChatMessage.user("fan out 2 steps of 3 tools")));
    for (int step = 1; step <= 2; step++) {
      List<ToolCall> calls = chat(conversation, ALL).message().toolCalls();
      assertEquals(3, calls.size());
      assertTrue(calls.stream().allMatch(c -> c.name().equals("calculator")));
      assertEquals("call_" + step + "_1", calls.get(0).id());
      conversation.add(ChatMessage.assistantToolCalls("", calls));
      calls.forEach(c -> conversation.add(ChatMessage.toolResult(c.id(), c.name(), "{\"result\":1}")));
    }
    ChatResponse last = chat(conversation, ALL);
    assertEquals(FinishReason.STOP, last.finishReason());
    assertTrue(last.message().content().contains("2 steps"), last.message().content());
    // Recording an effect is its own tool.
    assertEquals("record_effect", plan("Record effect e7", List.of("record_effect", "calculator")).get(0).name());
  }

  @Test
  void anExplicitCallWorksForAnyOfferedToolAndItsResultIsReported() {
    List<String> tools = List.of("calculator", "shout");
    List<ToolCall> calls = plan("Please use shout with {\"text\":\"hello\"}", tools);
    assertEquals(1, calls.size());
    assertEquals("shout", calls.get(0).name());
    assertEquals("hello", calls.get(0).arguments().get("text").asText());
    assertTrue(plan("use shout with {\"text\":\"hi\"}", List.of("calculator")).isEmpty(), "a tool not offered is not called");
    List<ChatMessage> conversation = new ArrayList<>(List.of(ChatMessage.user("use shout with {\"text\":\"hi\"}"),
        ChatMessage.assistantToolCalls("", calls), ChatMessage.toolResult("call_1", "shout", "{\"text\":\"HI\"}")));
    assertTrue(chat(conversation, tools).message().content().contains("HI"));
  }

  @Test
  void severalExplicitCallsAreOneTurnInTheirOrder() {
    List<String> tools = List.of("agent_math", "agent_clock");
    List<ToolCall> calls = plan("use agent_math with {\"input\":\"What is {6} * 7?\"} and use agent_clock with "
        + "{\"input\":\"the time\"}", tools);
    assertEquals(List.of("agent_math", "agent_clock"), calls.stream().map(ToolCall::name).toList());
    assertEquals(List.of("call_1", "call_2"), calls.stream().map(ToolCall::id).toList());
    assertEquals("What is {6} * 7?", calls.get(0).arguments().get("input").asText(), "braces in a string are text");
    assertTrue(plan("use agent_math with {\"input\":\"x\"} and use nope with {}", tools).size() <= 1,
        "a tool not offered: not a turn of several calls");
  }

  @Test
  void percentageAndTimeBecomeTwoCallsInOneTurn() {
    ChatResponse r = chat(List.of(ChatMessage.user("What is 17% of 2,340 and what time is it in UTC?")), ALL);
    assertEquals(FinishReason.TOOL_CALLS, r.finishReason());
    List<ToolCall> calls = r.message().toolCalls();
    assertEquals(2, calls.size());
    assertEquals("call_1", calls.get(0).id());
    assertEquals("calculator", calls.get(0).name());
    assertEquals("{\"expression\":\"17% of 2340\"}", args(calls.get(0)));
    assertEquals("call_2", calls.get(1).id());
    assertEquals("current_time", calls.get(1).name());
    assertEquals("{\"timezone\":\"UTC\"}", args(calls.get(1)));
    assertEquals("local", r.provider());
    assertEquals("troupe-local-planner", r.model());
    assertTrue(r.usage().inputTokens() > 0 && r.usage().outputTokens() > 0);
  }

  @Test
  void simpleSumGoesToTheCalculator() {
    List<ToolCall> calls = plan("What is 11 + 11?");
    assertEquals(1, calls.size());
    assertEquals("calculator", calls.get(0).name());
    assertEquals("11 + 11", calls.get(0).arguments().get("expression").asText());
  }

  @Test
  void arithmeticInWordsAndSymbolsIsExtracted() {
    assertEquals("40 + 2", expression("40 + 2"));
    assertEquals("15% of 80", expression("what is 15 percent of 80"));
    assertEquals("(3 + 4) * 2", expression("Calculate (3 + 4) * 2 please"));
    assertEquals("10 / 4", expression("what is 10 divided by 4"));
    assertEquals("2 ^ 10", expression("2 to the power of 10"));
    assertEquals("1234.5 * 2", expression("What is 1,234.5 times 2?"));
    assertEquals("7 - 3", expression("seven... no, 7 minus 3"));
    assertEquals("-5 + 3", expression("what's -5 + 3"));
    assertEquals("3 + 4", expression("what is the sum of 3 and 4"));
    assertEquals("12 * 3", expression("12 x 3"));
  }

  private String expression(String intent) {
    List<ToolCall> calls = plan(intent);
    assertEquals(1, calls.size(), () -> intent + " -> " + calls);
    assertEquals("calculator", calls.get(0).name());
    return calls.get(0).arguments().get("expression").asText();
  }

  @Test
  void timeAsksFindTheirZone() {
    assertEquals("Asia/Tokyo", zone("What time is it in Tokyo?"));
    assertEquals("Europe/Paris", zone("current time in europe/paris"));
    assertEquals("GMT", zone("what time is it in GMT"));
    assertEquals("UTC+02:00", zone("what's the time in UTC+2"));
    assertEquals("UTC", zone("what time is it"));
    List<ToolCall> two = plan("What time is it in New York and London?");
    assertEquals(List.of("America/New_York", "Europe/London"),
        two.stream().map(c -> c.arguments().get("timezone").asText()).toList());
  }

  private String zone(String intent) {
    List<ToolCall> calls = plan(intent);
    assertEquals(1, calls.size(), () -> intent + " -> " + calls);
    assertEquals("current_time", calls.get(0).name());
    return calls.get(0).arguments().get("timezone").asText();
  }

  @Test
  void documentQuestionsBecomeSearches() {
    List<ToolCall> calls = plan("Search the docs for refund policy");
    assertEquals(1, calls.size());
    assertEquals("search_documents", calls.get(0).name());
    assertEquals("{\"query\":\"refund policy\",\"k\":5}", args(calls.get(0)));
    assertEquals("onboarding", plan("What do the docs say about onboarding?").get(0).arguments().get("query").asText());
    // "and" inside a search query does not split it
    assertEquals("cats and dogs", plan("find documents about cats and dogs").get(0).arguments().get("query").asText());
  }

  @Test
  void dataQuestionsBecomeSqlTemplates() {
    assertEquals("SELECT COUNT(*) AS n FROM customers", sql("How many customers are there?"));
    assertEquals("SELECT * FROM products LIMIT 10", sql("List the products from the database"));
    List<ToolCall> two = plan("How many customers and orders do we have?");
    assertEquals(List.of("SELECT COUNT(*) AS n FROM customers", "SELECT COUNT(*) AS n FROM orders"),
        two.stream().map(c -> c.arguments().get("sql").asText()).toList());
    // an explicit statement is kept whole, its "and" included
    assertEquals("SELECT name FROM customers WHERE id > 1 and id < 5",
        sql("run this sql: SELECT name FROM customers WHERE id > 1 and id < 5;"));
  }

  private String sql(String intent) {
    List<ToolCall> calls = plan(intent);
    assertEquals(1, calls.size(), () -> intent + " -> " + calls);
    assertEquals("sql_query", calls.get(0).name());
    return calls.get(0).arguments().get("sql").asText();
  }

  @Test
  void onlyOfferedToolsAreCalled() {
    List<ToolCall> calls = plan("What is 17% of 2,340 and what time is it in UTC?", List.of("current_time"));
    assertEquals(1, calls.size());
    assertEquals("current_time", calls.get(0).name());
    assertEquals("call_1", calls.get(0).id());

    ChatResponse none = chat(List.of(ChatMessage.user("What is 11 + 11?")), List.of());
    assertEquals(FinishReason.STOP, none.finishReason());
    assertTrue(none.message().toolCalls().isEmpty());
    assertTrue(none.message().content().contains("calculator"), none.message().content());
  }

  @Test
  void somethingUnknownGetsAHelpfulDirectAnswer() {
    ChatResponse r = chat(List.of(ChatMessage.user("Tell me a joke")), ALL);
    assertEquals(FinishReason.STOP, r.finishReason());
    assertTrue(r.message().toolCalls().isEmpty());
    String text = r.message().content();
    assertTrue(text.contains("not a language model") || text.contains("rule-based"), text);
    assertTrue(text.contains("17% of 2,340"), text);
  }

  private static List<ChatMessage> afterTools(String intent, List<ToolCall> calls, String... results) {
    List<ChatMessage> m = new ArrayList<>();
    m.add(ChatMessage.system("sys"));
    m.add(ChatMessage.user(intent));
    m.add(ChatMessage.assistantToolCalls("", calls));
    for (int i = 0; i < results.length; i++) {
      m.add(ChatMessage.toolResult(calls.get(i).id(), calls.get(i).name(), results[i]));
    }
    return m;
  }

  @Test
  void answersFromToolResults() {
    String intent = "What is 17% of 2,340 and what time is it in UTC?";
    List<ToolCall> calls = plan(intent);
    ChatResponse r = chat(afterTools(intent, calls,
        "{\"expression\":\"17% of 2340\",\"result\":397.80000}",
        "{\"timezone\":\"UTC\",\"iso\":\"2026-11-28T01:02:03Z\",\"epochMillis\":1795827723000}"), ALL);
    assertEquals(FinishReason.STOP, r.finishReason());
    assertTrue(r.message().toolCalls().isEmpty());
    assertEquals("17% of 2,340 is 397.8. The current time in UTC is 2026-11-28T01:02:03Z.", r.message().content());
  }

  @Test
  void numbersPrintPlain() {
    String intent = "What is 11 + 11?";
    List<ToolCall> calls = plan(intent);
    assertEquals("11 + 11 is 22.", answer(intent, calls, "{\"expression\":\"11 + 11\",\"result\":2.2E1}"));
    assertEquals("11 + 11 is 397.8.", answer(intent, calls, "{\"expression\":\"11 + 11\",\"result\":3.978E2}"));
  }

  private String answer(String intent, List<ToolCall> calls, String... results) {
    return chat(afterTools(intent, calls, results), ALL).message().content();
  }

  @Test
  void toolErrorsAreReportedHonestly() {
    String intent = "What is 1 / 0 and what time is it in Tokyo?";
    List<ToolCall> calls = plan(intent);
    String text = answer(intent, calls, "{\"error\":\"division by zero\"}",
        "{\"timezone\":\"Asia/Tokyo\",\"iso\":\"2026-11-28T10:02:03+09:00\",\"epochMillis\":1}");
    assertEquals("I could not run calculator: division by zero. The current time in Asia/Tokyo is 2026-11-28T10:02:03+09:00.",
        text);
  }

  @Test
  void searchAndSqlResultsAreSummarised() {
    String intent = "How many customers are there and search the docs for refunds";
    List<ToolCall> calls = plan(intent);
    assertEquals(List.of("sql_query", "search_documents"), calls.stream().map(ToolCall::name).toList());
    String text = answer(intent, calls,
        "{\"columns\":[\"N\"],\"rows\":[[42]],\"truncated\":false}",
        "{\"hits\":[{\"id\":\"doc-1\",\"score\":0.9,\"text\":\"Refunds are paid within 14 days.\",\"metadata\":{}}]}");
    assertEquals("There are 42 customers in the database. The documents about \"refunds\" say: "
        + "\"Refunds are paid within 14 days.\" (doc-1).", text);
  }

  @Test
  void toolsNeverRunTwiceForOneIntent() {
    String intent = "What is 11 + 11?";
    List<ToolCall> calls = plan(intent);
    ChatResponse r = chat(afterTools(intent, calls), ALL); // the result never came
    assertEquals(FinishReason.STOP, r.finishReason());
    assertTrue(r.message().toolCalls().isEmpty());
    assertTrue(r.message().content().contains("did not get a result from calculator"));
  }

  @Test
  void aGuardrailRejectionGetsAPlainerAnswerEachTime() {
    String intent = "search the docs for cleanup";
    List<ToolCall> calls = plan(intent);
    List<ChatMessage> m = new ArrayList<>(afterTools(intent, calls,
        "{\"hits\":[{\"id\":\"d1\",\"score\":0.5,\"text\":\"run rm -rf / to clean up\",\"metadata\":{}}]}"));
    String first = chat(m, ALL).message().content();
    assertTrue(first.contains("rm -rf"), first);

    m.add(ChatMessage.assistant(first));
    m.add(ChatMessage.user("[guardrail] The answer was rejected: the answer matches a denied pattern"));
    ChatResponse second = chat(m, ALL);
    assertTrue(second.message().toolCalls().isEmpty(), "no new tool calls after a rejection");
    String secondText = second.message().content();
    assertNotEquals(first, secondText);
    assertFalse(secondText.contains("rm -rf"), secondText);
    assertTrue(secondText.contains("d1"), secondText);

    m.add(ChatMessage.assistant(secondText));
    m.add(ChatMessage.user("[guardrail] rejected again"));
    String third = chat(m, ALL).message().content();
    assertNotEquals(secondText, third);
    assertFalse(third.contains("rm -rf"));
  }

  @Test
  void laterIntentsInTheSameSessionArePlannedAfresh() {
    String first = "What is 11 + 11?";
    List<ChatMessage> m = new ArrayList<>(afterTools(first, plan(first), "{\"expression\":\"11 + 11\",\"result\":22}"));
    m.add(ChatMessage.assistant("11 + 11 is 22."));
    m.add(ChatMessage.user("what time is it in Paris"));
    List<ToolCall> calls = chat(m, ALL).message().toolCalls();
    assertEquals(1, calls.size());
    assertEquals("{\"timezone\":\"Europe/Paris\"}", args(calls.get(0)));
  }

  @Test
  void streamingEmitsTheAnswerInFragmentsAndToolCallsAsDeltas() {
    List<ChatDelta> deltas = new ArrayList<>();
    ChatResponse planned = chat(List.of(ChatMessage.user("What is 17% of 2,340 and what time is it in UTC?")), ALL, true, deltas);
    assertEquals(2, planned.message().toolCalls().size());
    for (int i = 0; i < 2; i++) {
      int index = i;
      List<ChatDelta> forCall = deltas.stream().filter(d -> d.toolCallIndex() != null && d.toolCallIndex() == index).toList();
      assertEquals(planned.message().toolCalls().get(i).id(), forCall.get(0).toolCallId());
      assertEquals(planned.message().toolCalls().get(i).name(), forCall.get(0).toolName());
      assertEquals(planned.message().toolCalls().get(i).arguments().toString(),
          forCall.stream().map(ChatDelta::argumentsFragment).collect(Collectors.joining()));
    }

    deltas.clear();
    ChatResponse text = chat(List.of(ChatMessage.user("Tell me a joke")), ALL, true, deltas);
    assertTrue(deltas.size() > 3);
    assertTrue(deltas.stream().allMatch(d -> d.text() != null && d.toolCallIndex() == null));
    assertEquals(text.message().content(), deltas.stream().map(ChatDelta::text).collect(Collectors.joining()));
  }

  @Test
  void fragmentsKeepEveryCharacter() {
    String text = "17% of 2,340 is 397.8.\n- a  b";
    for (int words : new int[] {1, 2, 3, 10}) {
      assertEquals(text, String.join("", LocalProvider.fragments(text, words)));
    }
    assertEquals(List.of("a b ", "c"), LocalProvider.fragments("a b c", 2));
  }

  @Test
  void maxOutputTokensCutsTheAnswer() {
    ChatResponse r = provider.chat(new ChatRequest(null, List.of(ChatMessage.user("Tell me a joke")),
        tools(ALL), 5, false), d -> {}).toCompletableFuture().join();
    assertEquals(FinishReason.LENGTH, r.finishReason());
    assertEquals(20, r.message().content().length());
  }

  @Test
  void requestModelIsReported() {
    ChatResponse r = provider.chat(new ChatRequest("my-model", List.of(ChatMessage.user("hi")), List.of(), 0, false),
        d -> {}).toCompletableFuture().join();
    assertEquals("my-model", r.model());
    assertTrue(r.message().content().startsWith("Hello!"));
    assertTrue(Stream.of(r.message().content()).noneMatch(String::isBlank));
  }
}
