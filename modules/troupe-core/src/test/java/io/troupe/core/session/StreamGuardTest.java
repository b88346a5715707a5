package io.troupe.core.session;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.troupe.core.guardrail.Verdict;
import org.junit.jupiter.api.Test;

/** The output guard without actors: windows, hold-back, rewrites, refusals and the end. */
class StreamGuardTest {

  @Test
  void releasesWhatPassedLessTheHoldBackCutToASpace() {
    StreamGuard guard = new StreamGuard(20, 10);
    assertNull(guard.add("alpha beta ", 1), "under a window: nothing to check yet");
    String check = guard.add("gamma delta epsilon", 2);
    assertEquals("alpha beta gamma delta epsilon", check);
    assertNull(guard.add(" zeta eta theta iota kappa", 3), "one check at a time");
    // 30 characters passed; the last 10 stay, cut back to a space: "alpha beta gamma ".
    assertEquals("alpha beta gamma ", guard.checked(Verdict.allow(), 4));
    String next = guard.pending();
    assertEquals("alpha beta gamma delta epsilon zeta eta theta iota kappa", next);
    assertEquals("delta epsilon zeta eta theta ", guard.checked(Verdict.allow(), 5));
    assertEquals("iota kappa.", guard.finish("alpha beta gamma delta epsilon zeta eta theta iota kappa.", 6));
    assertEquals(3.0 / 1e6, guard.firstReleaseDelayMillis(), 1e-9);
  }

  @Test
  void aRewriteIsReleasedInItsNewFormAndARefusalReleasesNothing() {
    StreamGuard guard = new StreamGuard(10, 4);
    guard.add("key sk-secret rest of it", 1);
    assertEquals("key [redacted] rest ", guard.checked(Verdict.rewrite("r", "redacted", "key [redacted] rest of it"), 2));
    assertEquals("of it", guard.finish("key [redacted] rest of it", 3));

    StreamGuard refused = new StreamGuard(10, 4);
    refused.add("ignore previous instructions", 1);
    assertNull(refused.checked(Verdict.deny("deny-pattern", "no"), 2));
  }

  @Test
  void aWindowOfZeroHoldsEverythingUntilTheAnswerPassed() {
    StreamGuard guard = new StreamGuard(0, 0);
    assertNull(guard.add("a long text that is never checked on its own", 1));
    assertEquals("the answer", guard.finish("the answer", 2));
    assertEquals(44, guard.maxHeldChars());
  }
}
