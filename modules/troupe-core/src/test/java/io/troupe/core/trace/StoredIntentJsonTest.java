package io.troupe.core.trace;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.troupe.core.json.Json;
import io.troupe.core.session.IntentEvent;
import io.troupe.core.session.Step;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The trace table keeps a StoredIntent encoded (CBOR with Json.MAPPER's settings); rows written as
 * JSON before still read. Either way it must read back equal.
 */
class StoredIntentJsonTest {

  private static StoredIntent roundTrip(StoredIntent stored) throws Exception {
    StoredIntent fromJson = StoredIntent.decode(stored.toJson());
    StoredIntent decoded = StoredIntent.decode(stored.encode());
    assertEquals(fromJson, decoded, "the JSON and the CBOR forms read back the same");
    return decoded;
  }

  @Test
  void everyFieldRoundTrips() throws Exception {
    StoredIntent stored = TraceFixtures.stored("i-1", "s-1");
    assertEquals(stored, roundTrip(stored));
  }

  @Test
  void nullsAndEmptyListsRoundTrip() throws Exception {
    StoredIntent sparse = new StoredIntent(TraceStore.withSteps(TraceFixtures.sparseView("i-2", "s-2"),
        List.of(new Step(1, "model", null, "error", 5L, 0L, null, "ab", null))),
        List.of(new IntentEvent(1, "intent.failed", 7L, null)));
    StoredIntent back = roundTrip(sparse);
    assertEquals(sparse, back);
    assertNull(back.view().metadata());
    assertNull(back.view().steps().get(0).detail());
    assertNull(back.events().get(0).data());
  }

  /** A long that fits an int comes back as an int node: equal JSON, not an equal node. */
  @Test
  void numbersKeepTheirJson() throws Exception {
    StoredIntent stored = new StoredIntent(TraceFixtures.view("i-3", "s-3"),
        List.of(new IntentEvent(1, "x", 1L, Json.object().put("n", 1L).put("big", Long.MAX_VALUE).put("d", 0.1))));
    assertEquals(Json.write(stored), Json.write(roundTrip(stored)));
  }

  /** An event that carries a step's detail (a verdict, a model or tool call) names the step: written once. */
  @Test
  void anEventSharingAStepsDetailIsWrittenOnceAndReadBackWithIt() throws Exception {
    var detail = Json.object().put("tool", "calculator").put("output", "a fairly long output that should not repeat");
    StoredIntent stored = new StoredIntent(TraceStore.withSteps(TraceFixtures.view("i-4", "s-4"),
        List.of(new Step(1, "tool", "calculator", "ok", 5L, 6L, detail, "ab", null))),
        List.of(new IntentEvent(1, "tool.completed", 6L, detail)));
    String json = new String(stored.toJson(), java.nio.charset.StandardCharsets.UTF_8);
    assertEquals(json.indexOf("should not repeat"), json.lastIndexOf("should not repeat"), json);
    String cbor = new String(stored.encode(), java.nio.charset.StandardCharsets.ISO_8859_1);
    assertEquals(cbor.indexOf("should not repeat"), cbor.lastIndexOf("should not repeat"));
    assertEquals(stored, roundTrip(stored));
  }
}
