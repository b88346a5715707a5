package io.troupe.core.session;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.troupe.core.llm.Usage;
import org.junit.jupiter.api.Test;

class IntentUsageTest {

  @Test
  void costsAddUpOverModelCalls() {
    IntentUsage u = IntentUsage.NONE
        .plusModelCall(new Usage(100, 20, 0.25))
        .plusToolCall()
        .plusModelCall(new Usage(10, 5)) // unpriced
        .plusModelCall(new Usage(1, 1, 0.5));
    assertEquals(new IntentUsage(111, 26, 3, 1, 0.75), u);
    assertEquals(new IntentUsage(222, 52, 6, 2, 1.5), u.plus(u));
    assertEquals(0.0, new IntentUsage(1, 2, 3, 4).costUsd());
  }

  @Test
  void oldJournalEntriesWithoutACostStillRead() throws Exception {
    ObjectMapper json = new ObjectMapper();
    IntentUsage old = json.readValue(
        "{\"inputTokens\":3,\"outputTokens\":4,\"modelCalls\":1,\"toolCalls\":0}", IntentUsage.class);
    assertEquals(new IntentUsage(3, 4, 1, 0), old);
    Usage usage = json.readValue("{\"inputTokens\":3,\"outputTokens\":4}", Usage.class);
    assertEquals(new Usage(3, 4), usage);
    assertEquals(new Usage(3, 4, 0.1), json.readValue(json.writeValueAsString(new Usage(3, 4, 0.1)), Usage.class));
  }
}
