package io.troupe.node.logging;

import ch.qos.logback.classic.encoder.JsonEncoder;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.encoder.Encoder;
import ch.qos.logback.core.encoder.EncoderBase;

/**
 * The console's encoder: Logback's {@link JsonEncoder} when {@link LogFormat} says {@code json}
 * (one object per line, the MDC included), else a {@link PatternLayoutEncoder} with
 * {@link #setPattern the pattern}. One appender, so that Logback has no unreferenced one to warn
 * about at start.
 */
public final class ConsoleEncoder extends EncoderBase<ILoggingEvent> {
  private String pattern = "%d{HH:mm:ss.SSS} %-5level %logger{24} - %msg%n";
  private Encoder<ILoggingEvent> delegate;
  private String format;

  public void setPattern(String pattern) {
    this.pattern = pattern;
  }

  /** {@code json} or {@code text}, once started. */
  public String format() {
    return format;
  }

  @Override
  public void start() {
    format = LogFormat.current(getContext());
    if (format.equals("json")) {
      JsonEncoder json = new JsonEncoder();
      json.setWithSequenceNumber(false);
      json.setWithNanoseconds(false);
      json.setWithContext(false);
      json.setWithMessage(false);
      json.setWithArguments(false);
      json.setWithFormattedMessage(true);
      json.setContext(getContext());
      delegate = json;
    } else {
      PatternLayoutEncoder text = new PatternLayoutEncoder();
      text.setPattern(pattern);
      text.setContext(getContext());
      delegate = text;
    }
    delegate.start();
    super.start();
  }

  @Override
  public void stop() {
    if (delegate != null) delegate.stop();
    super.stop();
  }

  @Override
  public byte[] headerBytes() {
    return delegate.headerBytes();
  }

  @Override
  public byte[] encode(ILoggingEvent event) {
    return delegate.encode(event);
  }

  @Override
  public byte[] footerBytes() {
    return delegate.footerBytes();
  }
}
