package io.troupe.core.session;

import io.troupe.core.agent.AgentSpec;
import io.troupe.core.llm.ChatMessage;
import io.troupe.core.llm.ChatRequest;
import io.troupe.core.llm.TokenEstimate;
import io.troupe.core.llm.ToolCall;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Deque;
import java.util.List;

/**
 * The part of a session's history that a new intent sees: its agent's memory (DESIGN.md §5,
 * {@code memory { max-tokens, summarize }}). Pure functions, no actor in them; the session entity
 * calls {@link #select} when a run starts.
 *
 * <ul>
 *   <li>{@code max-tokens = 0}: the last {@code troupe.agent.history-messages} messages, as before
 *       memory had a token bound (never starting on a tool result whose call is cut off).
 *   <li>{@code max-tokens = N}: the newest <em>whole turns</em> whose estimated tokens
 *       ({@link TokenEstimate}) fit in N. A turn begins at a user message and runs to the next one,
 *       so a tool call is never split from its result and the window never begins with a tool
 *       result. A newest turn larger than N alone leaves the window empty.
 *   <li>{@code summarize = true}: a quarter of N is kept for a summary of the older turns
 *       ({@link #summaryReserve}); the turns get the rest. The turns that fell out of the window and
 *       that no summary covers yet are returned as {@link Selection#toSummarize()}; the summary is
 *       one system message put before the window ({@link #summaryMessage}).
 * </ul>
 */
public final class HistoryWindow {

  private HistoryWindow() {}

  /**
   * What a new intent sees.
   *
   * @param window the messages it sees, the summary message first when there is one
   * @param toSummarize turns that fell out of the window and are in no summary yet (empty: none)
   * @param through the absolute index (see {@link SessionState#historyBase}) where a summary of
   *     {@code toSummarize} would end: the window's first message
   */
  public record Selection(List<ChatMessage> window, List<ChatMessage> toSummarize, long through) {
    public boolean needsSummary() {
      return !toSummarize.isEmpty();
    }
  }

  /**
   * The window of {@code history} for an agent's {@code memory}.
   *
   * @param base the absolute index of {@code history.get(0)} (messages dropped from the front before it)
   * @param summary the session's summary of older turns, or null
   * @param summarizedThrough the absolute index where that summary ends
   * @param historyMessages {@code troupe.agent.history-messages}, the bound when {@code max-tokens} is 0
   */
  public static Selection select(List<ChatMessage> history, long base, String summary, long summarizedThrough,
      AgentSpec.Memory memory, int historyMessages) {
    if (memory == null || memory.maxTokens() <= 0) {
      int from = startByMessages(history, historyMessages);
      return new Selection(List.copyOf(history.subList(from, history.size())), List.of(), base + from);
    }
    boolean summarize = memory.summarize();
    long budget = memory.maxTokens() - (summarize ? summaryReserve(memory) : 0);
    int from = start(history, budget);
    List<ChatMessage> toSummarize = List.of();
    if (summarize) {
      long coveredAt = summarizedThrough - base;
      int covered = coveredAt <= 0 ? 0 : (int) Math.min(coveredAt, history.size());
      if (summary != null && covered > from) {
        // The summary already holds turns the budget would show: they are not shown twice.
        from = covered;
        while (from < history.size() && history.get(from).role() != ChatMessage.Role.USER) from++;
      } else if (covered < from) {
        toSummarize = List.copyOf(history.subList(covered, from));
      }
    }
    List<ChatMessage> window = new ArrayList<>(history.size() - from + 1);
    if (summarize && summary != null && !summary.isBlank()) window.add(summaryMessage(summary));
    window.addAll(history.subList(from, history.size()));
    return new Selection(List.copyOf(window), toSummarize, base + from);
  }

  /**
   * Where the newest whole turns of {@code history} that fit in {@code maxTokens} begin
   * ({@code history.size()} when not even the newest fits). Messages before the first user message
   * (the tail of a turn cut off earlier) are never in the window.
   */
  public static int start(List<ChatMessage> history, long maxTokens) {
    long used = 0;
    int from = history.size();
    for (int i = history.size() - 1; i >= 0; i--) {
      used += TokenEstimate.of(history.get(i));
      if (history.get(i).role() == ChatMessage.Role.USER) {
        if (used > maxTokens) break;
        from = i;
      }
    }
    return from;
  }

  /** The last {@code maxMessages} messages, never starting on a tool result whose call is cut off. */
  public static int startByMessages(List<ChatMessage> history, int maxMessages) {
    int from = Math.max(0, history.size() - Math.max(0, maxMessages));
    while (from < history.size() && history.get(from).role() == ChatMessage.Role.TOOL) from++;
    return from;
  }

