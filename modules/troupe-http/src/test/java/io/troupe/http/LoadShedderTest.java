package io.troupe.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.troupe.http.support.ApiError;
import io.troupe.http.support.LoadShedder;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The two bounds of the shedder: intents held, and submissions being accepted at once. */
class LoadShedderTest {

  @Test
  void pendingAcceptsAreBoundedAndGivenBack() {
    LoadShedder shedder = new LoadShedder(() -> 0, 0, 2, 3);
    shedder.beginAccept();
    shedder.beginAccept();
    ApiError full = assertThrows(ApiError.class, shedder::beginAccept);
    assertEquals(503, full.status());
    assertEquals(3, full.retryAfterSeconds().intValue());
    assertEquals(2, shedder.pendingAccepts(), "a refused one takes no place");
    shedder.acceptDone();
    shedder.beginAccept();
    assertEquals(2, shedder.pendingAccepts());
  }

  @Test
  void intentsInFlightAreBoundedAndZeroMeansNoBound() {
    AtomicLong held = new AtomicLong(5);
    LoadShedder shedder = new LoadShedder(held::get, 5, 0, 2);
    assertEquals(503, assertThrows(ApiError.class, shedder::admit).status());
    held.set(4);
    shedder.admit();
    LoadShedder open = new LoadShedder(() -> 1_000_000, 0, 0, 2);
    open.admit();
    for (int i = 0; i < 10_000; i++) {
      open.beginAccept();
    }
  }
}
