package io.troupe.core.guardrail;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.troupe.core.json.Json;
import io.troupe.core.llm.ChatMessage;
import io.troupe.core.llm.ChatRequest;
import io.troupe.core.llm.LlmGateway;
import io.troupe.core.llm.ToolCall;
import io.troupe.core.tools.ToolRegistry;
import io.troupe.core.tools.ToolResult;
import io.troupe.core.vector.VectorStore;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.testkit.typed.annotations.JUnit5TestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestKitJUnit5Extension;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.pattern.StatusReply;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Every verdict kind where the guardrail routes, pluggable policies, and the strictest-wins rule. */
@ExtendWith(TestKitJUnit5Extension.class)
class GuardrailVerdictsTest {

  @JUnit5TestKit public ActorTestKit testKit = ActorTestKit.create();

  private final TestProbe<LlmGateway.Command> llm = testKit.createTestProbe();
  private final TestProbe<ToolRegistry.Command> tools = testKit.createTestProbe();
  private final TestProbe<VectorStore.Command> vector = testKit.createTestProbe();
  private final TestProbe<Guardrail.Answer> answers = testKit.createTestProbe();
  private final TestProbe<ToolResult> results = testKit.createTestProbe();
  private final TestProbe<LlmGateway.ChatResult> replies = testKit.createTestProbe();

  private static final String KEY = "sk-proj-" + "A1b2C3d4E5f6G7h8I9j0K1l2M3";
  private static final String CARD = "4111 1111 1111 1111"; // a test number that passes Luhn

  private static Config troupe(String overrides) {
    return ConfigFactory.parseString(overrides).withFallback(ConfigFactory.load()).getConfig("troupe");
  }

  private ActorRef<Guardrail.Command> guardrail(GuardrailSettings settings) {
    return testKit.spawn(Guardrail.create(settings, new Guardrail.Targets(llm.getRef(), tools.getRef(), vector.getRef())));
  }

  /** A policy of the test's: one fixed verdict on one kind of target. */
  record Fixed(String name, GuardTarget.Kind on, Verdict verdict) implements GuardrailPolicy {
    @Override
    public Verdict check(GuardTarget target) {
      return target.kind() == on ? verdict : Verdict.allow();
    }
  }

  @Test
  void redactionRewritesKeysAndCardsButNotOrdinaryNumbers() {
    var policy = new io.troupe.core.guardrail.policy.RedactSecrets(List.of("api-keys", "cards", "emails"));
    Verdict v = policy.check(GuardTarget.of(GuardTarget.Kind.DOCUMENT, "key " + KEY + " card " + CARD + " mail a.b@example.org"));
    assertEquals(Verdict.Kind.REWRITE, v.kind());
    assertEquals("key [redacted:api_key] card [redacted:card] mail [redacted:email]", v.rewritten());
    assertFalse(v.reason().contains(KEY) || v.reason().contains("4111"), "the reason never names the value");
    assertTrue(policy.check(GuardTarget.of(GuardTarget.Kind.ANSWER, "order 1234 5678 9012 3456 shipped")).isAllow(),
        "16 digits that fail the Luhn check are not a card");
    var noEmails = new io.troupe.core.guardrail.policy.RedactSecrets(List.of("api-keys"));
    assertTrue(noEmails.check(GuardTarget.of(GuardTarget.Kind.INTENT, "write to a.b@example.org")).isAllow());
    assertThrows(IllegalArgumentException.class,
        () -> new io.troupe.core.guardrail.policy.RedactSecrets(List.of("passports")));
  }

  @Test
  void redactedJsonStaysJsonAndTimestampsAreNotCards() {
    var policy = new io.troupe.core.guardrail.policy.RedactSecrets(List.of("cards"));
    // 1764834459125 passes Luhn but no card number starts with 17: the clock tool's epochMillis.
    String clock = "{\"timezone\":\"UTC\",\"iso\":\"2025-12-04T07:47:39.125Z\",\"epochMillis\":1764834459125}";
    assertTrue(policy.check(GuardTarget.of(GuardTarget.Kind.TOOL_RESULT, clock)).isAllow(), clock);
    Verdict v = policy.check(GuardTarget.of(GuardTarget.Kind.TOOL_RESULT,
        "{\"card\":4111111111111111,\"note\":\"paid with " + CARD + "\"}"));
    assertEquals(Verdict.Kind.REWRITE, v.kind());
    assertEquals("{\"card\":\"[redacted:card]\",\"note\":\"paid with [redacted:card]\"}", v.rewritten());
    assertEquals("[redacted:card]", Json.parse(v.rewritten()).get("card").asText(), "still JSON");
  }

