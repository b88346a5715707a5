package io.troupe.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.troupe.core.json.Json;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * A corpus of malformed and hostile requests against a real node, sent as raw bytes over a socket
 * so that nothing in a client library tidies them up. Each case is named; a failure names it.
 *
 * <p>What "reject" means here:
 * <ul>
 *   <li>Every case in {@link #rejected()} gets a 4xx with {@code {"error":{"code","message"}}}, a
 *       code of the contract, and a message with no stack trace or Java class name. Never a 5xx.
 *   <li>Duplicate keys are rejected (400), never last-wins: the parser runs with strict duplicate
 *       detection, so a proxy and the node cannot read two different intents from one body.
 *   <li>Direction overrides, zero-width and other invisible characters are rejected in ids
 *       (sessionId, document id, Idempotency-Key) but accepted in free text: the text is the
 *       user's. Free text still may not hold NUL or other control characters (bar tab, CR, LF) or
 *       unpaired surrogates, which no store keeps faithfully.
 *   <li>A bad item inside a batch is answered in-band, as the contract says: 200 with an error
 *       object in its place ({@link #rejectedPerItem()}).
 *   <li>A client that stalls mid-request is closed by the idle timeout (shortened here to
 *       {@value #IDLE_TIMEOUT_SECONDS}s) while the node keeps serving others.
 * </ul>
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class HostileRequestCorpusTest {
  static final int IDLE_TIMEOUT_SECONDS = 4;
  static final Set<String> KNOWN_CODES = Set.of("invalid_request", "not_found", "unauthorized", "forbidden",
      "payload_too_large", "unsupported_media_type", "rate_limited", "overloaded", "conflict", "unavailable",
      "internal");
  static final Pattern JAVA_LEAK = Pattern.compile(
      "\\b[a-z]+(\\.[a-z0-9_]+)+\\.[A-Z]\\w+|\\w+(Exception|Error)\\b|\\bat [a-z]+\\.|StreamRead|JsonParser");
  static final String INTENT = "{\"text\":\"What is 2 + 2?\",\"sessionId\":\"s-corpus\"}";
  static final String BATCH = "{\"intents\":[{\"text\":\"What is 2 + 2?\"}]}";
  static final String DOCUMENTS = "{\"documents\":[{\"id\":\"doc-1\",\"text\":\"Troupe runs agents.\"}]}";
  static final Map<String, String> VALID_BODIES =
      Map.of("/v1/intents", INTENT, "/v1/intents:batch", BATCH, "/v1/documents", DOCUMENTS);
  static final List<String> POST_ROUTES = List.of("/v1/intents", "/v1/intents:batch", "/v1/documents");

  @TempDir
  static Path dataDir;

  private TestNode node;
  private int port;

  @BeforeAll
  void start() throws Exception {
    node = TestNode.start(dataDir, Map.of("troupe.http.server.idle-timeout", IDLE_TIMEOUT_SECONDS + "s"));
    port = URI.create(node.base).getPort();
  }

  @AfterAll
  void stop() throws Exception {
    if (node != null) {
      node.close();
    }
  }

  /** One raw request and what it must get. */
  record Case(String name, byte[] request) {}

  // --- the corpus

  static List<Case> rejected() {
    List<Case> cases = new ArrayList<>();
    brokenJson(cases);
    deepAndHuge(cases);
    badEncodings(cases);
    invisibleCharactersInIds(cases);
    duplicateKeys(cases);
    wrongTypes(cases);
    badQueries(cases);
    oddIdsInPaths(cases);
    oversizedHeads(cases);
    wrongMethods(cases);
    wrongMediaTypes(cases);
    malformedFraming(cases);
    return cases;
  }

  private static void brokenJson(List<Case> cases) {
    for (String route : POST_ROUTES) {
      String valid = VALID_BODIES.get(route);
      // Every proper prefix of a JSON object is incomplete.
      for (int cut = 0; cut < valid.length(); cut += 2) {
        cases.add(post("truncated " + route + " at " + cut, route, valid.substring(0, cut)));
      }
      for (String broken : List.of("{'text':'hi'}", "{text:\"hi\"}", "{\"text\":\"hi\",}", "{\"text\":\"hi\"} x",
          "{\"text\":\"hi\"}{}", "{\"text\":\"hi\" /* c */}", "{\"text\":NaN}", "{\"text\":\"hi\\x\"}",
          "{\"text\":\"unterminated}", "[", "]", "}", "\"\"", "nul", "{\"text\"\"hi\"}", " ", "\n\n")) {
        cases.add(post("broken " + route + " " + broken.strip(), route, broken));
      }
    }
  }

  private static void deepAndHuge(List<Case> cases) {
    cases.add(post("100k [", "/v1/intents", "[".repeat(100_000)));
    cases.add(post("100k [ closed", "/v1/intents", "[".repeat(100_000) + "]".repeat(100_000)));
    cases.add(post("100k { in documents", "/v1/documents", "{\"a\":".repeat(100_000)));
    cases.add(post("65 levels in text", "/v1/intents", "{\"text\":" + "[".repeat(65) + "]".repeat(65) + "}"));
    cases.add(post("metadata 20 deep", "/v1/intents",
        "{\"text\":\"hi\",\"metadata\":" + "{\"a\":".repeat(20) + "1" + "}".repeat(20) + "}"));
    cases.add(post("metadata over 16k", "/v1/intents",
        "{\"text\":\"hi\",\"metadata\":{\"blob\":\"" + "x".repeat(20_000) + "\"}}"));
    cases.add(post("batch nested 100k", "/v1/intents:batch", "{\"intents\":" + "[".repeat(100_000)));
    cases.add(post("number of 10k digits", "/v1/intents", "{\"text\":\"hi\",\"metadata\":{\"n\":" + "9".repeat(10_000) + "}}"));
    cases.add(post("fraction of 10k digits", "/v1/intents", "{\"text\":0." + "1".repeat(10_000) + "}"));
    cases.add(post("exponent 1e999999999", "/v1/intents", "{\"text\":1e999999999}"));
    cases.add(post("text of 9000 characters", "/v1/intents", "{\"text\":\"" + "x".repeat(9000) + "\"}"));
    cases.add(post("text of 1.1 MB", "/v1/intents", "{\"text\":\"" + "x".repeat(1_100_000) + "\"}"));
    cases.add(post("key of 5000 characters", "/v1/intents", "{\"" + "k".repeat(5000) + "\":1,\"text\":\"hi\"}"));
    cases.add(post("batch of 101", "/v1/intents:batch",
        "{\"intents\":[" + String.join(",", java.util.Collections.nCopies(101, "{\"text\":\"hi\"}")) + "]}"));
    cases.add(post("1001 documents", "/v1/documents",
        "{\"documents\":[" + String.join(",", java.util.Collections.nCopies(1001, "{\"text\":\"hi\"}")) + "]}"));
    cases.add(raw("declared 17 MB", "POST /v1/documents HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
        + "Content-Type: application/json\r\nContent-Length: 17000000\r\n\r\n{\"documents\":["));
    cases.add(raw("declared 2 MB on intents", "POST /v1/intents HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
        + "Content-Type: application/json\r\nContent-Length: 2000000\r\n\r\n{\"text\":"));
  }

  private static void badEncodings(List<Case> cases) {
    Map<String, byte[]> invalid = new LinkedHashMap<>();
    invalid.put("0xFF", new byte[] {(byte) 0xFF});
    invalid.put("overlong NUL C0 80", new byte[] {(byte) 0xC0, (byte) 0x80});
    invalid.put("CESU surrogate ED A0 80", new byte[] {(byte) 0xED, (byte) 0xA0, (byte) 0x80});
    invalid.put("truncated E2 82", new byte[] {(byte) 0xE2, (byte) 0x82});
    invalid.put("lone continuation 80", new byte[] {(byte) 0x80});
    invalid.put("raw NUL", new byte[] {0});
    invalid.put("raw ESC", new byte[] {0x1B});
    for (var bytes : invalid.entrySet()) {
      cases.add(post("in text: " + bytes.getKey(), "/v1/intents", concat("{\"text\":\"a", bytes.getValue(), "b\"}")));
      cases.add(post("in key: " + bytes.getKey(), "/v1/intents", concat("{\"te", bytes.getValue(), "xt\":\"a\"}")));
      cases.add(post("in document: " + bytes.getKey(), "/v1/documents",
          concat("{\"documents\":[{\"text\":\"a", bytes.getValue(), "\"}]}")));
    }
    cases.add(post("raw NUL between tokens", "/v1/intents", concat("{\"text\":", new byte[] {0}, "\"a\"}")));
    for (String escaped : List.of("\\u0000", "\\u0007", "\\ud800", "\\udc00", "\\ud800x")) {
      cases.add(post("escaped " + escaped + " in text", "/v1/intents", "{\"text\":\"a" + escaped + "b\"}"));
      cases.add(post("escaped " + escaped + " in metadata", "/v1/intents",
          "{\"text\":\"a\",\"metadata\":{\"k\":\"" + escaped + "\"}}"));
      cases.add(post("escaped " + escaped + " in document text", "/v1/documents",
          "{\"documents\":[{\"text\":\"a" + escaped + "\"}]}"));
    }
  }

  private static void invisibleCharactersInIds(List<Case> cases) {
    for (String c : List.of("\\u202e", "\\u202d", "\\u2066", "\\u200b", "\\u200d", "\\ufeff", "\\u2028", "\\u0000")) {
      cases.add(post("sessionId with " + c, "/v1/intents", "{\"text\":\"hi\",\"sessionId\":\"s-" + c + "x\"}"));
      cases.add(post("document id with " + c, "/v1/documents",
          "{\"documents\":[{\"id\":\"doc" + c + "1\",\"text\":\"hi\"}]}"));
    }
    cases.add(post("sessionId of 65 characters", "/v1/intents", "{\"text\":\"hi\",\"sessionId\":\"" + "s".repeat(65) + "\"}"));
    cases.add(post("sessionId ../x", "/v1/intents", "{\"text\":\"hi\",\"sessionId\":\"../x\"}"));
    cases.add(post("sessionId with slash", "/v1/intents", "{\"text\":\"hi\",\"sessionId\":\"a/b\"}"));
    cases.add(post("sessionId empty", "/v1/intents", "{\"text\":\"hi\",\"sessionId\":\"\"}"));
    cases.add(post("sessionId unicode letters", "/v1/intents", "{\"text\":\"hi\",\"sessionId\":\"sеssion\"}"));
    cases.add(post("document id of 300 characters", "/v1/documents",
        "{\"documents\":[{\"id\":\"" + "d".repeat(300) + "\",\"text\":\"hi\"}]}"));
    cases.add(post("document id blank", "/v1/documents", "{\"documents\":[{\"id\":\"  \",\"text\":\"hi\"}]}"));
    cases.add(rawBytes("Idempotency-Key with U+202E", concat("POST /v1/intents HTTP/1.1\r\nHost: x\r\n"
        + "Connection: close\r\nContent-Type: application/json\r\nContent-Length: 13\r\nIdempotency-Key: k",
        "\u202e".getBytes(StandardCharsets.UTF_8), "1\r\n\r\n{\"text\":\"a\"}")));
    cases.add(raw("Idempotency-Key of 300 characters", "POST /v1/intents HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
        + "Content-Type: application/json\r\nContent-Length: 12\r\nIdempotency-Key: " + "k".repeat(300)
        + "\r\n\r\n{\"text\":\"a\"}"));
  }

  private static void duplicateKeys(List<Case> cases) {
    cases.add(post("duplicate text", "/v1/intents", "{\"text\":\"a\",\"text\":\"b\"}"));
    cases.add(post("duplicate sessionId", "/v1/intents", "{\"text\":\"a\",\"sessionId\":\"s-a\",\"sessionId\":\"s-b\"}"));
    cases.add(post("duplicate in metadata", "/v1/intents", "{\"text\":\"a\",\"metadata\":{\"k\":1,\"k\":2}}"));
    cases.add(post("duplicate intents", "/v1/intents:batch", "{\"intents\":[],\"intents\":[{\"text\":\"a\"}]}"));
    cases.add(post("duplicate in batch item", "/v1/intents:batch", "{\"intents\":[{\"text\":\"a\",\"text\":\"b\"}]}"));
    cases.add(post("duplicate documents", "/v1/documents", "{\"documents\":[],\"documents\":[]}"));
    cases.add(post("duplicate document id", "/v1/documents", "{\"documents\":[{\"id\":\"a\",\"id\":\"b\",\"text\":\"t\"}]}"));
  }

  private static final List<String> WRONG_VALUES = List.of("17", "1.5", "true", "null", "[]", "{}", "[\"a\"]");

  private static void wrongTypes(List<Case> cases) {
    for (String v : WRONG_VALUES) {
      cases.add(post("intent text = " + v, "/v1/intents", "{\"text\":" + v + "}"));
      if (!v.equals("null")) {
        cases.add(post("intent sessionId = " + v, "/v1/intents", "{\"text\":\"hi\",\"sessionId\":" + v + "}"));
      }
      if (!v.equals("null") && !v.equals("{}")) {
        cases.add(post("intent metadata = " + v, "/v1/intents", "{\"text\":\"hi\",\"metadata\":" + v + "}"));
      }
      cases.add(post("intents body = " + v, "/v1/intents", v));
      cases.add(post("batch body = " + v, "/v1/intents:batch", v));
      cases.add(post("documents body = " + v, "/v1/documents", v));
      if (!v.startsWith("[\"")) {
        cases.add(post("batch intents = " + v, "/v1/intents:batch", "{\"intents\":" + v + "}"));
        cases.add(post("documents = " + v, "/v1/documents", "{\"documents\":" + v + "}"));
        cases.add(post("document text = " + v, "/v1/documents", "{\"documents\":[{\"text\":" + v + "}]}"));
      }
      if (!v.equals("null")) {
        cases.add(post("document id = " + v, "/v1/documents", "{\"documents\":[{\"id\":" + v + ",\"text\":\"t\"}]}"));
      }
      if (!v.equals("null") && !v.equals("{}")) {
        cases.add(post("document metadata = " + v, "/v1/documents",
            "{\"documents\":[{\"text\":\"t\",\"metadata\":" + v + "}]}"));
      }
      if (!v.startsWith("{")) {
        cases.add(post("document item = " + v, "/v1/documents", "{\"documents\":[" + v + "]}"));
      }
    }
    cases.add(post("document metadata value object", "/v1/documents",
        "{\"documents\":[{\"text\":\"t\",\"metadata\":{\"a\":{\"b\":1}}}]}"));
    cases.add(post("intent text blank", "/v1/intents", "{\"text\":\"   \"}"));
    cases.add(post("document metadata blank key", "/v1/documents",
        "{\"documents\":[{\"text\":\"t\",\"metadata\":{\" \":\"v\"}}]}"));
    cases.add(post("document text NUL only", "/v1/documents", "{\"documents\":[{\"text\":\"\\u0000\"}]}"));
    cases.add(post("document text zero-width only", "/v1/documents", "{\"documents\":[{\"text\":\"\\u200b\\ufeff\"}]}"));
    cases.add(post("intent text zero-width only", "/v1/intents", "{\"text\":\"\\u200b\\u2060\"}"));
    for (String bad : List.of("\\ud800", "\\u0000")) {
      cases.add(post("document metadata value " + bad, "/v1/documents",
          "{\"documents\":[{\"text\":\"t\",\"metadata\":{\"k\":\"a" + bad + "\"}}]}"));
      cases.add(post("document metadata key " + bad, "/v1/documents",
          "{\"documents\":[{\"text\":\"t\",\"metadata\":{\"k" + bad + "\":\"v\"}}]}"));
      cases.add(post("document tag " + bad, "/v1/documents",
          "{\"documents\":[{\"text\":\"t\",\"metadata\":{\"tags\":[\"a" + bad + "\"]}}]}"));
    }
    cases.add(post("intent text missing", "/v1/intents", "{\"sessionId\":\"s-a\"}"));
  }

  private static void badQueries(List<Case> cases) {
    for (String q : List.of("wait=maybe", "timeoutMs=-1", "timeoutMs=abc", "timeoutMs=99999999999999999999",
        "timeoutMs=1e3", "wait=%ZZ", "wait=%00")) {
      cases.add(post("intents?" + q, "/v1/intents?" + q, "{\"text\":\"hi\"}"));
    }
    for (String q : List.of("k=0", "k=abc", "k=1000", "k=-5", "q=", "", "q=a&filter={bad", "q=a&filter=nocolon",
        "q=a&filter=%7B%22a%22%3A%7B%22b%22%3A1%7D%7D", "q=a&filter=" + "%5B".repeat(200), "q=%20%20",
        "q=a&filter=%3Ab", "q=a&filter=%7B%22a%22%3A%22b%22%2C%22a%22%3A%22c%22%7D", "q=a&k=%00")) {
      cases.add(get("search?" + q, "/v1/documents/search?" + q));
    }
    cases.add(post("documents?async=maybe", "/v1/documents?async=maybe", DOCUMENTS));
    cases.add(raw("Last-Event-ID not a number", "GET /v1/intents/s-a.1/events HTTP/1.1\r\nHost: x\r\n"
        + "Connection: close\r\nLast-Event-ID: ../../x\r\n\r\n"));
  }

  private static void oddIdsInPaths(List<Case> cases) {
    List<String> ids = List.of("..%2F..%2Fetc%2Fpasswd", "%2e%2e", "..", "%00", "s-a.1%00", "s-a.1%2F..",
        "%E2%80%AEs-a.1", "s-a%E2%80%8B.1", "s-%D9%A1.%D9%A1", "s-a.%D9%A1", "x".repeat(1500), "s-" + "a".repeat(200) + ".1",
        "s-nobody.1", "s-a.999999999999", "a;b", "%20", "s-a.1;jsessionid=x", "%C0%AE%C0%AE");
    for (String id : ids) {
      String shown = id.length() > 40 ? id.substring(0, 40) + "..." : id;
      cases.add(get("GET intent " + shown, "/v1/intents/" + id));
      cases.add(get("GET trace " + shown, "/v1/intents/" + id + "/trace"));
      cases.add(get("GET events " + shown, "/v1/intents/" + id + "/events"));
      cases.add(request("DELETE intent " + shown, "DELETE", "/v1/intents/" + id, null, null));
      cases.add(request("DELETE document " + shown, "DELETE", "/v1/documents/" + id, null, null));
      cases.add(get("GET document job " + shown, "/v1/documents/jobs/" + id));
    }
    cases.add(get("raw ../ in path", "/v1/intents/../../etc/passwd"));
    cases.add(get("bad escape %ZZ", "/v1/intents/%ZZ"));
    cases.add(get("URI of 3000 characters", "/v1/intents/" + "x".repeat(3000)));
    cases.add(rawBytes("raw UTF-8 in path", concat("GET /v1/intents/", "\u202e".getBytes(StandardCharsets.UTF_8),
        " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")));
    cases.add(rawBytes("raw NUL in path", concat("GET /v1/intents/a", new byte[] {0}, " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")));
  }

  private static void oversizedHeads(List<Case> cases) {
    cases.add(raw("header value of 10k", "GET /health/live HTTP/1.1\r\nHost: x\r\nConnection: close\r\nX-Big: "
        + "v".repeat(10_000) + "\r\n\r\n"));
    cases.add(raw("header name of 100", "GET /health/live HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
        + "X-" + "n".repeat(100) + ": v\r\n\r\n"));
    StringBuilder many = new StringBuilder("GET /health/live HTTP/1.1\r\nHost: x\r\nConnection: close\r\n");
    for (int i = 0; i < 100; i++) {
      many.append("X-H").append(i).append(": v\r\n");
    }
    cases.add(raw("100 headers", many + "\r\n"));
    cases.add(raw("cookie of 64k", "GET /health/live HTTP/1.1\r\nHost: x\r\nConnection: close\r\nCookie: "
        + "c=" + "x".repeat(64_000) + "\r\n\r\n"));
    cases.add(rawBytes("NUL in header value", concat("GET /health/live HTTP/1.1\r\nHost: x\r\nConnection: close\r\nX-A: a",
        new byte[] {0}, "b\r\n\r\n")));
    cases.add(raw("header without colon", "GET /health/live HTTP/1.1\r\nHost: x\r\nConnection: close\r\nNoColon\r\n\r\n"));
    cases.add(raw("space before colon", "GET /health/live HTTP/1.1\r\nHost: x\r\nConnection: close\r\nX-A : b\r\n\r\n"));
  }

  private static void wrongMethods(List<Case> cases) {
    List<String> paths = List.of("/v1/intents", "/v1/intents:batch", "/v1/intents/s-a.1", "/v1/intents/s-a.1/events",
        "/v1/intents/s-a.1/trace", "/v1/tools", "/v1/documents", "/v1/documents/search", "/v1/documents/doc-1",
        "/v1/documents/jobs/j", "/health/live", "/health/ready");
    for (String path : paths) {
      for (String method : List.of("PUT", "PATCH")) {
        cases.add(request(method + " " + path, method, path, "application/json", "{\"text\":\"hi\"}"));
      }
    }
    cases.add(get("GET /v1/intents", "/v1/intents"));
    cases.add(get("GET /v1/intents:batch", "/v1/intents:batch"));
    cases.add(request("DELETE /v1/intents", "DELETE", "/v1/intents", null, null));
    cases.add(request("POST /v1/tools", "POST", "/v1/tools", "application/json", "{}"));
    cases.add(request("POST /health/ready", "POST", "/health/ready", "application/json", "{}"));
    cases.add(request("OPTIONS /v1/intents", "OPTIONS", "/v1/intents", null, null));
    cases.add(request("TRACE /v1/intents", "TRACE", "/v1/intents", null, null));
    cases.add(request("unknown method FOO", "FOO", "/v1/intents", null, null));
    cases.add(request("lower-case post", "post", "/v1/intents", "application/json", "{\"text\":\"hi\"}"));
  }

  private static void wrongMediaTypes(List<Case> cases) {
    for (String route : POST_ROUTES) {
      String body = VALID_BODIES.get(route);
      for (String type : List.of("text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x",
          "application/xml", "application/octet-stream", "not a media type", "application/")) {
        cases.add(request(route + " as " + type, "POST", route, type, body));
      }
      cases.add(request(route + " without content type", "POST", route, null, body));
      cases.add(request(route + " without body", "POST", route, "application/json", null));
    }
  }

  private static void malformedFraming(List<Case> cases) {
    String head = "POST /v1/intents HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: application/json\r\n";
    String body = "{\"text\":\"hi\"}";
    cases.add(raw("Content-Length abc", head + "Content-Length: abc\r\n\r\n" + body));
    cases.add(raw("Content-Length -1", head + "Content-Length: -1\r\n\r\n" + body));
    cases.add(raw("Content-Length 1 2", head + "Content-Length: 1 2\r\n\r\n" + body));
    cases.add(raw("Content-Length overflow", head + "Content-Length: 99999999999999999999999\r\n\r\n" + body));
    cases.add(raw("two Content-Lengths", head + "Content-Length: 13\r\nContent-Length: 5\r\n\r\n" + body));
    cases.add(raw("Content-Length and chunked", head + "Content-Length: 13\r\nTransfer-Encoding: chunked\r\n\r\n"
        + "d\r\n" + body + "\r\n0\r\n\r\n"));
    cases.add(raw("Content-Length longer than the body", head + "Content-Length: 50\r\n\r\n" + body));
    cases.add(raw("Content-Length shorter than the body", head + "Content-Length: 5\r\n\r\n" + body));
    cases.add(raw("Transfer-Encoding gzip", head + "Transfer-Encoding: gzip\r\n\r\n" + body));
    cases.add(raw("bad chunk size", head + "Transfer-Encoding: chunked\r\n\r\nzz\r\n" + body + "\r\n0\r\n\r\n"));
    cases.add(raw("chunk shorter than declared", head + "Transfer-Encoding: chunked\r\n\r\nff\r\n" + body + "\r\n"));
    cases.add(raw("garbage request line", "GARBAGE\r\n\r\n"));
    cases.add(raw("HTTP/9.9", "GET /health/live HTTP/9.9\r\nHost: x\r\n\r\n"));
    cases.add(raw("HTTP/1.1 without Host", "GET /health/live HTTP/1.1\r\nConnection: close\r\n\r\n"));
    cases.add(raw("two Host headers", "GET /health/live HTTP/1.1\r\nHost: a\r\nHost: b\r\nConnection: close\r\n\r\n"));
    cases.add(raw("request target *", "GET * HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"));
    cases.add(raw("bare LF line endings with bad version", "GET /health/live HTTP/1.x\nHost: x\n\n"));
  }

  /** Ambiguous inputs this node accepts on purpose: the user's text is the user's. */
  static List<Case> accepted() {
    return List.of(
        post("direction override in text", "/v1/intents", "{\"text\":\"abc \\u202e cba\"}"),
        post("zero-width characters in text", "/v1/intents", "{\"text\":\"a\\u200bb\\u200dc\\ufeff\"}"),
        post("emoji in text", "/v1/intents", "{\"text\":\"hi \\ud83d\\ude00\"}"),
        post("tab and newline in text", "/v1/intents", "{\"text\":\"line 1\\n\\tline 2\"}"),
        post("keys that differ by case", "/v1/intents", "{\"text\":\"a\",\"Text\":\"b\"}"),
        post("UTF-8 BOM before the body", "/v1/intents", "\ufeff{\"text\":\"hi\"}"),
        post("text of 8000 characters", "/v1/intents", "{\"text\":\"" + "x".repeat(8000) + "\"}"),
        post("metadata 8 deep", "/v1/intents",
            "{\"text\":\"hi\",\"metadata\":" + "{\"a\":".repeat(8) + "1" + "}".repeat(8) + "}"));
  }

  /** Batches whose items are bad: 200, with an error in place of each bad item. */
  static List<Case> rejectedPerItem() {
    List<Case> cases = new ArrayList<>();
    for (String v : WRONG_VALUES) {
      cases.add(post("batch item = " + v, "/v1/intents:batch", "{\"intents\":[" + v + "]}"));
      cases.add(post("batch item text = " + v, "/v1/intents:batch", "{\"intents\":[{\"text\":" + v + "}]}"));
    }
    cases.add(post("batch item text over the limit", "/v1/intents:batch",
        "{\"intents\":[{\"text\":\"" + "x".repeat(9000) + "\"}]}"));
    cases.add(post("batch item sessionId with U+202E", "/v1/intents:batch",
        "{\"intents\":[{\"text\":\"hi\",\"sessionId\":\"s-\\u202ex\"}]}"));
    cases.add(post("batch item with NUL text", "/v1/intents:batch", "{\"intents\":[{\"text\":\"a\\u0000\"}]}"));
    return cases;
  }

  // --- the tests

  @TestFactory
  Stream<DynamicTest> everyHostileRequestGets4xxJson() {
    List<Case> cases = rejected();
    assertTrue(cases.size() >= 200, "the corpus has " + cases.size() + " cases");
    return cases.stream().map(c -> DynamicTest.dynamicTest(c.name(), () -> {
      Answer a = send(c.request());
      assertTrue(a.status() >= 400 && a.status() < 500, c.name() + " -> " + a);
      assertJsonError(c.name(), a);
    }));
  }

  @TestFactory
  Stream<DynamicTest> ambiguousButHarmlessInputIsAccepted() {
    return accepted().stream().map(c -> DynamicTest.dynamicTest(c.name(), () -> {
      Answer a = send(c.request());
      assertEquals(202, a.status(), c.name() + " -> " + a);
    }));
  }

  @TestFactory
  Stream<DynamicTest> badBatchItemsAreAnsweredInPlace() {
    return rejectedPerItem().stream().map(c -> DynamicTest.dynamicTest(c.name(), () -> {
      Answer a = send(c.request());
      assertEquals(200, a.status(), c.name() + " -> " + a);
      JsonNode results = Json.parse(a.body()).get("results");
      assertEquals(1, results.size(), a.toString());
      JsonNode error = results.get(0).get("error");
      assertTrue(error != null && KNOWN_CODES.contains(error.path("code").asText()), a.toString());
      assertFalse(JAVA_LEAK.matcher(error.path("message").asText()).find(), a.toString());
    }));
  }

  /**
   * Half a request, then silence: meanwhile the node answers others, and the idle timeout closes
   * the stalled connection. Both waits are bounded by socket timeouts.
   */
  @Test
  void aStalledClientIsClosedWhileOthersAreServed() throws Exception {
    List<String> halves = List.of(
        "POST /v1/intents HTTP/1.1\r\nHost: x\r\nContent-Type: appl",
        "POST /v1/intents HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"te");
    for (String half : halves) {
      try (Socket stalled = new Socket("127.0.0.1", port)) {
        stalled.getOutputStream().write(half.getBytes(StandardCharsets.US_ASCII));
        stalled.getOutputStream().flush();

        Answer other = send(("GET /health/live HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            .getBytes(StandardCharsets.US_ASCII));
        assertEquals(200, other.status(), other.toString());

        stalled.setSoTimeout((IDLE_TIMEOUT_SECONDS + 11) * 1000);
        long started = System.nanoTime();
        byte[] answer = readAll(stalled.getInputStream());
        long waited = Duration.ofNanos(System.nanoTime() - started).toSeconds();
        assertTrue(waited <= IDLE_TIMEOUT_SECONDS + 10, "closed after " + waited + "s");
        String text = new String(answer, StandardCharsets.UTF_8);
        // The node may close silently or answer 4xx JSON first (a body it gave up reading); never 5xx.
        if (!text.isEmpty()) {
          Answer a = Answer.parse(answer);
          assertTrue(a.status() >= 400 && a.status() < 500, a.toString());
          assertJsonError("stalled", a);
        }
      }
    }
  }

  @Test
  void afterTheCorpusTheNodeIsHealthyAndAnswers() throws Exception {
    rejected().forEach(c -> {
      try {
        send(c.request());
      } catch (IOException e) {
        throw new AssertionError(c.name(), e);
      }
    });
    assertEquals(200, node.get("/health/ready").statusCode());
    var r = node.post("/v1/intents?wait=true&timeoutMs=60000", "{\"text\":\"What is 17% of 2,340?\"}");
    assertEquals(200, r.statusCode(), r.body());
    JsonNode intent = TestNode.json(r);
    assertEquals("succeeded", intent.get("status").asText(), r.body());
    assertTrue(intent.at("/outcome/answer").asText().contains("397.8"), r.body());
    // The document log took no poisoned write either.
    var d = node.post("/v1/documents", DOCUMENTS);
    assertEquals(200, d.statusCode(), d.body());
  }

  // --- requests and answers

  private static void assertJsonError(String name, Answer a) {
    assertTrue(a.contentType().toLowerCase(Locale.ROOT).startsWith("application/json"), name + " -> " + a);
    JsonNode error = Json.parse(a.body()).get("error");
    assertTrue(error != null && error.isObject(), name + " -> " + a);
    assertTrue(KNOWN_CODES.contains(error.path("code").asText()), name + " -> " + a);
    String message = error.path("message").asText();
    assertFalse(message.isBlank(), name + " -> " + a);
    assertFalse(JAVA_LEAK.matcher(message).find(), name + " leaks internals -> " + a);
  }

  static Case post(String name, String path, String body) {
    return request(name, "POST", path, "application/json", body);
  }

  static Case post(String name, String path, byte[] body) {
    return new Case(name, concat(head("POST", path, "application/json", body.length), body));
  }

  static Case get(String name, String path) {
    return request(name, "GET", path, null, null);
  }

  static Case request(String name, String method, String path, String contentType, String body) {
    byte[] bytes = body == null ? null : body.getBytes(StandardCharsets.UTF_8);
    return new Case(name, concat(head(method, path, contentType, bytes == null ? -1 : bytes.length),
        bytes == null ? new byte[0] : bytes));
  }

  static Case raw(String name, String request) {
    return new Case(name, request.getBytes(StandardCharsets.UTF_8));
  }

  static Case rawBytes(String name, byte[] request) {
    return new Case(name, request);
  }

  private static String head(String method, String path, String contentType, int length) {
    StringBuilder head = new StringBuilder(method).append(' ').append(path).append(" HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        .append("Connection: close\r\n");
    if (contentType != null) {
      head.append("Content-Type: ").append(contentType).append("\r\n");
    }
    if (length >= 0) {
      head.append("Content-Length: ").append(length).append("\r\n");
    }
    return head.append("\r\n").toString();
  }

  static byte[] concat(Object... parts) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (Object part : parts) {
      byte[] bytes = part instanceof byte[] b ? b : part.toString().getBytes(StandardCharsets.UTF_8);
      out.writeBytes(bytes);
    }
    return out.toByteArray();
  }

  /** Sends the bytes, half-closes, and reads the answer until the node closes (bounded). */
  private Answer send(byte[] request) throws IOException {
    try (Socket socket = new Socket("127.0.0.1", port)) {
      socket.setSoTimeout(20_000);
      OutputStream out = socket.getOutputStream();
      try {
        out.write(request);
        out.flush();
        socket.shutdownOutput();
      } catch (IOException refusedMidway) {
        // The node may answer and close before it has read an oversized request; read what it said.
      }
      return Answer.parse(readAll(socket.getInputStream()));
    }
  }

  private static byte[] readAll(InputStream in) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    byte[] buffer = new byte[8192];
    try {
      for (int n; (n = in.read(buffer)) >= 0; ) {
        out.write(buffer, 0, n);
      }
    } catch (SocketTimeoutException e) {
      throw new AssertionError("no end of the answer within the socket timeout; so far: "
          + new String(out.toByteArray(), StandardCharsets.UTF_8), e);
    } catch (IOException reset) {
      // A reset after the answer was sent: keep what arrived.
    }
    return out.toByteArray();
  }

  /** The first HTTP response in the bytes (status, content type, body with chunked framing undone). */
  record Answer(int status, String contentType, String body) {
    static Answer parse(byte[] bytes) {
      String text = new String(bytes, StandardCharsets.UTF_8);
      int headEnd = text.indexOf("\r\n\r\n");
      if (!text.startsWith("HTTP/1.1 ") || headEnd < 0) {
        return new Answer(-1, "", "no HTTP answer: '" + text + "'");
      }
      int status = Integer.parseInt(text.substring(9, 12));
      String contentType = "";
      boolean chunked = false;
      int contentLength = -1;
      for (String line : text.substring(0, headEnd).split("\r\n")) {
        String lower = line.toLowerCase(Locale.ROOT);
        if (lower.startsWith("content-type:")) contentType = line.substring(13).trim();
        if (lower.startsWith("transfer-encoding:") && lower.contains("chunked")) chunked = true;
        if (lower.startsWith("content-length:")) contentLength = Integer.parseInt(line.substring(15).trim());
      }
      String body = text.substring(headEnd + 4);
      if (chunked) {
        body = unchunk(body);
      } else if (contentLength >= 0 && contentLength <= body.getBytes(StandardCharsets.UTF_8).length) {
        body = new String(java.util.Arrays.copyOf(body.getBytes(StandardCharsets.UTF_8), contentLength),
            StandardCharsets.UTF_8);
      }
      return new Answer(status, contentType, body);
    }

    private static String unchunk(String chunked) {
      StringBuilder out = new StringBuilder();
      int at = 0;
      while (at < chunked.length()) {
        int lineEnd = chunked.indexOf("\r\n", at);
        if (lineEnd < 0) break;
        int size = Integer.parseInt(chunked.substring(at, lineEnd).trim(), 16);
        if (size == 0) break;
        out.append(chunked, lineEnd + 2, Math.min(chunked.length(), lineEnd + 2 + size));
        at = lineEnd + 2 + size + 2;
      }
      return out.toString();
    }

    @Override
    public String toString() {
      return status + " " + contentType + " " + (body.length() > 400 ? body.substring(0, 400) + "..." : body);
    }
  }
}
