package io.troupe.core.llm;

import java.util.List;

/**
 * An estimate of how many tokens messages take, without a tokenizer: about four characters of
 * English text per token (the rule of thumb of OpenAI's and Anthropic's tokenizers), rounded up,
 * plus {@value #PER_MESSAGE} tokens of framing per message (role and separators). A tool call counts
 * its name and its arguments' JSON; a tool result its tool name.
 *
 * <p>It errs a little high for English prose and low for code, CJK text or dense JSON. Memory bounds
 * built on it ({@code memory.max-tokens}) are therefore approximate; this is the one place to put a
 * real tokenizer.
 */
public final class TokenEstimate {

  /** Tokens of framing per message. */
  public static final int PER_MESSAGE = 4;

  private TokenEstimate() {}

  /** Tokens of {@code chars} characters of text: chars / 4, rounded up. */
  public static long ofChars(long chars) {
    return (chars + 3) / 4;
  }

  /** Tokens of one text. */
  public static long of(String text) {
    return text == null ? 0 : ofChars(text.length());
  }

  /** Tokens of one message. */
  public static long of(ChatMessage m) {
    long chars = m.content().length();
    for (ToolCall c : m.toolCalls()) {
      chars += (c.name() == null ? 0 : c.name().length()) + (c.arguments() == null ? 0 : c.arguments().toString().length());
    }
    if (m.name() != null) chars += m.name().length();
    return PER_MESSAGE + ofChars(chars);
  }

  /** Tokens of messages. */
  public static long of(List<ChatMessage> messages) {
    long total = 0;
    for (ChatMessage m : messages) total += of(m);
    return total;
  }
}
