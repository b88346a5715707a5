package io.troupe.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.typesafe.config.ConfigFactory;
import io.troupe.core.json.Json;
import io.troupe.core.llm.LlmGateway;
import io.troupe.core.session.SessionEntity;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import java.util.function.Function;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.RecipientRef;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Property-based fuzzing of the JSON ingress with fake sessions and subsystems: whatever body
 * arrives at the three JSON routes, the answer is never a 5xx, and every non-2xx is the JSON error
 * shape with a code of the contract and no Java internals in its message.
 *
 * <p>Each property is a fixed number of seeded cases ({@link Gen}): case {@code i} draws from a
 * generator seeded with {@code Gen.caseSeed(seed, property, i)}, so the same seed replays the same
 * bodies. The run seed is the system property {@code troupe.fuzz.seed} (default {@link #DEFAULT_SEED});
 * a failure names the seed, the property and the case. To explore, run with another seed:
 * {@code ./mvnw -pl modules/troupe-http test -Dtest=JsonIngressFuzzTest -Dtroupe.fuzz.seed=42}.
 */
class JsonIngressFuzzTest {
  static final Set<String> KNOWN_CODES = Set.of("invalid_request", "not_found", "unauthorized", "forbidden",
      "payload_too_large", "unsupported_media_type", "rate_limited", "overloaded", "conflict", "unavailable",
      "internal", "guardrail_denied");
  /** A package-qualified class name, an exception type or a stack frame. */
  static final Pattern JAVA_LEAK = Pattern.compile(
      "\\b[a-z]+(\\.[a-z0-9_]+)+\\.[A-Z]\\w+|\\w+(Exception|Error)\\b|\\bat [a-z]+\\.|StreamRead|JsonParser");
  static final List<String> ROUTES = List.of("/v1/intents", "/v1/intents:batch", "/v1/documents");
  static final String VALID_INTENT =
      "{\"text\":\"What is 2 + 2?\",\"sessionId\":\"s-fuzz\",\"metadata\":{\"user\":\"ada\",\"n\":[1,2.5,true,null]}}";

  static final long DEFAULT_SEED = 0x7209E_F022L;
  static final long SEED = Long.getLong("troupe.fuzz.seed", DEFAULT_SEED);

  private static ActorTestKit testKit;
  private static String base;
  private static final HttpClient CLIENT = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private static final Map<String, ActorRef<SessionEntity.Command>> SESSIONS = new ConcurrentHashMap<>();

  @BeforeAll
  static void bind() throws Exception {
    testKit = ActorTestKit.create("JsonIngressFuzzTest", ConfigFactory.load());
    HttpSettings defaults = HttpSettings.fromConfig(testKit.system().settings().config().getConfig("troupe.http"));
    // Small body caps so that the fuzz also reaches the size limits.
    HttpSettings settings = new HttpSettings("127.0.0.1", 0, 16 * 1024, 32 * 1024, Duration.ofSeconds(3),
        Duration.ofSeconds(2), Duration.ofSeconds(5), 5, Duration.ofSeconds(1), Duration.ofSeconds(15), 64, 10, 5, 50,
        2, List.of(), defaults.limits());
    var status = new LlmGateway.Status(List.of());
    Backends backends = Fakes.backends(testKit,
        JsonIngressFuzzTest::session,
        testKit.spawn(Fakes.supervisor(Fakes.readiness(true))),
        testKit.spawn(Fakes.tools()),
        testKit.spawn(Fakes.vectorStore()),
        testKit.spawn(Fakes.llm(status)));
    CompletableFuture<InetSocketAddress> bound = new CompletableFuture<>();
    testKit.spawn(HttpIngress.create(backends, settings, bound));
    base = "http://127.0.0.1:" + bound.get(10, TimeUnit.SECONDS).getPort();
  }

  @AfterAll
  static void shutDown() {
    if (testKit != null) {
      testKit.shutdownTestKit();
    }
  }

  private static RecipientRef<SessionEntity.Command> session(String id) {
    return SESSIONS.computeIfAbsent(id, k -> testKit.spawn(FakeSession.create(k)));
  }

  // --- properties

  @TestFactory
  Stream<DynamicTest> randomTextNeverGets5xx() {
    return cases("randomTextNeverGets5xx", 300, g -> {
      String route = g.of(ROUTES);
      String body = randomText(g);
      assertHeld(route, body.getBytes(StandardCharsets.UTF_8));
    });
  }

  @TestFactory
  Stream<DynamicTest> randomBytesNeverGet5xx() {
    return cases("randomBytesNeverGet5xx", 200, g -> {
      String route = g.of(ROUTES);
      byte[] body = g.bytes(400);
      assertHeld(route, body);
    });
  }

  @TestFactory
  Stream<DynamicTest> randomJsonTreesNeverGet5xx() {
    return cases("randomJsonTreesNeverGet5xx", 400, g -> {
      String route = g.of(ROUTES);
      String body = shapedBody(g);
      assertHeld(route, body.getBytes(StandardCharsets.UTF_8));
    });
  }

  @TestFactory
  Stream<DynamicTest> mutatedValidBodiesNeverGet5xx() {
    return cases("mutatedValidBodiesNeverGet5xx", 300, g -> {
      String route = g.of(ROUTES);
      String item = mutatedIntent(g);
      String body = switch (route) {
        case "/v1/intents:batch" -> "{\"intents\":[" + item + "," + VALID_INTENT + "]}";
        case "/v1/documents" -> "{\"documents\":[" + item + "]}";
        default -> item;
      };
      assertHeld(route, body.getBytes(StandardCharsets.UTF_8));
    });
  }

  private interface Case {
    void run(Gen g) throws Exception;
  }

  /** {@code tries} dynamic tests, case {@code i} on its own seeded generator; a failure names how to replay it. */
  private static Stream<DynamicTest> cases(String property, int tries, Case body) {
    return IntStream.range(0, tries).mapToObj(i -> DynamicTest.dynamicTest("case " + i + " (seed " + SEED + ")", () -> {
      try {
        body.run(new Gen(Gen.caseSeed(SEED, property, i)));
      } catch (Throwable e) {
        throw new AssertionError(property + " failed at case " + i + " of " + tries + " with seed " + SEED
            + " (replay: -Dtroupe.fuzz.seed=" + SEED + "): " + e.getMessage(), e);
      }
    }));
  }

  /** The property itself: no 5xx; every non-2xx carries a known code and a plain message. */
  private static void assertHeld(String route, byte[] body) throws Exception {
    HttpResponse<String> r = CLIENT.send(HttpRequest.newBuilder(URI.create(base + route))
            .timeout(Duration.ofSeconds(20))
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofByteArray(body))
            .build(),
        HttpResponse.BodyHandlers.ofString());
    String sent = new String(body, StandardCharsets.UTF_8);
    String what = route + " " + (sent.length() > 300 ? sent.substring(0, 300) + "..." : sent)
        + " -> " + r.statusCode() + " " + r.body();
    assertTrue(r.statusCode() < 500, what);
    if (r.statusCode() >= 300) {
      assertEquals("application/json", r.headers().firstValue("Content-Type").orElse(""), what);
      JsonNode error = Json.parse(r.body()).get("error");
      assertTrue(error != null && error.isObject(), what);
      assertTrue(KNOWN_CODES.contains(error.path("code").asText()), what);
      String message = error.path("message").asText();
      assertFalse(message.isBlank(), what);
      assertFalse(JAVA_LEAK.matcher(message).find(), what);
    }
  }

  // --- generators

  /** Any text up to 200 chars, JSON-ish text up to 200 chars, or ASCII around and past the 16 KiB cap. */
  static String randomText(Gen g) {
    return g.oneOf(
        () -> g.anyString(200),
        () -> g.string(0, 200, () -> g.charOf("{}[]\":,\\ntrufalse0123456789.eE+-u")),
        () -> g.string(16 * 1024 - 10, 40 * 1024, g::asciiChar));
  }

  /** Objects with the fields the routes read, each holding any JSON value, plus random trees. */
  static String shapedBody(Gen g) {
    Function<Gen, String> intentLike = x -> fieldsObject(x, "text", "sessionId", "metadata");
    Function<Gen, String> documentLike = x -> fieldsObject(x, "id", "text", "metadata");
    return g.oneOf(
        () -> jsonValue(g),
        () -> intentLike.apply(g),
        () -> intentLike.apply(g) + " " + jsonValue(g),
        () -> wrapper(g, "intents", 7, intentLike),
        () -> wrapper(g, "documents", 12, documentLike));
  }

  /** {@code {"<field>": [up to max items, each shaped or any value]}}, or any value when there are no items. */
  private static String wrapper(Gen g, String field, int max, Function<Gen, String> shaped) {
    List<String> items = g.list(0, max, () -> g.oneOf(() -> shaped.apply(g), () -> jsonValue(g)));
    String other = jsonValue(g);
    return "{\"" + field + "\":" + (items.isEmpty() ? other : "[" + String.join(",", items) + "]") + "}";
  }

  /** An object with a random subset of {@code names}, in random order, each holding any JSON value. */
  private static String fieldsObject(Gen g, String... names) {
    List<String> fields = g.subset(List.of(names));
    StringBuilder out = new StringBuilder("{");
    for (int i = 0; i < fields.size(); i++) {
      out.append(i == 0 ? "" : ",").append('"').append(fields.get(i)).append("\":").append(jsonValue(g));
    }
    return out.append('}').toString();
  }

  private static final List<String> ODD_SCALARS = List.of("null", "true", "false", "0", "-0", "1e999", "-1e-999",
      "1.5", "12345678901234567890123", "\"\"", "\" \"", "\"\\u0000\"", "\"\\ud800\"", "\"\\udc00x\"",
      "\"\\u202e\\u200b\"", "\"s-ok\"", "\"What is 17% of 2,340?\"", "\"" + "9".repeat(150) + "\"");

  /** Scalars of odd kinds: fixed oddities, any string, any int, a finite double, a long run of digits. */
  static String scalar(Gen g) {
    return g.oneOf(
        () -> g.of(ODD_SCALARS),
        () -> Json.write(g.anyString(40)),
        () -> String.valueOf(g.anyInt()),
        () -> String.valueOf(g.anyDouble()),
        () -> g.string(1, 300, g::digit));
  }

  /** Any JSON value: trees up to 5 levels deep (6 in 7), or chains nested up to 120 deep, past the parser's 64. */
  static String jsonValue(Gen g) {
    return g.frequency(6, () -> tree(g, g.between(0, 5)), 1, () -> chain(g));
  }

  /** A scalar at depth 0; above, the same, an array of up to 3, or an object of up to 3 (any keys, repeats too). */
  private static String tree(Gen g, int depth) {
    if (depth == 0) {
      return scalar(g);
    }
    return g.oneOf(
        () -> tree(g, depth - 1),
        () -> "[" + String.join(",", g.list(0, 3, () -> tree(g, depth - 1))) + "]",
        () -> {
          List<String> keys = g.list(0, 3, () -> g.anyString(12));
          StringBuilder out = new StringBuilder("{");
          for (int i = 0; i < keys.size(); i++) {
            out.append(i == 0 ? "" : ",").append(Json.write(keys.get(i))).append(':').append(tree(g, depth - 1));
          }
          return out.append('}').toString();
        });
  }

  /** 1 to 120 opening brackets, arrays or {@code {"k":} objects mixed, around a scalar. */
  private static String chain(Gen g) {
    String leaf = scalar(g);
    List<Character> opens = g.list(1, 120, () -> g.of('[', '{'));
    StringBuilder out = new StringBuilder();
    opens.forEach(open -> out.append(open == '[' ? "[" : "{\"k\":"));
    out.append(leaf);
    for (int i = opens.size() - 1; i >= 0; i--) {
      out.append(opens.get(i) == '[' ? ']' : '}');
    }
    return out.toString();
  }

  /** The valid intent with 1 to 6 edits: characters deleted, inserted, replaced, repeated, or a cut. */
  static String mutatedIntent(Gen g) {
    List<Mutation> ms = g.list(1, 6, () -> new Mutation(g.between(0, 4), g.between(0, VALID_INTENT.length()),
        g.anyChar(), g.between(1, 30)));
    String body = VALID_INTENT;
    for (Mutation m : ms) {
      body = m.apply(body);
    }
    return body;
  }

  private record Mutation(int kind, int at, char c, int span) {
    String apply(String s) {
      int i = Math.min(at, s.length());
      int end = Math.min(s.length(), i + span);
      return switch (kind) {
        case 0 -> s.substring(0, i) + s.substring(end);
        case 1 -> s.substring(0, i) + c + s.substring(i);
        case 2 -> i < s.length() ? s.substring(0, i) + c + s.substring(i + 1) : s + c;
        case 3 -> s.substring(0, end) + s.substring(i, end).repeat(span) + s.substring(end);
        default -> s.substring(0, i);
      };
    }
  }
}