  @Test
  void theStrictestVerdictWinsAndRewritesApplyInTurn() {
    var settings = GuardrailSettings.fromConfig(troupe(""))
        .withPolicy(new Fixed("judge", GuardTarget.Kind.ANSWER, Verdict.reprompt("judge", "be polite")))
        .withPolicy(new Fixed("approver", GuardTarget.Kind.ANSWER, Verdict.requireApproval("approver", "check")));
    var guardrail = guardrail(settings);
    guardrail.tell(new Guardrail.CheckAnswer(1, "s.1", "fine " + KEY, answers.getRef()));
    Verdict v = ((Guardrail.AnswerChecked) answers.receiveMessage()).verdict();
    assertEquals(Verdict.Kind.REQUIRE_APPROVAL, v.kind(), "require_approval > reprompt > rewrite");

    var rewriting = guardrail(GuardrailSettings.fromConfig(troupe(""))
        .withPolicy(new GuardrailPolicy() {
          public String name() {
            return "shout";
          }

          public Verdict check(GuardTarget t) {
            return t.kind() == GuardTarget.Kind.ANSWER ? Verdict.rewrite("shout", "upper case", t.text().toUpperCase())
                : Verdict.allow();
          }
        }));
    rewriting.tell(new Guardrail.CheckAnswer(2, "s.1", "key " + KEY, answers.getRef()));
    Verdict both = ((Guardrail.AnswerChecked) answers.receiveMessage()).verdict();
    assertEquals(Verdict.Kind.REWRITE, both.kind());
    assertEquals("KEY [REDACTED:API_KEY]", both.rewritten(), "the second policy saw the first one's rewrite");
  }

  @Test
  void aRewrittenCallIsForwardedWithThePolicysArguments() {
    var guardrail = guardrail(GuardrailSettings.fromConfig(troupe("")));
    guardrail.tell(new Guardrail.RouteToolCalls(10, "s.1", "s", List.of(new ToolCall("c1", "http_get",
        Json.parse("{\"url\":\"https://x.test/?key=" + KEY + "\"}"))), List.of(0), List.of(), Map.of(), results.getRef(),
        answers.getRef()));
    Verdict v = ((Guardrail.ToolsChecked) answers.receiveMessage()).verdicts().get(0);
    assertEquals(Verdict.Kind.REWRITE, v.kind());
    var execute = tools.expectMessageClass(ToolRegistry.Execute.class);
    assertEquals("https://x.test/?key=[redacted:api_key]", execute.call().arguments().get("url").asText());
  }

  @Test
  void aCallThatNeedsApprovalCarriesItsRedactedArgumentsForThePersonToSee() {
    var guardrail = guardrail(GuardrailSettings.fromConfig(troupe("troupe.guardrail.require-approval = [send_email]")));
    guardrail.tell(new Guardrail.RouteToolCalls(10, "s.1", "s", List.of(new ToolCall("c1", "send_email",
        Json.parse("{\"body\":\"the key is " + KEY + "\"}"))), List.of(0), List.of(), Map.of(), results.getRef(),
        answers.getRef()));
    Verdict v = ((Guardrail.ToolsChecked) answers.receiveMessage()).verdicts().get(0);
    assertEquals(Verdict.Kind.REQUIRE_APPROVAL, v.kind());
    assertEquals("the key is [redacted:api_key]", Json.parse(v.rewritten()).get("body").asText());
    tools.expectNoMessage(Duration.ofMillis(50));
  }

  @Test
  void aRepromptedOrApprovalBoundCallIsNotForwarded() {
    var guardrail = guardrail(GuardrailSettings.fromConfig(troupe(""))
        .withPolicy(new Fixed("p", GuardTarget.Kind.TOOL_CALL, Verdict.reprompt("p", "use fewer rows"))));
    guardrail.tell(new Guardrail.RouteToolCalls(10, "s.1", "s", List.of(new ToolCall("c1", "calculator",
        Json.parse("{}"))), List.of(0), List.of(), Map.of(), results.getRef(), answers.getRef()));
    assertEquals(Verdict.Kind.REPROMPT, ((Guardrail.ToolsChecked) answers.receiveMessage()).verdicts().get(0).kind());
    tools.expectNoMessage(Duration.ofMillis(50));
  }

