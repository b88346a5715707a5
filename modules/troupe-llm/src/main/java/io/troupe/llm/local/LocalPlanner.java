package io.troupe.llm.local;

import io.troupe.core.json.Json;
import io.troupe.core.llm.ChatMessage;
import io.troupe.core.llm.ChatRequest;
import io.troupe.core.llm.ToolCall;
import io.troupe.core.llm.ToolSpec;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * Decides the next assistant turn from the conversation, deterministically.
 *
 * <ul>
 *   <li>The intent is the last user message that is not guardrail feedback.
 *   <li>No assistant turn since the intent: plan. Each sub-ask that fits an offered tool becomes
 *       a tool call, all in one turn ({@code call_1}, {@code call_2}, ...); none fits: a help text.
 *   <li>Otherwise answer from the tool results. Tools never run twice for one intent, so the loop
 *       always ends. Each "[guardrail]" message after an answer makes the next answer plainer.
 *   <li>"fan out S steps of F tools" (the fan-out benchmark): S turns of F parallel calculator
 *       calls, then an answer.
 * </ul>
 */
final class LocalPlanner {
  /** How the agent loop marks guardrail feedback in a user message. */
  static final String GUARDRAIL_PREFIX = "[guardrail]";

  /** The next turn: text, or tool calls. */
  record Turn(String text, List<ToolCall> calls) {
    static Turn text(String text) {
      return new Turn(text, List.of());
    }
  }

  /** An explicit call, for any offered tool: {@code use shout with {"text":"hi"}}. */
  private static final Pattern EXPLICIT_CALL =
      Pattern.compile("(?is)\\b(?:use|call)\\s+(?:the\\s+)?(?:tool\\s+)?`?([A-Za-z0-9_.-]{1,64})`?\\s+with\\s+(\\{.*\\})\\s*\\.?\\s*$");

  private static final Pattern FAN_OUT =
      Pattern.compile("(?i)\\bfan\\s+out\\s+(\\d{1,3})\\s+steps?\\s+of\\s+(\\d{1,2})\\s+tools?\\b");

  private final IntentParser parser;
  private final AnswerWriter writer = new AnswerWriter();

  LocalPlanner(LocalSettings settings) {
    this.parser = new IntentParser(settings);
  }

  Turn next(ChatRequest request) {
    List<ChatMessage> messages = request.messages();
    Set<String> offered = request.tools().stream().map(ToolSpec::name).collect(Collectors.toCollection(HashSet::new));
    int intentAt = -1;
    for (int i = messages.size() - 1; i >= 0; i--) {
      if (messages.get(i).role() == ChatMessage.Role.USER && !isGuardrailFeedback(messages.get(i))) {
        intentAt = i;
        break;
      }
    }
    if (intentAt < 0) {
      return Turn.text(writer.help("", List.of(), offered));
    }
    String intent = messages.get(intentAt).content();

    List<ToolCall> calls = new ArrayList<>();
    Map<String, ChatMessage> results = new HashMap<>();
    boolean answered = false;
    int rejections = 0; // guardrail feedback after an answer
    boolean actionDenied = false; // guardrail feedback before any answer
    for (ChatMessage m : messages.subList(intentAt + 1, messages.size())) {
      switch (m.role()) {
        case ASSISTANT:
          calls.addAll(m.toolCalls());
          answered |= m.toolCalls().isEmpty() && !m.content().isBlank();
          break;
        case TOOL:
          if (m.toolCallId() != null) results.put(m.toolCallId(), m);
          break;
        case USER:
          if (answered) rejections++;
          else actionDenied = true;
          break;
        default:
          break;
      }
    }

    Matcher fanOut = FAN_OUT.matcher(intent);
    if (fanOut.find() && offered.contains(ToolNames.CALCULATOR)) {
      return fanOutTurn(messages.subList(intentAt + 1, messages.size()),
          Integer.parseInt(fanOut.group(1)), Integer.parseInt(fanOut.group(2)));
    }

    if (calls.isEmpty() && !answered && !actionDenied) {
      List<ToolCall> several = explicitCalls(intent, offered);
      if (several.size() > 1) return new Turn("", several);
    }
    Matcher explicit = EXPLICIT_CALL.matcher(intent);
    if (calls.isEmpty() && !answered && !actionDenied && explicit.find() && offered.contains(explicit.group(1))) {
      try {
        return new Turn("", List.of(new ToolCall("call_1", explicit.group(1), Json.parse(explicit.group(2)))));
      } catch (RuntimeException notJson) {
        // not a JSON object after all: planned as any other intent
      }
    }

    List<IntentParser.Ask> asks = parser.parse(intent, offered);
    if (calls.isEmpty() && !answered && !actionDenied) {
      List<ToolCall> planned = toCalls(asks);
      return planned.isEmpty() ? Turn.text(writer.help(intent, asks, offered)) : new Turn("", planned);
    }
    AnswerWriter.Tone tone = AnswerWriter.Tone.afterRejections(rejections);
    if (calls.isEmpty() && answered && tone == AnswerWriter.Tone.CONSERVATIVE) {
      return Turn.text(writer.conservativeHelp(offered)); // the rejected answer was the help text
    }
    if (calls.isEmpty() && tone == AnswerWriter.Tone.FULL && !actionDenied) {
      return Turn.text(writer.help(intent, asks, offered));
    }
    List<IntentParser.Ask> unmatched = asks.stream().filter(a -> !a.matched()).toList();
    return Turn.text(writer.answer(calls, results, unmatched, tone, actionDenied));
  }

