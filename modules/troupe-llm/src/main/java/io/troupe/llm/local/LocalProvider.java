package io.troupe.llm.local;

import com.typesafe.config.Config;
import io.troupe.core.llm.ChatDelta;
import io.troupe.core.json.Json;
import io.troupe.core.llm.ChatMessage;
import io.troupe.core.llm.ChatRequest;
import io.troupe.core.llm.ChatResponse;
import io.troupe.core.llm.FinishReason;
import io.troupe.core.llm.LlmProvider;
import io.troupe.core.llm.ToolCall;
import io.troupe.core.llm.ToolSpec;
import io.troupe.core.llm.Usage;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Consumer;
import org.apache.pekko.actor.Scheduler;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.pattern.Patterns;
import scala.concurrent.ExecutionContext;

/**
 * The {@code local} provider: a deterministic, rule-based planner that stands in for a language
 * model so that a node does real work offline and tests are repeatable. <b>It is not a language
 * model</b>: it understands a handful of request shapes (arithmetic, the time in a zone, document
 * search, simple questions about the demo tables), splits a request on "and", "?" and ";", calls
 * the offered tools that fit, and writes the answer from their results with fixed sentences.
 *
 * <p>With an output schema in the request it answers JSON valid against it ({@link StructuredAnswer}).
 *
 * <p>It never blocks: the simulated latency ({@code troupe.llm.local.latency}) runs on the Pekko
 * scheduler. When the request streams, the answer goes out as word-group deltas, and tool calls as
 * fragments of their argument JSON, before the returned stage completes.
 */
public final class LocalProvider implements LlmProvider {
  public static final String NAME = "local";

  private final LocalSettings settings;
  private final Scheduler scheduler;
  private final ExecutionContext executionContext;
  private final LocalPlanner planner;

  /** Built by the gateway from {@code troupe.llm}, on the system's scheduler and dispatcher. */
  public static LocalProvider create(ActorSystem<?> system, Config llm) {
    return new LocalProvider(
        LocalSettings.fromConfig(llm.getConfig("local")), system.classicSystem().scheduler(), system.executionContext());
  }

  public LocalProvider(LocalSettings settings, Scheduler scheduler, ExecutionContext executionContext) {
    this.settings = settings;
    this.scheduler = scheduler;
    this.executionContext = executionContext;
    this.planner = new LocalPlanner(settings);
  }

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public CompletionStage<ChatResponse> chat(ChatRequest request, Consumer<ChatDelta> onDelta) {
    if (settings.latency().isZero() || settings.latency().isNegative()) {
      return respond(request, onDelta);
    }
    return Patterns.after(settings.latency(), scheduler, executionContext, () -> respond(request, onDelta));
  }

  private CompletionStage<ChatResponse> respond(ChatRequest request, Consumer<ChatDelta> onDelta) {
    try {
      return CompletableFuture.completedFuture(turn(request, onDelta));
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  private ChatResponse turn(ChatRequest request, Consumer<ChatDelta> onDelta) {
    LocalPlanner.Turn turn = planner.next(request);
    ChatMessage message;
    FinishReason finish;
    if (!turn.calls().isEmpty()) {
      message = ChatMessage.assistantToolCalls("", turn.calls());
      finish = FinishReason.TOOL_CALLS;
    } else {
      String text = turn.text();
      finish = FinishReason.STOP;
      if (request.maxOutputTokens() > 0 && tokens(text.length()) > request.maxOutputTokens()) {
        text = text.substring(0, request.maxOutputTokens() * 4);
        finish = FinishReason.LENGTH;
      }
      if (request.output() != null) {
        // An agent with an output schema: the answer, filled into the schema's shape.
        text = StructuredAnswer.fill(request.output().schema(), text);
        finish = FinishReason.STOP;
      }
      message = ChatMessage.assistant(text);
    }
    if (request.stream()) {
      stream(message, onDelta);
    }
    Usage usage = new Usage(inputTokens(request), outputTokens(message));
    String model = request.model() == null || request.model().isBlank() ? settings.model() : request.model();
    return new ChatResponse(message, usage, finish, model, NAME);
  }

  private void stream(ChatMessage message, Consumer<ChatDelta> onDelta) {
    List<ToolCall> calls = message.toolCalls();
    for (int i = 0; i < calls.size(); i++) {
      ToolCall call = calls.get(i);
      String args = call.arguments() == null ? "{}" : call.arguments().toString();
      int half = args.length() / 2;
      onDelta.accept(new ChatDelta(null, i, call.id(), call.name(), args.substring(0, half)));
      onDelta.accept(new ChatDelta(null, i, null, null, args.substring(half)));
    }
    for (String fragment : fragments(message.content(), settings.streamChunkWords())) {
      onDelta.accept(ChatDelta.text(fragment));
    }
  }

  /** Word groups whose concatenation is exactly {@code text}. */
  static List<String> fragments(String text, int wordsPerFragment) {
    List<String> out = new ArrayList<>();
    String[] words = text.split("(?<=\\s)(?=\\S)");
    StringBuilder current = new StringBuilder();
    int count = 0;
    for (String word : words) {
      current.append(word);
      if (++count == wordsPerFragment) {
        out.add(current.toString());
        current.setLength(0);
        count = 0;
      }
    }
    if (current.length() > 0) {
      out.add(current.toString());
    }
    return out;
  }

  private static long inputTokens(ChatRequest request) {
    long chars = 0;
    for (ChatMessage m : request.messages()) {
      chars += m.content().length() + 4;
      for (ToolCall call : m.toolCalls()) {
        chars += call.name().length() + (call.arguments() == null ? 0 : Json.compactLength(call.arguments()));
      }
    }
    for (ToolSpec tool : request.tools()) {
      chars += tool.name().length() + (tool.description() == null ? 0 : tool.description().length())
          + (tool.parameters() == null ? 0 : Json.compactLength(tool.parameters()));
    }
    return tokens(chars);
  }

  private static long outputTokens(ChatMessage message) {
    long chars = message.content().length();
    for (ToolCall call : message.toolCalls()) {
      chars += call.id().length() + call.name().length() + Json.compactLength(call.arguments());
    }
    return tokens(chars);
  }

  /** About four characters a token, at least one. */
  private static long tokens(long chars) {
    return Math.max(1, (chars + 3) / 4);
  }
}
