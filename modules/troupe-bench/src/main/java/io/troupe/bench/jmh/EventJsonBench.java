package io.troupe.bench.jmh;

import io.troupe.core.json.Json;
import io.troupe.core.session.SessionEntity;
import io.troupe.http.intents.IntentJson;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.serialization.SerializationExtension;
import org.apache.pekko.serialization.SerializerWithStringManifest;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.infra.Blackhole;

/**
 * The session's journal events through the serializer the journal uses (jackson-cbor, bound to
 * CborSerializable), and the HTTP JSON of an intent and of one stream event.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class EventJsonBench {

  private ActorSystem<Void> system;
  private SerializerWithStringManifest serializer;
  private SampleIntent intent;
  private List<SessionEntity.Event> events;
  private byte[][] encodedEvents;
  private String[] manifests;
  private byte[] encodedToolStep;
  private String toolStepManifest;

  @Setup(Level.Trial)
  public void setUp() throws Exception {
    system = LocalSystem.create("event-json-bench");
    intent = new SampleIntent();
    events = intent.events();
    var serialization = SerializationExtension.get(Adapter.toClassic(system));
    serializer = (SerializerWithStringManifest) serialization.serializerFor(SessionEntity.IntentProgressed.class);
    if (!serializer.getClass().getSimpleName().contains("Cbor")) {
      throw new IllegalStateException("journal events are not bound to jackson-cbor here: " + serializer.getClass());
    }
    encodedEvents = new byte[events.size()][];
    manifests = new String[events.size()];
    for (int i = 0; i < events.size(); i++) {
      encodedEvents[i] = serializer.toBinary(events.get(i));
      manifests[i] = serializer.manifest(events.get(i));
      if (!serializer.fromBinary(encodedEvents[i], manifests[i]).equals(events.get(i))) {
        throw new IllegalStateException("event " + i + " does not survive a round trip");
      }
    }
    encodedToolStep = serializer.toBinary(intent.toolCompleted);
    toolStepManifest = serializer.manifest(intent.toolCompleted);
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    system.terminate();
  }

  /** One tool.completed step (event, step, usage and the tool's message), to CBOR. */
  @Benchmark
  public byte[] encodeToolStep() {
    return serializer.toBinary(intent.toolCompleted);
  }

  @Benchmark
  public Object decodeToolStep() throws Exception {
    return serializer.fromBinary(encodedToolStep, toolStepManifest);
  }

  /** Every event of the sample intent (43), as a journal that serializes writes them. */
  @Benchmark
  public void encodeWholeIntent(Blackhole bh) {
    for (SessionEntity.Event e : events) {
      bh.consume(serializer.manifest(e));
      bh.consume(serializer.toBinary(e));
    }
  }

  /** Every event of the sample intent, as recovery reads them back. */
  @Benchmark
  public void decodeWholeIntent(Blackhole bh) throws Exception {
    for (int i = 0; i < encodedEvents.length; i++) {
      bh.consume(serializer.fromBinary(encodedEvents[i], manifests[i]));
    }
  }

  /** GET /v1/intents/{id} of the finished sample intent (27 steps): the resource as JSON text. */
  @Benchmark
  public String renderIntentView() {
    return Json.write(IntentJson.resource(intent.view));
  }

  /** One tool.completed event of GET /v1/intents/{id}/events, as JSON text. */
  @Benchmark
  public String renderStreamEvent() {
    return Json.write(IntentJson.event(SampleIntent.INTENT_ID, intent.toolCompleted.event()));
  }
}