  @Test
  void aRewrittenToolResultGoesBackToTheLoopBeforeAnyModelSeesIt() {
    var guardrail = guardrail(GuardrailSettings.fromConfig(troupe("")));
    var request = new ChatRequest("m", List.of(ChatMessage.user("q"),
        ChatMessage.assistantToolCalls("", List.of(new ToolCall("c1", "lookup", Json.object()))),
        ChatMessage.toolResult("c1", "lookup", "the card is " + CARD)), List.of(), 100, false);
    guardrail.tell(new Guardrail.RouteModelCall(3, "s.1", request, 1, "k", replies.getRef(), null, answers.getRef()));
    var denied = (Guardrail.ModelInputDenied) answers.receiveMessage();
    assertEquals("the card is [redacted:card]", denied.denied().get(2).rewritten());
    llm.expectNoMessage(Duration.ofMillis(50));
  }

  @Test
  void aDocumentIsWrittenRedacted() {
    var guardrail = guardrail(GuardrailSettings.fromConfig(troupe("")));
    TestProbe<StatusReply<VectorStore.Upserted>> written = testKit.createTestProbe();
    guardrail.tell(new Guardrail.RouteDocuments(List.of(new VectorStore.Document("d1", "token " + KEY, Map.of())),
        written.getRef()));
    var upsert = vector.expectMessageClass(VectorStore.Upsert.class);
    assertEquals("token [redacted:api_key]", upsert.documents().get(0).text());
  }

  @Test
  void aPolicyThatThrowsFailsClosedOrOpenAsConfigured() {
    GuardrailPolicy broken = new GuardrailPolicy() {
      public String name() {
        return "broken";
      }

      public Verdict check(GuardTarget t) {
        throw new IllegalStateException("boom");
      }
    };
    var closed = guardrail(GuardrailSettings.fromConfig(troupe("")).withPolicy(broken));
    closed.tell(new Guardrail.CheckAnswer(1, "s.1", "hello", answers.getRef()));
    Verdict v = ((Guardrail.AnswerChecked) answers.receiveMessage()).verdict();
    assertEquals(Verdict.Kind.DENY, v.kind());
    assertEquals("broken", v.policy());
    var open = guardrail(GuardrailSettings.fromConfig(troupe("troupe.guardrail.fail-open = true")).withPolicy(broken));
    open.tell(new Guardrail.CheckAnswer(2, "s.1", "hello", answers.getRef()));
    assertTrue(((Guardrail.AnswerChecked) answers.receiveMessage()).verdict().isAllow());
  }

  /** Loaded by class name in the test below. */
  public static final class ShortAnswers implements GuardrailPolicy {
    private final int max;

    public ShortAnswers(Config troupe) {
      this.max = troupe.getInt("guardrail.max-input-chars") / 1000;
    }

    public String name() {
      return "short-answers";
    }

    public Verdict check(GuardTarget t) {
      return t.kind() == GuardTarget.Kind.ANSWER && t.text().length() > max ? Verdict.reprompt(name(), "shorter") : Verdict.allow();
    }
  }

  @Test
  void policiesLoadByClassNameAndABadOneNamesItself() {
    var settings = GuardrailSettings.fromConfig(troupe("troupe.guardrail.policies = [\""
        + ShortAnswers.class.getName() + "\"]"));
    var guardrail = guardrail(settings);
    guardrail.tell(new Guardrail.CheckAnswer(1, "s.1", "a long answer indeed", answers.getRef()));
    assertEquals(Verdict.Kind.REPROMPT, ((Guardrail.AnswerChecked) answers.receiveMessage()).verdict().kind());
    var missing = assertThrows(IllegalArgumentException.class, () -> GuardrailSettings.fromConfig(
        troupe("troupe.guardrail.policies = [\"com.example.NoSuchPolicy\"]")));
    assertTrue(missing.getMessage().contains("com.example.NoSuchPolicy"), missing.getMessage());
    var notAPolicy = assertThrows(IllegalArgumentException.class, () -> GuardrailSettings.fromConfig(
        troupe("troupe.guardrail.policies = [\"java.lang.String\"]")));
    assertTrue(notAPolicy.getMessage().contains("does not implement"), notAPolicy.getMessage());
  }
}
