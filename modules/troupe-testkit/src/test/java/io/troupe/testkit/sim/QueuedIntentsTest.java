package io.troupe.testkit.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.troupe.core.session.IntentStatus;
import io.troupe.core.session.IntentView;
import io.troupe.testkit.TestAgent;
import io.troupe.testkit.model.Reply;
import io.troupe.testkit.model.Requests;
import io.troupe.testkit.model.ScriptedModel;
import io.troupe.testkit.tools.FakeToolRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.pekko.actor.testkit.typed.annotations.JUnit5TestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestKitJUnit5Extension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Found by the simulation: a session with more intents open than it keeps summaries of. */
@ExtendWith(TestKitJUnit5Extension.class)
class QueuedIntentsTest {

  @JUnit5TestKit public ActorTestKit kit = ActorTestKit.create(TestAgent.config());

  @Test
  void moreQueuedIntentsThanRecentIntentsAllEnd() {
    ScriptedModel model = ScriptedModel.create().when(Requests.any(), Reply.text("ok").after(Duration.ofMillis(100)));
    TestAgent agent = TestAgent.start(kit, model, FakeToolRegistry.of());
    var session = agent.session("s-many");
    int n = agent.settings().recentIntents() + 2;
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      ids.add(agent.submit(session, "intent " + i).id());
    }
    for (String id : ids) {
      IntentView done = agent.awaitEnd(session, id, Duration.ofMillis(100), 50);
      assertEquals(IntentStatus.SUCCEEDED, done.status(), id);
    }
  }
}
