package io.troupe.llm.http;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.apache.pekko.NotUsed;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.util.ByteString;

/**
 * Parses a {@code text/event-stream} body as it arrives, in chunks cut anywhere (even inside a
 * UTF-8 character). Follows the WHATWG rules: {@code field: value} lines, one optional space
 * after the colon, comments start with {@code :}, a blank line ends an event, lines end with LF,
 * CR or CRLF. An event not ended by a blank line when the body ends is dropped, as the spec says;
 * providers detect the missing end of their protocol themselves. Not thread-safe: one per stream.
 */
public final class SseParser {
  private final int maxEventBytes;
  private ByteString pending = ByteString.emptyByteString();
  private final StringBuilder data = new StringBuilder();
  private boolean hasData;
  private String event;
  private String id;
  private int eventBytes;
  private boolean skipLf; // the previous chunk ended with CR: a leading LF belongs to it

  public SseParser(int maxEventBytes) {
    this.maxEventBytes = maxEventBytes;
  }

  /** A flow from body bytes to events; fails when one event exceeds {@code maxEventBytes}. */
  public static Flow<ByteString, SseEvent, NotUsed> flow(int maxEventBytes) {
    return Flow.<ByteString>create().statefulMapConcat(() -> {
      SseParser parser = new SseParser(maxEventBytes);
      return parser::feed;
    });
  }

  /** The events completed by this chunk. */
  public List<SseEvent> feed(ByteString chunk) {
    List<SseEvent> out = new ArrayList<>(2);
    ByteString buf = pending.concat(chunk);
    int start = 0;
    int n = buf.size();
    if (skipLf && n > 0 && buf.apply(0) == '\n') {
      start = 1;
    }
    skipLf = false;
    for (int i = start; i < n; i++) {
      byte b = buf.apply(i);
      if (b == '\n' || b == '\r') {
        line(buf.slice(start, i).decodeString(StandardCharsets.UTF_8), out);
        if (b == '\r') {
          if (i + 1 < n) {
            if (buf.apply(i + 1) == '\n') {
              i++;
            }
          } else {
            skipLf = true;
          }
        }
        start = i + 1;
      }
    }
    pending = buf.drop(start);
    if (pending.size() + eventBytes > maxEventBytes) {
      throw new IllegalStateException("an SSE event exceeds " + maxEventBytes + " bytes");
    }
    return out;
  }

  private void line(String line, List<SseEvent> out) {
    if (line.isEmpty()) {
      if (hasData) {
        out.add(new SseEvent(event == null || event.isEmpty() ? "message" : event, data.toString(), id));
      }
      data.setLength(0);
      hasData = false;
      event = null;
      eventBytes = 0;
      return;
    }
    eventBytes += line.length();
    if (eventBytes > maxEventBytes) {
      throw new IllegalStateException("an SSE event exceeds " + maxEventBytes + " bytes");
    }
    if (line.charAt(0) == ':') {
      return; // comment, e.g. a keep-alive
    }
    int colon = line.indexOf(':');
    String field = colon < 0 ? line : line.substring(0, colon);
    String value = colon < 0 ? "" : line.substring(colon + 1);
    if (value.startsWith(" ")) {
      value = value.substring(1);
    }
    switch (field) {
      case "data" -> {
        if (hasData) {
          data.append('\n');
        }
        data.append(value);
        hasData = true;
      }
      case "event" -> event = value;
      case "id" -> id = value;
      default -> { } // retry and unknown fields are ignored
    }
  }
}
