package io.troupe.core.trace;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class TraceParentTest {

  @Test
  void aValidHeaderGivesTheCallersTraceSpanAndFlag() {
    TraceParent p = TraceParent.parse("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01").orElseThrow();
    assertEquals("4bf92f3577b34da6a3ce929d0e0e4736", p.traceId());
    assertEquals("00f067aa0ba902b7", p.parentSpanId());
    assertTrue(p.sampled());
    assertFalse(TraceParent.parse("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00").orElseThrow().sampled());
    // A later version may carry more after the flags.
    assertTrue(TraceParent.parse("cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-what-comes").isPresent());
    assertEquals("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
        TraceParent.header(p.traceId(), p.parentSpanId(), true));
  }

  @Test
  void anInvalidHeaderIsIgnored() {
    for (String bad : new String[] {
        "", "garbage", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7",
        "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
        "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",
        "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",
        "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra",
        "00_4bf92f3577b34da6a3ce929d0e0e4736_00f067aa0ba902b7_01",
        "00-4bf92f3577b34da6a3ce929d0e0e473g-00f067aa0ba902b7-01"}) {
      assertFalse(TraceParent.parse(bad).isPresent(), bad);
    }
    assertFalse(TraceParent.parse(null).isPresent());
  }
}
