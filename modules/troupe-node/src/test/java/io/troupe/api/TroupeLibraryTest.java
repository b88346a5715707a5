package io.troupe.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.troupe.core.guardrail.GuardTarget;
import io.troupe.core.guardrail.GuardrailPolicy;
import io.troupe.core.guardrail.Verdict;
import io.troupe.core.json.Json;
import io.troupe.tools.api.ParamType;
import io.troupe.tools.api.Tools;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/** Troupe embedded as a library: the application's own tool and policy, in-process submission and events. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class TroupeLibraryTest {

  @TempDir
  static Path dataDir;

  private Troupe troupe;

  /** The application's policy: no intent may mention a competitor. */
  record NoCompetitors() implements GuardrailPolicy {
    @Override
    public String name() {
      return "no-competitors";
    }

    @Override
    public Verdict check(GuardTarget target) {
      return target.kind() == GuardTarget.Kind.INTENT && target.text().toLowerCase(Locale.ROOT).contains("globex")
          ? Verdict.fatal(name(), "competitors are not discussed") : Verdict.allow();
    }
  }

  @BeforeAll
  void start() {
    troupe = Troupe.builder()
        .dataDir(dataDir)
        .tool(Tools.builder("shout").description("Upper-cases a text")
            .param("text", ParamType.STRING, "the text", true)
            .handler((args, ctx) -> CompletableFuture.completedFuture(
                Json.object().put("text", args.get("text").asText().toUpperCase(Locale.ROOT))))
            .build())
        .policy(new NoCompetitors())
        .agent(io.troupe.core.agent.AgentSpec.builder("calculator-only").description("Arithmetic, as JSON")
            .tools(List.of("calculator"))
            .outputSchema("{\"type\":\"object\",\"properties\":{\"answer\":{\"type\":\"string\"}},\"required\":[\"answer\"]}")
            .build())
        .http(0)
        .start();
  }

  @AfterAll
  void stop() {
    if (troupe != null) troupe.close();
  }

  @Test
  void theApplicationsToolRunsThroughTheGuardrailAndItsPolicyRefuses() throws Exception {
    IntentResult shouted = troupe.submit("use shout with {\"text\":\"hello\"}").toCompletableFuture().get(60, TimeUnit.SECONDS);
    assertTrue(shouted.succeeded(), shouted.toString());
    assertTrue(shouted.answer().contains("HELLO"), shouted.answer());

    IntentResult refused = troupe.submit("Compare us with Globex").toCompletableFuture().get(60, TimeUnit.SECONDS);
    assertEquals("failed", refused.status());
    assertEquals("guardrail_denied", refused.errorCode());
    assertTrue(refused.error().contains("competitors are not discussed"), refused.error());

    var unknown = troupe.submit("support", "hi").toCompletableFuture();
    assertTrue(unknown.isCompletedExceptionally(), "an agent that does not exist is refused");
  }

  @Test
  void anAgentDefinedInJavaAnswersWithItsOutputSchema() throws Exception {
    IntentResult r = troupe.submit("calculator-only", "What is 17% of 2,340?").toCompletableFuture().get(60, TimeUnit.SECONDS);
    assertTrue(r.succeeded(), r.toString());
    assertEquals("calculator-only", r.agent());
    assertTrue(r.output() != null && r.output().get("answer").asText().contains("397.8"), String.valueOf(r.output()));
  }

  @Test
  void eventsOfAnIntentArriveInOrderAndEndWithItsEnd() throws Exception {
    IntentResult accepted = troupe.accept("What is 17% of 2,340?", "s-events").toCompletableFuture().get(30, TimeUnit.SECONDS);
    List<String> types = new ArrayList<>();
    CompletableFuture<Void> done = new CompletableFuture<>();
    troupe.events(accepted.id()).subscribe(new Flow.Subscriber<>() {
      @Override
      public void onSubscribe(Flow.Subscription s) {
        s.request(Long.MAX_VALUE);
      }

      @Override
      public void onNext(IntentEvent e) {
        synchronized (types) {
          types.add(e.type());
        }
      }

      @Override
      public void onError(Throwable t) {
        done.completeExceptionally(t);
      }

      @Override
      public void onComplete() {
        done.complete(null);
      }
    });
    done.get(60, TimeUnit.SECONDS);
    synchronized (types) {
      assertEquals("intent.accepted", types.get(0), types.toString());
      assertEquals("intent.succeeded", types.get(types.size() - 1), types.toString());
      assertTrue(types.contains("tool.started"), types.toString());
    }
    assertTrue(troupe.result(accepted.id()).toCompletableFuture().get(30, TimeUnit.SECONDS).answer().contains("397.8"));
  }

  @Test
  void theHttpIngressIsOptionalAndListsTheApplicationsTool() throws Exception {
    var address = troupe.httpAddress().orElseThrow();
    var tools = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
        URI.create("http://127.0.0.1:" + address.getPort() + "/v1/tools")).build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(200, tools.statusCode());
    assertTrue(tools.body().contains("\"shout\""), tools.body());
  }
}
