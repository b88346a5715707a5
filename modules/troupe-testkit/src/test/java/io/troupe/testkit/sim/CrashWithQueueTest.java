package io.troupe.testkit.sim;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.troupe.core.session.IntentView;
import io.troupe.testkit.TestAgent;
import io.troupe.testkit.model.Reply;
import io.troupe.testkit.model.Requests;
import io.troupe.testkit.model.ScriptedModel;
import io.troupe.testkit.tools.FakeTool;
import io.troupe.testkit.tools.FakeToolRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.pekko.actor.testkit.typed.annotations.JUnit5TestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestKitJUnit5Extension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** A session that crashes with a run going and intents queued behind it: every one of them ends. */
@ExtendWith(TestKitJUnit5Extension.class)
class CrashWithQueueTest {

  @JUnit5TestKit public ActorTestKit kit = ActorTestKit.create(TestAgent.config());

  @Test
  void everyQueuedIntentEndsAfterACrash() {
    ScriptedModel model = ScriptedModel.create()
        .when(Requests.hasToolResult(), Reply.text("done"))
        .when(Requests.lastUserMessageContains("tool"), Reply.callTool("notify", "{}"))
        .when(Requests.any(), Reply.text("ok"));
    FakeTool notify = FakeTool.sideEffecting("notify").withLatency(Duration.ofMillis(300));
    TestAgent agent = TestAgent.start(kit, model, FakeToolRegistry.of(notify));
    var session = agent.session("s-q");
    List<String> ids = new ArrayList<>();
    ids.add(agent.submit(session, "tool one").id());
    ids.add(agent.submit(session, "plain").id());
    ids.add(agent.submit(session, "tool two").id());
    ids.add(agent.submit(session, "plain again").id());
    session = agent.restart(session, "s-q");
    for (String id : ids) {
      IntentView done = agent.awaitEnd(session, id, Duration.ofSeconds(1), 120);
      assertTrue(done.status().isTerminal(), id);
    }
  }
}
