// The example of docs/testing.md, kept compiling and passing.
package io.troupe.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.troupe.core.json.Json;
import io.troupe.core.session.IntentStatus;
import io.troupe.core.session.IntentView;
import io.troupe.testkit.TestAgent;
import io.troupe.testkit.model.Reply;
import io.troupe.testkit.model.Requests;
import io.troupe.testkit.model.ScriptedModel;
import io.troupe.testkit.tools.FakeTool;
import io.troupe.testkit.tools.FakeToolRegistry;
import java.time.Duration;
import org.apache.pekko.actor.testkit.typed.annotations.JUnit5TestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestKitJUnit5Extension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(TestKitJUnit5Extension.class)
class WeatherAgentTest {

  @JUnit5TestKit public ActorTestKit kit = ActorTestKit.create(TestAgent.config());

  @Test
  void answersFromTheWeatherTool() {
    FakeTool weather = FakeTool.readOnly("weather").withLatency(Duration.ofSeconds(2))
        .returning(args -> Json.object().put("sky", "sunny"));
    ScriptedModel model = ScriptedModel.create()
        .whenOnce(Requests.any(), Reply.rateLimited(Duration.ofSeconds(1)))
        .when(Requests.hasToolResultFrom("weather"), Reply.text("It is sunny in Oslo."))
        .when(Requests.offersTool("weather"), Reply.callTool("weather", "{\"city\":\"Oslo\"}"));
    TestAgent agent = TestAgent.start(kit, model, FakeToolRegistry.of(weather));
    var session = agent.session("s1");

    assertEquals(IntentStatus.FAILED, agent.run(session, "Weather in Oslo?").status()); // the 429
    IntentView done = agent.run(session, "Weather in Oslo?");

    assertEquals("It is sunny in Oslo.", done.outcome().answer());
    assertEquals("Oslo", weather.calls().get(0).arguments().get("city").asText());
    assertEquals(3, model.requests().size());
  }
}
