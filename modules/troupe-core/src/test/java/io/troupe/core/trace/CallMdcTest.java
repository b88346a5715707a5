package io.troupe.core.trace;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import org.junit.jupiter.api.Test;
import org.slf4j.MDC;

class CallMdcTest {

  @Test
  void aCallsLogLineNamesItsIntentTenantTraceAndSpanAndNothingLingers() {
    try (var ids = CallMdc.of("acme~s-9.2", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")) {
      assertEquals("acme~s-9.2", MDC.get("intentId"));
      assertEquals("acme", MDC.get("tenant"));
      assertEquals("4bf92f3577b34da6a3ce929d0e0e4736", MDC.get("traceId"));
      assertEquals("00f067aa0ba902b7", MDC.get("spanId"));
    }
    assertNull(MDC.get("intentId"));
    assertNull(MDC.get("traceId"));
  }

  @Test
  void theIntentOfAModelCallKey() {
    assertEquals("acme~s-9.2", CallMdc.intentOfCallKey("acme~s-9.2/model-3"));
    assertEquals("s-1.1", CallMdc.intentOfCallKey("judge:s-1.1:17"));
    assertNull(CallMdc.intentOfCallKey("k"));
    assertNull(CallMdc.intentOfCallKey(null));
  }
}
