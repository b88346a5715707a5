package io.troupe.otel;

import com.sun.net.httpserver.HttpServer;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.resource.v1.Resource;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import io.opentelemetry.proto.trace.v1.Span;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.zip.GZIPInputStream;

/**
 * A real OTLP/HTTP trace receiver on loopback: {@code POST /v1/traces} with a protobuf
 * {@code ExportTraceServiceRequest}, decoded with the OTLP proto classes.
 */
public final class OtlpReceiver implements AutoCloseable {

  /** A received span with its resource's attributes. */
  public record Received(Span span, Resource resource) {
    public String traceId() {
      return HexFormat.of().formatHex(span.getTraceId().toByteArray());
    }

    public String spanId() {
      return HexFormat.of().formatHex(span.getSpanId().toByteArray());
    }

    /** Empty for a root span. */
    public String parentSpanId() {
      return HexFormat.of().formatHex(span.getParentSpanId().toByteArray());
    }

    public String name() {
      return span.getName();
    }

    public AnyValue attribute(String key) {
      return find(span.getAttributesList(), key);
    }

    public String string(String key) {
      AnyValue v = attribute(key);
      return v == null ? null : v.getStringValue();
    }

    public Long number(String key) {
      AnyValue v = attribute(key);
      return v == null ? null : v.getIntValue();
    }

    public String resourceString(String key) {
      AnyValue v = find(resource.getAttributesList(), key);
      return v == null ? null : v.getStringValue();
    }

    private static AnyValue find(List<KeyValue> attributes, String key) {
      for (KeyValue kv : attributes) {
        if (kv.getKey().equals(key)) return kv.getValue();
      }
      return null;
    }
  }

  private final HttpServer server;
  private final BlockingQueue<Received> spans = new LinkedBlockingQueue<>();
  private final List<Map<String, List<String>>> requestHeaders = new ArrayList<>();

  public OtlpReceiver() throws IOException {
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext("/v1/traces", exchange -> {
      try (exchange) {
        if (!"POST".equals(exchange.getRequestMethod())) {
          exchange.sendResponseHeaders(405, -1);
          return;
        }
        InputStream body = exchange.getRequestBody();
        if ("gzip".equalsIgnoreCase(exchange.getRequestHeaders().getFirst("Content-Encoding"))) {
          body = new GZIPInputStream(body);
        }
        ExportTraceServiceRequest request = ExportTraceServiceRequest.parseFrom(body.readAllBytes());
        synchronized (requestHeaders) {
          requestHeaders.add(Map.copyOf(exchange.getRequestHeaders()));
        }
        for (ResourceSpans rs : request.getResourceSpansList()) {
          for (ScopeSpans ss : rs.getScopeSpansList()) {
            ss.getSpansList().forEach(s -> spans.add(new Received(s, rs.getResource())));
          }
        }
        byte[] answer = ExportTraceServiceResponse.getDefaultInstance().toByteArray();
        exchange.getResponseHeaders().add("Content-Type", "application/x-protobuf");
        exchange.sendResponseHeaders(200, answer.length);
        exchange.getResponseBody().write(answer);
      }
    });
    server.start();
  }

  /** The endpoint to give the SDK ({@code OTEL_EXPORTER_OTLP_ENDPOINT}). */
  public String endpoint() {
    return "http://127.0.0.1:" + server.getAddress().getPort();
  }

  /** Spans received so far and until {@code done} holds of them, within {@code within}; fails otherwise. */
  public List<Received> awaitSpans(Predicate<List<Received>> done, Duration within) throws InterruptedException {
    List<Received> got = new ArrayList<>();
    long deadline = System.nanoTime() + within.toNanos();
    spans.drainTo(got);
    while (!done.test(got)) {
      long left = deadline - System.nanoTime();
      if (left <= 0) throw new AssertionError("the receiver got " + got.size() + " spans: " + names(got));
      Received r = spans.poll(left, TimeUnit.NANOSECONDS);
      if (r != null) got.add(r);
      spans.drainTo(got);
    }
    return got;
  }

  public static List<String> names(List<Received> spans) {
    return spans.stream().map(Received::name).toList();
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
