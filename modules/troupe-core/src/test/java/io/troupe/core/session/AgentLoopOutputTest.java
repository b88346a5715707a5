package io.troupe.core.session;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.troupe.core.agent.OutputSchema;
import io.troupe.core.guardrail.Verdict;
import io.troupe.core.json.Json;
import io.troupe.core.llm.ChatMessage;
import io.troupe.core.llm.ChatResponse;
import io.troupe.core.llm.FinishReason;
import io.troupe.core.llm.LlmGateway;
import io.troupe.core.llm.ToolSpec;
import io.troupe.core.llm.Usage;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The structured answer of an agent with an output schema: validated, sent back once, then a clear failure. */
class AgentLoopOutputTest {

  private static final OutputSchema SCHEMA = OutputSchema.parse("""
      {"type":"object","properties":{"answer":{"type":"string"},"confidence":{"type":"number"}},
       "required":["answer","confidence"],"additionalProperties":false}""");

  private final List<Step> steps = new ArrayList<>();

  private AgentLoop loop() {
    AgentLoop.Limits limits = new AgentLoop.Limits("", true, 8, 3, "system", 0, 0, 60_000).withOutputSchema(SCHEMA);
    return new AgentLoop("s.1", "What is 1+1?", "0af7651916cd43dd8448eb211c80319c", limits, List.of(), null,
        t -> false, new AgentLoop.Recorder() {
          @Override
          public void step(Step step) {
            steps.add(step);
          }

          @Override
          public void event(String type, JsonNode data) {}
        });
  }

  private static LlmGateway.ChatResult text(String text) {
    return LlmGateway.ChatResult.ok(new ChatResponse(ChatMessage.assistant(text), new Usage(10, 5), FinishReason.STOP,
        "m", "p"));
  }

  private AgentLoop.CallModel started(AgentLoop loop) {
    assertInstanceOf(AgentLoop.CheckIntent.class, loop.start());
    return (AgentLoop.CallModel) loop.step(new AgentLoop.IntentChecked(Verdict.allow(),
        List.of(new ToolSpec("calculator", "", Json.object())), List.of()));
  }

  @Test
  void theRequestAsksForTheSchemaAndAValidAnswerBecomesTheOutput() {
    AgentLoop loop = loop();
    AgentLoop.CallModel call = started(loop);
    assertEquals(SCHEMA.json(), call.request().output().schema());
    assertTrue(call.request().output().strict(), "every property required, no others: strict fits");
    assertFalse(call.request().stream(), "a structured answer is not streamed");
    var check = (AgentLoop.CheckAnswer) loop.step(new AgentLoop.ModelReplied(1,
        text("```json\n{\"answer\":\"2\",\"confidence\":0.9}\n```")));
    assertEquals("{\"answer\":\"2\",\"confidence\":0.9}", check.answer(), "the guardrail checks the JSON");
    var finish = (AgentLoop.Finish) loop.step(new AgentLoop.AnswerChecked(check.attempt(), Verdict.allow()));
    assertEquals(IntentStatus.SUCCEEDED, finish.status());
    assertEquals(Json.parse("{\"answer\":\"2\",\"confidence\":0.9}"), finish.outcome().output());
    assertEquals("{\"answer\":\"2\",\"confidence\":0.9}", finish.outcome().answer());
    assertTrue(steps.stream().anyMatch(s -> s.name().equals("output_schema") && s.status().equals("ok")));
  }

  @Test
  void anInvalidAnswerGoesBackOnceWithTheErrorsAndAValidSecondOneSucceeds() {
    AgentLoop loop = loop();
    started(loop);
    var again = (AgentLoop.CallModel) loop.step(new AgentLoop.ModelReplied(1, text("{\"answer\":2}")));
    List<ChatMessage> sent = again.request().messages();
    ChatMessage feedback = sent.get(sent.size() - 1);
    assertEquals(ChatMessage.Role.USER, feedback.role());
    assertTrue(feedback.content().contains("confidence") && feedback.content().contains("$.answer"), feedback.content());
    assertEquals("{\"answer\":2}", sent.get(sent.size() - 2).content(), "the model sees what it answered");
    var check = (AgentLoop.CheckAnswer) loop.step(new AgentLoop.ModelReplied(2,
        text("{\"answer\":\"2\",\"confidence\":1}")));
    var finish = (AgentLoop.Finish) loop.step(new AgentLoop.AnswerChecked(check.attempt(), Verdict.allow()));
    assertEquals(IntentStatus.SUCCEEDED, finish.status());
    assertEquals(1, finish.outcome().output().path("confidence").asInt());
    assertEquals(List.of("error", "ok"), steps.stream().filter(s -> s.name().equals("output_schema"))
        .map(Step::status).toList());
  }

  @Test
  void stillInvalidTheIntentFailsWithAClearOutcome() {
    AgentLoop loop = loop();
    started(loop);
    assertInstanceOf(AgentLoop.CallModel.class, loop.step(new AgentLoop.ModelReplied(1, text("two, I think"))));
    var finish = (AgentLoop.Finish) loop.step(new AgentLoop.ModelReplied(2, text("{\"answer\":\"2\"}")));
    assertEquals(IntentStatus.FAILED, finish.status());
    assertEquals("invalid_output", finish.outcome().errorCode());
    assertTrue(finish.outcome().error().startsWith("The answer did not match the agent's output schema after 2 attempts"),
        finish.outcome().error());
    assertTrue(finish.outcome().error().contains("confidence"), finish.outcome().error());
    assertNull(finish.outcome().output());
  }

  @Test
  void aGuardrailRewriteMustStillMatchTheSchema() {
    AgentLoop loop = loop();
    started(loop);
    var check = (AgentLoop.CheckAnswer) loop.step(new AgentLoop.ModelReplied(1,
        text("{\"answer\":\"key sk-123\",\"confidence\":1}")));
    var finish = (AgentLoop.Finish) loop.step(new AgentLoop.AnswerChecked(check.attempt(),
        Verdict.rewrite("redact", "a key", "{\"answer\":\"key [redacted]\",\"confidence\":1}")));
    assertEquals("key [redacted]", finish.outcome().output().path("answer").asText(), "the client gets the rewrite");

    AgentLoop broken = loop();
    started(broken);
    var check2 = (AgentLoop.CheckAnswer) broken.step(new AgentLoop.ModelReplied(1,
        text("{\"answer\":\"x\",\"confidence\":1}")));
    var failed = (AgentLoop.Finish) broken.step(new AgentLoop.AnswerChecked(check2.attempt(),
        Verdict.rewrite("redact", "a key", "[redacted]")));
    assertEquals("invalid_output", failed.outcome().errorCode());
  }
}
