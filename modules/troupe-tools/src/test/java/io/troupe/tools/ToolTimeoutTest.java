package io.troupe.tools;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.typesafe.config.ConfigFactory;
import io.troupe.core.json.Json;
import io.troupe.core.llm.ToolCall;
import io.troupe.core.runtime.Lifecycle;
import io.troupe.core.tools.ToolContext;
import io.troupe.core.tools.ToolRegistry;
import io.troupe.core.tools.ToolResult;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.apache.pekko.actor.testkit.typed.annotations.JUnit5TestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.JUnit5TestKitBuilder;
import org.apache.pekko.actor.testkit.typed.javadsl.ManualTime;
import org.apache.pekko.actor.testkit.typed.javadsl.TestKitJUnit5Extension;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(TestKitJUnit5Extension.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ToolTimeoutTest {

  @JUnit5TestKit
  public final ActorTestKit testKit = new JUnit5TestKitBuilder().withCustomConfig(ManualTime.config()).build();

  @Test
  void aToolThatDoesNotFinishInTimeGetsAnErrorResult() {
    TestProbe<String> started = testKit.createTestProbe();
    CompletableFuture<JsonNode> never = new CompletableFuture<>();
    FakeTool stuck = FakeTool.async("stuck", (args, ctx) -> {
      started.ref().tell(ctx.callId());
      return never;
    });
    var troupe = ConfigFactory.parseString("troupe.tools.timeout = 2s").withFallback(ConfigFactory.load()).getConfig("troupe");
    ActorRef<ToolRegistry.Command> registry = testKit.spawn(ToolRegistryActor.create(troupe, null, null, List.of(stuck)));
    TestProbe<Lifecycle.Initialized> init = testKit.createTestProbe();
    registry.tell(new Lifecycle.Init(init.ref()));
    init.receiveMessage();

    TestProbe<ToolResult> reply = testKit.createTestProbe();
    registry.tell(new ToolRegistry.Execute(new ToolCall("call_9", "stuck", Json.object()),
        new ToolContext("i", "s", "call_9"), reply.ref()));
    started.receiveMessage(); // the timer runs from here on
    ManualTime time = ManualTime.get(testKit.system());
    time.expectNoMessageFor(Duration.ofMillis(1999), reply);
    time.timePasses(Duration.ofMillis(1));
    ToolResult result = reply.receiveMessage();
    assertEquals("call_9", result.callId());
    assertEquals("the tool 'stuck' timed out after 2000 ms", result.error());

    never.complete(Json.object()); // too late: dropped
    reply.expectNoMessage(Duration.ofMillis(100));
  }
}
