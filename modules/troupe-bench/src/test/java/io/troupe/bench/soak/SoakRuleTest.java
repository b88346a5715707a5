package io.troupe.bench.soak;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.function.IntToDoubleFunction;
import org.junit.jupiter.api.Test;

/** The soak's growth rule: the last third's median against the first third's, with a tolerance. */
class SoakRuleTest {

  private static List<SoakSuite.Sample> samples(int count, IntToDoubleFunction heap, IntToDoubleFunction temp) {
    List<SoakSuite.Sample> out = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      out.add(new SoakSuite.Sample(i * 10, heap.applyAsDouble(i), 80, 60, (int) temp.applyAsDouble(i), 400, i, 0, 0));
    }
    return out;
  }

  @Test
  void aNoisyButBoundedHeapIsFlat() {
    // Swings by 15 MiB from sample to sample around 50 MiB, as measured.
    var v = SoakSuite.judge(SoakSuite.Resource.HEAP, samples(30, i -> i % 2 == 0 ? 42 : 57, i -> 0));
    assertFalse(v.grows(), v.toString());
  }

  @Test
  void aHeapGrowingTwoMibAMinuteGrowsOverThirtyMinutes() {
    // 180 samples (30 minutes), +2 MiB a minute = +1/3 MiB per sample.
    var v = SoakSuite.judge(SoakSuite.Resource.HEAP, samples(180, i -> 50 + i / 3.0, i -> 0));
    assertTrue(v.grows(), v.toString());
    assertEquals(2.0, v.slopePerMinute(), 0.01);
  }

  @Test
  void oneTempFileMoreIsGrowth() {
    var v = SoakSuite.judge(SoakSuite.Resource.TEMP, samples(12, i -> 50, i -> i < 8 ? 0 : 1));
    assertTrue(v.grows(), v.toString());
  }
}
