package io.troupe.llm.fake;

import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.fail;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.troupe.llm.LlmException;
import java.util.List;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.slf4j.LoggerFactory;

/** Helpers shared by the provider tests: config over the fake server, waiting, failures, log capture. */
public final class ProviderTests {
  private ProviderTests() {}

  /** {@code troupe.llm} with the given HOCON on top of the module's defaults. */
  public static Config llm(String hocon) {
    return ConfigFactory.parseString(hocon).withFallback(ConfigFactory.defaultReference().getConfig("troupe.llm")).resolve();
  }

  public static <T> T await(CompletionStage<T> stage) throws Exception {
    try {
      return stage.toCompletableFuture().get(10, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      throw new AssertionError("the call failed: " + e.getCause(), e.getCause());
    }
  }

  /** The LlmException the stage failed with. */
  public static LlmException failure(CompletionStage<?> stage) throws Exception {
    try {
      Object value = stage.toCompletableFuture().get(10, TimeUnit.SECONDS);
      return fail("expected a failure, got " + value);
    } catch (ExecutionException e) {
      return assertInstanceOf(LlmException.class, e.getCause(), "cause: " + e.getCause());
    }
  }

  /** Runs {@code body} with every log event at DEBUG and above captured, and returns the events. */
  public static List<ILoggingEvent> captureLogs(ThrowingRunnable body) throws Exception {
    Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    Level before = root.getLevel();
    ListAppender<ILoggingEvent> appender = new ListAppender<>();
    appender.start();
    root.addAppender(appender);
    root.setLevel(Level.DEBUG);
    try {
      body.run();
    } finally {
      root.setLevel(before);
      root.detachAppender(appender);
    }
    return List.copyOf(appender.list);
  }

  /** Every text of an event that could carry a secret: message, arguments, throwable chain. */
  public static String everything(ILoggingEvent e) {
    StringBuilder out = new StringBuilder(e.getFormattedMessage());
    for (var p = e.getThrowableProxy(); p != null; p = p.getCause()) {
      out.append(' ').append(p.getMessage());
    }
    return out.toString();
  }

  @FunctionalInterface
  public interface ThrowingRunnable {
    void run() throws Exception;
  }
}
