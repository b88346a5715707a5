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
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.RecipientRef;

/**
 * Property-based fuzzing of the JSON ingress with fake sessions and subsystems: whatever body
 * arrives at the three JSON routes, the answer is never a 5xx, and every non-2xx is the JSON error
 * shape with a code of the contract and no Java internals in its message.
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

  private static ActorTestKit testKit;
  private static String base;
  private static final HttpClient CLIENT = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private static final Map<String, ActorRef<SessionEntity.Command>> SESSIONS = new ConcurrentHashMap<>();

  @BeforeContainer
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

  @AfterContainer
  static void shutDown() {
    if (testKit != null) {
      testKit.shutdownTestKit();
    }
  }

  private static RecipientRef<SessionEntity.Command> session(String id) {
    return SESSIONS.computeIfAbsent(id, k -> testKit.spawn(FakeSession.create(k)));
  }

  // --- properties

  @Property(tries = 300)
  void randomTextNeverGets5xx(@ForAll("routes") String route, @ForAll("randomText") String body) throws Exception {
    assertHeld(route, body.getBytes(StandardCharsets.UTF_8));
  }

  @Property(tries = 200)
  void randomBytesNeverGet5xx(@ForAll("routes") String route, @ForAll("randomBytes") byte[] body) throws Exception {
    assertHeld(route, body);
  }

  @Property(tries = 400)
  void randomJsonTreesNeverGet5xx(@ForAll("routes") String route, @ForAll("shapedBodies") String body) throws Exception {
    assertHeld(route, body.getBytes(StandardCharsets.UTF_8));
  }

  @Property(tries = 300)
  void mutatedValidBodiesNeverGet5xx(@ForAll("routes") String route, @ForAll("mutatedIntent") String item)
      throws Exception {
    String body = switch (route) {
      case "/v1/intents:batch" -> "{\"intents\":[" + item + "," + VALID_INTENT + "]}";
      case "/v1/documents" -> "{\"documents\":[" + item + "]}";
      default -> item;
    };
    assertHeld(route, body.getBytes(StandardCharsets.UTF_8));
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

  @Provide
  Arbitrary<String> routes() {
    return Arbitraries.of(ROUTES);
  }

  @Provide
  Arbitrary<String> randomText() {
    return Arbitraries.oneOf(
        Arbitraries.strings().all().ofMaxLength(200),
        Arbitraries.strings().withChars("{}[]\":,\\ntrufalse0123456789.eE+-u").ofMaxLength(200),
        Arbitraries.strings().ascii().ofMinLength(16 * 1024 - 10).ofMaxLength(40 * 1024));
  }

  @Provide
  Arbitrary<byte[]> randomBytes() {
    return Arbitraries.bytes().array(byte[].class).ofMaxSize(400);
  }

  /** Objects with the fields the routes read, each holding any JSON value, plus random trees. */
  @Provide
  Arbitrary<String> shapedBodies() {
    Arbitrary<String> value = jsonValue();
    Arbitrary<String> intentLike = fieldsObject(value, "text", "sessionId", "metadata");
    Arbitrary<String> documentLike = fieldsObject(value, "id", "text", "metadata");
    return Arbitraries.oneOf(
        value,
        intentLike,
        Combinators.combine(intentLike, value).as((first, second) -> first + " " + second),
        Combinators.combine(Arbitraries.oneOf(intentLike, value).list().ofMaxSize(7), value)
            .as((items, other) -> "{\"intents\":" + (items.isEmpty() ? other : "[" + String.join(",", items) + "]") + "}"),
        Combinators.combine(Arbitraries.oneOf(documentLike, value).list().ofMaxSize(12), value)
            .as((items, other) -> "{\"documents\":" + (items.isEmpty() ? other : "[" + String.join(",", items) + "]") + "}"));
  }

  private static Arbitrary<String> fieldsObject(Arbitrary<String> value, String... names) {
    return Arbitraries.of(names).set().flatMap(present -> value.list().ofSize(present.size()).map(values -> {
      List<String> fields = List.copyOf(present);
      StringBuilder out = new StringBuilder("{");
      for (int i = 0; i < fields.size(); i++) {
        out.append(i == 0 ? "" : ",").append('"').append(fields.get(i)).append("\":").append(values.get(i));
      }
      return out.append('}').toString();
    }));
  }

  /** Any JSON value: scalars of odd kinds, small trees, and chains nested up to 120 deep (past the parser's 64). */
  private static Arbitrary<String> jsonValue() {
    Arbitrary<String> scalar = Arbitraries.oneOf(
        Arbitraries.of("null", "true", "false", "0", "-0", "1e999", "-1e-999", "1.5", "12345678901234567890123",
            "\"\"", "\" \"", "\"\\u0000\"", "\"\\ud800\"", "\"\\udc00x\"", "\"\\u202e\\u200b\"", "\"s-ok\"",
            "\"What is 17% of 2,340?\"", "\"" + "9".repeat(150) + "\""),
        Arbitraries.strings().all().ofMaxLength(40).map(Json::write),
        Arbitraries.integers().map(String::valueOf),
        Arbitraries.doubles().map(String::valueOf).filter(d -> !d.contains("N") && !d.contains("I")),
        Arbitraries.strings().numeric().ofMinLength(1).ofMaxLength(300));
    Arbitrary<String> tree = Arbitraries.recursive(() -> scalar, inner -> Arbitraries.oneOf(
        inner,
        inner.list().ofMaxSize(3).map(items -> "[" + String.join(",", items) + "]"),
        Combinators.combine(Arbitraries.strings().all().ofMaxLength(12).list().ofMaxSize(3), inner.list().ofSize(3))
            .as((keys, values) -> {
              StringBuilder out = new StringBuilder("{");
              for (int i = 0; i < keys.size(); i++) {
                out.append(i == 0 ? "" : ",").append(Json.write(keys.get(i))).append(':').append(values.get(i));
              }
              return out.append('}').toString();
            })), 0, 5);
    Arbitrary<String> chain = Combinators.combine(scalar, Arbitraries.of('[', '{').list().ofMinSize(1).ofMaxSize(120))
        .as((leaf, opens) -> {
          StringBuilder out = new StringBuilder();
          opens.forEach(open -> out.append(open == '[' ? "[" : "{\"k\":"));
          out.append(leaf);
          for (int i = opens.size() - 1; i >= 0; i--) {
            out.append(opens.get(i) == '[' ? ']' : '}');
          }
          return out.toString();
        });
    return Arbitraries.frequencyOf(
        net.jqwik.api.Tuple.of(6, tree), net.jqwik.api.Tuple.of(1, chain));
  }

  /** The valid intent with a few edits: characters deleted, inserted, replaced, repeated, or a cut. */
  @Provide
  Arbitrary<String> mutatedIntent() {
    Arbitrary<Mutation> mutation = Combinators.combine(
            Arbitraries.integers().between(0, 4),
            Arbitraries.integers().between(0, VALID_INTENT.length()),
            Arbitraries.chars().all(),
            Arbitraries.integers().between(1, 30))
        .as(Mutation::new);
    return mutation.list().ofMinSize(1).ofMaxSize(6).map(ms -> {
      String body = VALID_INTENT;
      for (Mutation m : ms) {
        body = m.apply(body);
      }
      return body;
    });
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
