package io.troupe.llm.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.util.ByteString;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

class SseParserTest {
  static final ActorTestKit testKit = ActorTestKit.create();

  @AfterAll
  static void shutdown() {
    testKit.shutdownTestKit();
  }

  static List<SseEvent> parse(List<ByteString> chunks) {
    SseParser parser = new SseParser(1 << 20);
    List<SseEvent> out = new ArrayList<>();
    for (ByteString c : chunks) {
      out.addAll(parser.feed(c));
    }
    return out;
  }

  static List<SseEvent> parseByteByByte(String body) {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    List<ByteString> chunks = new ArrayList<>();
    for (byte b : bytes) {
      chunks.add(ByteString.fromArray(new byte[] {b}));
    }
    return parse(chunks);
  }

  @Test
  void parsesEventsDataAndIdsWhateverTheChunking() {
    String body = "event: message_start\ndata: {\"a\":1}   \n\n"
        + ": a comment\n"
        + "data: line one\r\ndata:line two\r\nid: 7\r\n\r\n"
        + "event: ping\rdata: {\"type\": \"ping\"}\r\r"
        + "data: wörld ✓\n\n"
        + "retry: 1000\nunknown: x\ndata: [DONE]\n\n"
        + "data: cut before its blank line\n";
    List<SseEvent> expected = List.of(
        new SseEvent("message_start", "{\"a\":1}   ", null),
        new SseEvent("message", "line one\nline two", "7"),
        new SseEvent("ping", "{\"type\": \"ping\"}", "7"), // the last event id carries over, as the spec says
        new SseEvent("message", "wörld ✓", "7"),
        new SseEvent("message", "[DONE]", "7"));

    assertEquals(expected, parse(List.of(ByteString.fromString(body))));
    assertEquals(expected, parseByteByByte(body));
  }

  @Test
  void anEventWithoutDataIsNotDispatched() {
    assertEquals(List.of(), parse(List.of(ByteString.fromString("event: lonely\n\n"))));
  }

  @Test
  void anOversizedEventFails() {
    SseParser parser = new SseParser(16);
    assertThrows(IllegalStateException.class, () -> parser.feed(ByteString.fromString("data: 0123456789abcdefghij")));
  }

  @Test
  void worksAsAFlow() throws Exception {
    List<SseEvent> events = Source.from(List.of("da", "ta: 1\n", "\ndata: 2\n\n"))
        .map(ByteString::fromString)
        .via(SseParser.flow(1024))
        .runWith(Sink.seq(), testKit.system())
        .toCompletableFuture().get(5, TimeUnit.SECONDS);
    assertEquals(List.of("1", "2"), events.stream().map(SseEvent::data).toList());
  }
}
