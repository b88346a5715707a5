package io.troupe.examples;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * CI runs the example: its tool answers, its policy keeps the model away from another shop's order,
 * and its front-desk agent gets the answer from its orders agent.
 */
class SupportServiceTest {

  @Test
  void theServicesToolAnswersAndItsPolicyRefuses(@TempDir Path dataDir) throws Exception {
    var results = SupportService.run(dataDir);
    var mine = results.get(0);
    assertTrue(mine.succeeded() && mine.answer().contains("shipped"), mine.toString());
    var theirs = results.get(1);
    // The denied call becomes a result that names the policy; the model answers with it.
    assertTrue(theirs.succeeded() && theirs.answer().contains("own-orders-only"), theirs.toString());
    // One agent calling the other: support asked orders, whose tool knew the order.
    var delegated = results.get(2);
    assertTrue(delegated.succeeded() && "support".equals(delegated.agent()), delegated.toString());
    assertTrue(delegated.answer().contains("packing"), delegated.toString());
  }
}