  private static final Pattern USE_WITH =
      Pattern.compile("(?i)\\b(?:use|call)\\s+(?:the\\s+)?(?:tool\\s+)?`?([A-Za-z0-9_.-]{1,64})`?\\s+with\\s+(?=\\{)");

  /**
   * Several explicit calls in one turn, run concurrently:
   * {@code use a with {"x":1} and use b with {"y":2}}. Each JSON object ends at its closing brace.
   * Empty unless every call names an offered tool with a JSON object.
   */
  static List<ToolCall> explicitCalls(String intent, Set<String> offered) {
    List<ToolCall> out = new ArrayList<>();
    Matcher m = USE_WITH.matcher(intent);
    int from = 0;
    while (m.find(from)) {
      int end = objectEnd(intent, m.end());
      if (end < 0 || !offered.contains(m.group(1))) return List.of();
      try {
        out.add(new ToolCall("call_" + (out.size() + 1), m.group(1), Json.parse(intent.substring(m.end(), end))));
      } catch (RuntimeException notJson) {
        return List.of();
      }
      from = end;
    }
    return out;
  }

  /** The index after the JSON object that starts at {@code start}, or -1. */
  private static int objectEnd(String text, int start) {
    int depth = 0;
    boolean inString = false;
    for (int i = start; i < text.length(); i++) {
      char c = text.charAt(i);
      if (inString) {
        if (c == '\\') i++;
        else if (c == '"') inString = false;
      } else if (c == '"') {
        inString = true;
      } else if (c == '{') {
        depth++;
      } else if (c == '}' && --depth == 0) {
        return i + 1;
      }
    }
    return -1;
  }

  /** The next turn of a fan-out: {@code tools} calculator calls while fewer than {@code steps} turns have run. */
  private static Turn fanOutTurn(List<ChatMessage> sinceIntent, int steps, int tools) {
    int turns = (int) sinceIntent.stream().filter(m -> m.role() == ChatMessage.Role.ASSISTANT && !m.toolCalls().isEmpty()).count();
    if (turns >= steps) {
      return Turn.text("Done: " + steps + " steps of " + tools + " tool calls.");
    }
    List<ToolCall> calls = new ArrayList<>();
    for (int i = 1; i <= tools; i++) {
      calls.add(new ToolCall("call_" + (turns + 1) + "_" + i, ToolNames.CALCULATOR,
          Json.object().put("expression", (turns + 1) + " * " + i)));
    }
    return new Turn("", calls);
  }

  private static List<ToolCall> toCalls(List<IntentParser.Ask> asks) {
    Set<String> seen = new LinkedHashSet<>();
    List<ToolCall> calls = new ArrayList<>();
    for (IntentParser.Ask ask : asks) {
      if (ask.matched() && seen.add(ask.kind().tool + ask.arguments())) {
        calls.add(new ToolCall("call_" + (calls.size() + 1), ask.kind().tool, ask.arguments()));
      }
    }
    return calls;
  }

  static boolean isGuardrailFeedback(ChatMessage m) {
    return m.role() == ChatMessage.Role.USER && m.content().stripLeading().startsWith(GUARDRAIL_PREFIX);
  }
}
