package io.troupe.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.troupe.core.agent.AgentSpec;
import io.troupe.core.agent.AgentTools;
import io.troupe.core.json.Json;
import io.troupe.core.tools.Tool;
import io.troupe.tools.api.Tools;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A node stops while an agent called as a tool is running (its child intent waits on a tool); the
 * node comes back: the parent resumes, finds the same child (which resumes too), and the child runs
 * once: its session holds one intent.
 */
class AgentCallRestartTest {

  @TempDir
  Path dataDir;

  private static final AgentSpec WORKER = AgentSpec.builder("worker").description("Does the work")
      .tools(List.of("work")).build();
  private static final AgentSpec BOSS = AgentSpec.builder(AgentSpec.DEFAULT).description("Delegates")
      .tools(List.of()).agents(List.of("worker")).build();

  private Troupe start(CompletableFuture<Void> started, AtomicInteger runs, boolean answer) {
    return Troupe.builder()
        .dataDir(dataDir)
        .tool(Tools.builder("work").description("Works").effect(Tool.Effect.READ_ONLY).timeout(Duration.ofHours(1))
            .handler((args, ctx) -> {
              runs.incrementAndGet();
              started.complete(null);
              return answer ? CompletableFuture.completedFuture(Json.object().put("done", "yes"))
                  : new CompletableFuture<>(); // never answers: the node stops first
            })
            .build())
        .agent(WORKER)
        .agent(BOSS)
        .start();
  }

  @Test
  void aParentResumedAfterARestartDoesNotRunItsChildTwice() throws Exception {
    String text = "use agent_worker with {\"input\":\"use work with {}\"}";
    String parentId;
    CompletableFuture<Void> firstStarted = new CompletableFuture<>();
    AtomicInteger firstRuns = new AtomicInteger();
    try (Troupe first = start(firstStarted, firstRuns, false)) {
      parentId = first.accept(text, "boss-session").toCompletableFuture().get(30, TimeUnit.SECONDS).id();
      firstStarted.get(30, TimeUnit.SECONDS); // the child's tool is running: the node stops now
    }
    String childId = AgentTools.childIntent(parentId, parentId + "/1/call_1");

    AtomicInteger secondRuns = new AtomicInteger();
    try (Troupe second = start(new CompletableFuture<>(), secondRuns, true)) {
      IntentResult parent = second.result(parentId).toCompletableFuture().get(60, TimeUnit.SECONDS);
      assertEquals("succeeded", parent.status(), parent.toString());
      assertTrue(parent.answer().contains("yes"), parent.toString());

      IntentResult child = second.result(childId).toCompletableFuture().get(60, TimeUnit.SECONDS);
      assertEquals("succeeded", child.status(), child.toString());
      assertEquals("worker", child.agent());
      assertEquals(1, firstRuns.get());
      assertEquals(1, secondRuns.get(), "the resumed child runs its cut (read-only) turn again, once");
      var none = second.result(childId.substring(0, childId.length() - 1) + "2").toCompletableFuture();
      assertTrue(fails(none), "the child's session accepted one intent only: the parent found the first");
    }
  }

  private static boolean fails(CompletableFuture<IntentResult> f) {
    try {
      f.get(30, TimeUnit.SECONDS);
      return false;
    } catch (Exception notFound) {
      return true;
    }
  }
}