  /** The tokens of {@code max-tokens} kept for the summary when {@code summarize} is on: a quarter. */
  public static long summaryReserve(AgentSpec.Memory memory) {
    return memory.summarize() ? Math.max(1, memory.maxTokens() / 4) : 0;
  }

  /**
   * Whether {@code messages} is a valid history: every assistant message with tool calls is followed
   * by exactly one result for each call, in call order, and no tool result stands anywhere else.
   */
  public static boolean isValid(List<ChatMessage> messages) {
    Deque<String> open = new ArrayDeque<>();
    for (ChatMessage m : messages) {
      if (m.role() == ChatMessage.Role.TOOL) {
        if (open.isEmpty() || !open.pollFirst().equals(m.toolCallId())) return false;
        continue;
      }
      if (!open.isEmpty()) return false;
      if (m.role() == ChatMessage.Role.ASSISTANT) {
        for (ToolCall c : m.toolCalls()) open.addLast(c.id());
      }
    }
    return open.isEmpty();
  }

  /**
   * The session's history bound (what {@link SessionState} keeps): the most tokens any agent may see,
   * 0 when every agent is bound by messages only.
   */
  public static long retainTokens(Collection<AgentSpec> agents) {
    long max = 0;
    for (AgentSpec a : agents) max = Math.max(max, a.memory().maxTokens());
    return max;
  }

  // The summary

  static final String SUMMARY_PREFIX = "Summary of the earlier conversation (older turns, summarised):\n";

  /** The summary as the model sees it: one system message before the window. */
  public static ChatMessage summaryMessage(String summary) {
    return ChatMessage.system(SUMMARY_PREFIX + summary);
  }

  static final String SUMMARIZER_PROMPT = "You keep the memory of a conversation between a user and an assistant. "
      + "Summarise it for the assistant: facts, names, numbers, decisions, what the user wants and prefers, and "
      + "what is still open. Merge it with the summary so far, if there is one. Write plain prose in at most about "
      + "%d words. Output only the summary.";

  /** Characters of one message that the summariser reads at most. */
  static final int MAX_CHARS_PER_MESSAGE = 4000;

  /**
   * The request that summarises {@code dropped} (and the summary so far) with the agent's own model:
   * no tools, no stream, at most {@link #summaryReserve} output tokens.
   */
  public static ChatRequest summaryRequest(AgentSpec.Model model, AgentSpec.Memory memory, String previous,
      List<ChatMessage> dropped, String traceparent) {
    long reserve = summaryReserve(memory);
    String system = String.format(java.util.Locale.ROOT, SUMMARIZER_PROMPT, Math.max(20, reserve * 3 / 4));
    StringBuilder user = new StringBuilder();
    if (previous != null && !previous.isBlank()) user.append("The summary so far:\n").append(previous).append("\n\n");
    user.append("The conversation to add to it:\n").append(render(dropped));
    return new ChatRequest(model == null || model.name().isBlank() ? null : model.name(),
        List.of(ChatMessage.system(system), ChatMessage.user(user.toString())), List.of(),
        (int) Math.min(Integer.MAX_VALUE, reserve), false, traceparent, model == null ? null : model.provider(),
        model == null ? null : model.temperature(), null);
  }

  /** Messages as plain text lines for the summariser: a tool call and its result cannot be split there. */
  static String render(List<ChatMessage> messages) {
    StringBuilder out = new StringBuilder();
    for (ChatMessage m : messages) {
      switch (m.role()) {
        case TOOL -> out.append("tool ").append(m.name() == null ? "" : m.name()).append(" returned: ")
            .append(clip(m.content())).append('\n');
        case ASSISTANT -> {
          if (!m.content().isBlank()) out.append("assistant: ").append(clip(m.content())).append('\n');
          for (ToolCall c : m.toolCalls()) {
            out.append("assistant called ").append(c.name()).append('(')
                .append(clip(c.arguments() == null ? "" : c.arguments().toString())).append(")\n");
          }
        }
        default -> out.append(m.role().name().toLowerCase(java.util.Locale.ROOT)).append(": ")
            .append(clip(m.content())).append('\n');
      }
    }
    return out.toString();
  }

  private static String clip(String text) {
    return text.length() <= MAX_CHARS_PER_MESSAGE ? text : text.substring(0, MAX_CHARS_PER_MESSAGE) + " […]";
  }
}
