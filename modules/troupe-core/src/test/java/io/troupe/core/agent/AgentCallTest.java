package io.troupe.core.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.troupe.core.json.Json;
import io.troupe.core.llm.ToolCall;
import io.troupe.core.session.IntentStatus;
import io.troupe.core.session.IntentUsage;
import io.troupe.core.session.IntentView;
import io.troupe.core.session.Outcome;
import io.troupe.core.session.SessionEntity;
import io.troupe.core.tools.ToolContext;
import io.troupe.core.tools.ToolResult;
import java.time.Duration;
import java.util.List;
import org.apache.pekko.actor.testkit.typed.annotations.JUnit5TestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.ManualTime;
import org.apache.pekko.actor.testkit.typed.javadsl.TestKitJUnit5Extension;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.pattern.StatusReply;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** One agent call: it submits its child, asks again while it waits, and answers once with the child's end. */
@ExtendWith(TestKitJUnit5Extension.class)
class AgentCallTest {

  @JUnit5TestKit public ActorTestKit testKit = ActorTestKit.create(ManualTime.config());

  private final ManualTime time = ManualTime.get(testKit.system());
  private final TestProbe<SessionEntity.Command> session = testKit.createTestProbe();
  private final TestProbe<ToolResult> results = testKit.createTestProbe();

  @Test
  void whileTheChildRunsTheCallAsksItsSessionAgainWithTheSameKeyAndAnswersOnce() {
    ToolCall call = new ToolCall("c1", "agent_math", Json.object().put("input", "6*7"));
    var ref = testKit.spawn(AgentCall.create(7, call, new ToolContext("s.1", "s", "c1", "s.1/1/c1"),
        new ChildRun("math", null, 1, 4), results.getRef(), id -> session.getRef(), Duration.ofSeconds(10)));
    var first = session.expectMessageClass(SessionEntity.SubmitAndWait.class);
    time.expectNoMessageFor(Duration.ofSeconds(9), session);
    time.timePasses(Duration.ofSeconds(1));
    var again = session.expectMessageClass(SessionEntity.SubmitAndWait.class);
    assertEquals(first.idempotencyKey(), again.idempotencyKey(), "the same key: the same child");
    assertEquals(first.text(), again.text());

    again.replyTo().tell(StatusReply.success(new IntentView("x.1", "x", IntentStatus.SUCCEEDED, "6*7", null, 1, 2,
        Outcome.answered("42"), List.of(), IntentUsage.NONE, null)));
    ToolResult result = results.receiveMessage();
    assertEquals(7, result.corr());
    assertEquals("\"42\"", result.contentForModel());
    session.expectTerminated(ref);
  }
}
