package io.troupe.otel;

import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import java.util.Collection;
import java.util.function.LongConsumer;

/** The SDK's exporter, counting the spans of each batch the collector took and of each it did not. */
final class CountingExporter implements SpanExporter {
  private final SpanExporter delegate;
  private final LongConsumer exported;
  private final LongConsumer failed;

  CountingExporter(SpanExporter delegate, LongConsumer exported, LongConsumer failed) {
    this.delegate = delegate;
    this.exported = exported;
    this.failed = failed;
  }

  @Override
  public CompletableResultCode export(Collection<SpanData> spans) {
    int n = spans.size();
    CompletableResultCode result;
    try {
      result = delegate.export(spans);
    } catch (RuntimeException e) {
      failed.accept(n);
      return CompletableResultCode.ofFailure();
    }
    result.whenComplete(() -> {
      if (result.isSuccess()) exported.accept(n);
      else failed.accept(n);
    });
    return result;
  }

  @Override
  public CompletableResultCode flush() {
    return delegate.flush();
  }

  @Override
  public CompletableResultCode shutdown() {
    return delegate.shutdown();
  }

  @Override
  public String toString() {
    return "CountingExporter{" + delegate + "}";
  }
}
