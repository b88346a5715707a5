package io.troupe.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.AsyncAppender;
import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.joran.JoranConfigurator;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.LoggingEvent;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.encoder.Encoder;
import ch.qos.logback.core.status.Status;
import io.troupe.node.logging.ConsoleEncoder;
import com.fasterxml.jackson.databind.JsonNode;
import io.troupe.core.json.Json;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The node's logback.xml: TROUPE_LOG_FORMAT picks text or JSON lines, and both carry the intent's ids. */
class LogFormatTest {

  private static LoggerContext configured(String format) throws Exception {
    LoggerContext context = new LoggerContext();
    if (format != null) context.putProperty("TROUPE_LOG_FORMAT", format); // as the environment variable would
    JoranConfigurator configurator = new JoranConfigurator();
    configurator.setContext(context);
    URL config = LogFormatTest.class.getClassLoader().getResource("logback.xml");
    configurator.doConfigure(config);
    return context;
  }

  /** The console's encoder, which must have picked {@code format}. */
  @SuppressWarnings("unchecked")
  private static Encoder<ILoggingEvent> encoderOf(LoggerContext context, String format) {
    AsyncAppender async = (AsyncAppender) context.getLogger(Logger.ROOT_LOGGER_NAME).getAppender("ASYNC");
    ConsoleAppender<ILoggingEvent> console = (ConsoleAppender<ILoggingEvent>) async.getAppender("CONSOLE");
    ConsoleEncoder encoder = assertInstanceOf(ConsoleEncoder.class, console.getEncoder());
    assertEquals(format, encoder.format());
    return encoder;
  }

  /** Logback warns (and then prints its whole status at start) about e.g. an appender no logger uses. */
  private static void assertNoWarnings(LoggerContext context) {
    assertTrue(context.getStatusManager().getCopyOfStatusList().stream().allMatch(s -> s.getLevel() < Status.WARN),
        () -> context.getStatusManager().getCopyOfStatusList().toString());
  }

  private static LoggingEvent event(LoggerContext context, Map<String, String> mdc) {
    Logger logger = context.getLogger("io.troupe.core.session.SessionEntity");
    LoggingEvent e = new LoggingEvent("x", logger, Level.INFO, "intent {} was running", null, new Object[] {"s-1.1"});
    e.setMDCPropertyMap(mdc);
    return e;
  }

  private static final Map<String, String> ABOUT_AN_INTENT = Map.of("tenant", "acme", "sessionId", "acme~s-1",
      "intentId", "acme~s-1.1", "traceId", "0123456789abcdef0123456789abcdef", "spanId", "0123456789abcdef");

  @Test
  void textIsTheDefaultAndNamesTheIntentWhenTheLineIsAboutOne() throws Exception {
    LoggerContext context = configured(null);
    try {
      assertNoWarnings(context);
      Encoder<ILoggingEvent> text = encoderOf(context, "text");
      String line = new String(text.encode(event(context, ABOUT_AN_INTENT)), StandardCharsets.UTF_8);
      assertTrue(line.contains("[intent=acme~s-1.1 trace=0123456789abcdef0123456789abcdef span=0123456789abcdef]"), line);
      assertTrue(line.endsWith("- intent s-1.1 was running" + System.lineSeparator()), line);
      String plain = new String(text.encode(event(context, Map.of())), StandardCharsets.UTF_8);
      assertFalse(plain.contains("[intent="), plain);
      assertTrue(plain.contains("SessionEntity - intent s-1.1 was running"), plain);
    } finally {
      context.stop();
    }
  }

  @Test
  void anUnknownFormatIsText() throws Exception {
    LoggerContext context = configured("yaml");
    try {
      encoderOf(context, "text");
    } finally {
      context.stop();
    }
  }

  @Test
  void jsonLinesCarryTheMdc() throws Exception {
    LoggerContext context = configured("JSON");
    try {
      assertNoWarnings(context);
      Encoder<ILoggingEvent> encoder = encoderOf(context, "json");
      String line = new String(encoder.encode(event(context, ABOUT_AN_INTENT)), StandardCharsets.UTF_8);
      assertEquals(1, line.strip().lines().count(), line);
      JsonNode json = Json.parse(line);
      assertEquals("INFO", json.get("level").asText());
      assertEquals("intent s-1.1 was running", json.get("formattedMessage").asText());
      assertEquals("acme~s-1.1", json.at("/mdc/intentId").asText());
      assertEquals("0123456789abcdef0123456789abcdef", json.at("/mdc/traceId").asText());
      assertEquals("0123456789abcdef", json.at("/mdc/spanId").asText());
      assertEquals("acme", json.at("/mdc/tenant").asText());
      assertTrue(json.get("timestamp").isNumber());
    } finally {
      context.stop();
    }
  }
}
