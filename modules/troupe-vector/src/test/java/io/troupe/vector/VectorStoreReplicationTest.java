package io.troupe.vector;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import io.troupe.core.runtime.Lifecycle;
import io.troupe.core.vector.VectorStore;
import io.troupe.core.vector.VectorStore.Deleted;
import io.troupe.core.vector.VectorStore.Document;
import io.troupe.core.vector.VectorStore.Hit;
import io.troupe.core.vector.VectorStore.SearchResult;
import io.troupe.core.vector.VectorStore.Upserted;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.pattern.StatusReply;
import org.apache.pekko.persistence.testkit.PersistenceTestKitPlugin;
import org.apache.pekko.persistence.testkit.PersistenceTestKitSnapshotPlugin;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two "nodes": two stores with index directories of their own, sharing one journal (the
 * persistence testkit's in-memory journal and its read journal) and one document log.
 */
class VectorStoreReplicationTest {

  static final Duration WAIT = Duration.ofSeconds(10);
  static final int DIMENSION = 64;
  static final ReplicationSettings REPLICATION = new ReplicationSettings(true, "pekko.persistence.testkit.query",
      Duration.ofSeconds(5), 256, 3, Duration.ofMillis(100), Duration.ofSeconds(1));

  @TempDir Path dir;

  ActorTestKit testKit; // one per test: the in-memory journal lives as long as its actor system
  ActorRef<DocumentLog.Command> log;

  @BeforeEach
  void start() {
    testKit = ActorTestKit.create(PersistenceTestKitPlugin.config()
        .withFallback(PersistenceTestKitSnapshotPlugin.config())
        .withFallback(ConfigFactory.load()));
    log = testKit.spawn(DocumentLog.create(DocumentLog.PERSISTENCE_ID, REPLICATION.snapshotEvery()));
  }

  @AfterEach
  void stop() {
    testKit.shutdownTestKit();
  }

  ActorRef<VectorStore.Command> node(String name) {
    VectorStoreSettings settings = VectorStoreSettings.of(dir.resolve(name).resolve("index"), "hashing", DIMENSION);
    ActorRef<VectorStore.Command> store = testKit.spawn(VectorStoreActor.create(settings,
        EmbedderFactory.of(new HashingEmbedder(DIMENSION), settings.embedBatchSize()), REPLICATION, log));
    TestProbe<Lifecycle.Initialized> probe = testKit.createTestProbe();
    store.tell(new Lifecycle.Init(probe.getRef()));
    assertEquals(Lifecycle.Initialized.ok(VectorStoreActor.NAME), probe.receiveMessage(WAIT));
    return store;
  }

  static Document doc(String id, String text) {
    return new Document(id, text, Map.of("source", "test"));
  }

  void upsert(ActorRef<VectorStore.Command> store, Document... documents) {
    TestProbe<StatusReply<Upserted>> probe = testKit.createTestProbe();
    store.tell(new VectorStore.Upsert(List.of(documents), probe.getRef()));
    StatusReply<Upserted> reply = probe.receiveMessage(WAIT);
    assertTrue(reply.isSuccess(), () -> reply.getError().getMessage());
  }

  Deleted delete(ActorRef<VectorStore.Command> store, String id) {
    TestProbe<StatusReply<Deleted>> probe = testKit.createTestProbe();
    store.tell(new VectorStore.Delete(id, probe.getRef()));
    StatusReply<Deleted> reply = probe.receiveMessage(WAIT);
    assertTrue(reply.isSuccess(), () -> reply.getError().getMessage());
    return reply.getValue();
  }

  List<Hit> hits(ActorRef<VectorStore.Command> store, String query) {
    TestProbe<StatusReply<SearchResult>> probe = testKit.createTestProbe();
    store.tell(new VectorStore.Search(query, 10, Map.of(), probe.getRef()));
    StatusReply<SearchResult> reply = probe.receiveMessage(WAIT);
    assertTrue(reply.isSuccess(), () -> reply.getError().getMessage());
    return reply.getValue().hits();
  }

  List<String> ids(ActorRef<VectorStore.Command> store, String query) {
    return hits(store, query).stream().map(Hit::id).distinct().sorted().toList();
  }

  VectorStoreActor.ReplicationStatus status(ActorRef<VectorStore.Command> store) {
    TestProbe<VectorStoreActor.ReplicationStatus> probe = testKit.createTestProbe();
    store.tell(new VectorStoreActor.GetReplicationStatus(probe.getRef()));
    return probe.receiveMessage(WAIT);
  }

  /** Waits (bounded) until {@code store} has applied the log up to {@code seq}. */
  VectorStoreActor.ReplicationStatus awaitApplied(ActorRef<VectorStore.Command> store, long seq) {
    TestProbe<Object> probe = testKit.createTestProbe();
    return probe.awaitAssert(WAIT, Duration.ofMillis(20), () -> {
      VectorStoreActor.ReplicationStatus status = status(store);
      assertEquals(seq, status.appliedSeq(), status.toString());
      return status;
    });
  }

  /** Reads the stored sequence number from the index's last commit, as a restart would. */
  static long committedSeq(Path indexDir) throws Exception {
    try (var directory = org.apache.lucene.store.FSDirectory.open(indexDir)) {
      return Long.parseLong(org.apache.lucene.index.SegmentInfos.readLatestCommit(directory).getUserData()
          .getOrDefault(LuceneIndex.APPLIED_SEQ_KEY, "0"));
    }
  }

  @Test
  void aDocumentIngestedThroughOneNodeIsFoundOnTheOther() {
    ActorRef<VectorStore.Command> a = node("a");
    ActorRef<VectorStore.Command> b = node("b");
    upsert(a, doc("refunds", "Refunds are paid back within 14 days after we receive the returned item."));
    // Read-your-writes on the ingesting node: no wait.
    assertEquals(List.of("refunds"), ids(a, "when do I get my refund"));
    TestProbe<Object> probe = testKit.createTestProbe();
    probe.awaitAssert(WAIT, Duration.ofMillis(20), () -> {
      assertEquals(List.of("refunds"), ids(b, "when do I get my refund"));
      return null;
    });
    assertEquals(1, status(b).appliedSeq());
  }

  @Test
  void aDeleteThroughOneNodeDisappearsFromTheOther() {
    ActorRef<VectorStore.Command> a = node("a");
    ActorRef<VectorStore.Command> b = node("b");
    upsert(a, doc("shipping", "Orders ship within two business days."), doc("office", "Our office in Lyon is closed on holidays."));
    awaitApplied(b, 1);
    Deleted deleted = delete(b, "shipping");
    assertTrue(deleted.existed());
    assertEquals(List.of("office"), ids(b, "when do orders ship"));
    TestProbe<Object> probe = testKit.createTestProbe();
    probe.awaitAssert(WAIT, Duration.ofMillis(20), () -> {
      assertEquals(List.of("office"), ids(a, "when do orders ship"));
      return null;
    });
    assertFalse(delete(a, "shipping").existed(), "A has applied the delete, so a second one finds nothing");
  }

  @Test
  void aRestartedNodeCatchesUpWithOnlyTheEventsItMissed() throws Exception {
    ActorRef<VectorStore.Command> a = node("a");
    ActorRef<VectorStore.Command> b = node("b");
    upsert(a, doc("one", "The first document talks about apples."));
    upsert(a, doc("two", "The second document talks about bananas."));
    awaitApplied(b, 2);
    testKit.stop(b, WAIT);
    assertEquals(2, committedSeq(dir.resolve("b").resolve("index")));

    upsert(a, doc("three", "The third document talks about cherries."));
    delete(a, "one");
    upsert(a, doc("four", "The fourth document talks about dates."));

    ActorRef<VectorStore.Command> again = node("b"); // the same directory
    VectorStoreActor.ReplicationStatus status = awaitApplied(again, 5);
    assertEquals(3, status.followedFrom(), "it follows the log from after its index's last event");
    assertEquals(3, status.eventsApplied(), "only the events it missed");
    assertEquals(List.of("four", "three", "two"), ids(again, "fruit"));
    assertEquals(5, committedSeq(dir.resolve("a").resolve("index")));
  }

  @Test
  void aNodeWithAnEmptyIndexRebuildsEverythingFromTheJournal() {
    ActorRef<VectorStore.Command> a = node("a");
    for (int i = 0; i < 7; i++) {
      upsert(a, doc("d" + i, "Document number " + i + " is about the weather in spring."));
    }
    delete(a, "d3");
    upsert(a, doc("d0", "Document zero was rewritten to be about winter storms."));

    ActorRef<VectorStore.Command> fresh = node("fresh");
    VectorStoreActor.ReplicationStatus status = awaitApplied(fresh, 9);
    assertEquals(1, status.followedFrom());
    assertEquals(9, status.eventsApplied());
    assertEquals(List.of("d0", "d1", "d2", "d4", "d5", "d6"), ids(fresh, "weather"));
    Hit zero = hits(fresh, "winter storms").get(0);
    assertEquals("d0", zero.id());
    assertTrue(zero.text().contains("winter"), zero.text());
  }

  @Test
  void anAcknowledgedDocumentOutlivesTheNodeThatIngestedItAndTheLogEntity() {
    ActorRef<VectorStore.Command> a = node("a");
    upsert(a, doc("gdpr", "You may ask us to export or erase your personal data under the GDPR."));
    testKit.stop(a, WAIT); // right after the acknowledgement
    testKit.stop(log, WAIT); // the log's entity goes with the node it lived on
    log = testKit.spawn(DocumentLog.create(DocumentLog.PERSISTENCE_ID, REPLICATION.snapshotEvery()));

    ActorRef<VectorStore.Command> b = node("b");
    awaitApplied(b, 1);
    assertEquals(List.of("gdpr"), ids(b, "erase my personal data"));
    // The recovered log numbers on from where it was.
    upsert(b, doc("invoice", "You can download every invoice as a PDF."));
    assertEquals(2, status(b).appliedSeq());
  }

  @Test
  void concurrentWritesToOneDocumentEndTheSameOnEveryNode() {
    ActorRef<VectorStore.Command> a = node("a");
    ActorRef<VectorStore.Command> b = node("b");
    TestProbe<StatusReply<Upserted>> fromA = testKit.createTestProbe();
    TestProbe<StatusReply<Upserted>> fromB = testKit.createTestProbe();
    for (int i = 0; i < 5; i++) {
      a.tell(new VectorStore.Upsert(List.of(doc("x", "version from A number " + i)), fromA.getRef()));
      b.tell(new VectorStore.Upsert(List.of(doc("x", "version from B number " + i)), fromB.getRef()));
    }
    for (int i = 0; i < 5; i++) {
      assertTrue(fromA.receiveMessage(WAIT).isSuccess());
      assertTrue(fromB.receiveMessage(WAIT).isSuccess());
    }
    awaitApplied(a, 10);
    awaitApplied(b, 10);
    assertEquals(hits(a, "version").get(0).text(), hits(b, "version").get(0).text());
    assertEquals(1, hits(a, "version").size());
  }

  @Test
  void eventsAndTheAppendCommandSurviveSerialization() {
    var serialization = testKit.serializationTestKit();
    DocumentLog.Event event = new DocumentLog.DocumentsUpserted("hashing-v1-64", List.of(new DocumentLog.LoggedDocument(
        doc("a", "some text"), List.of(new DocumentLog.LoggedChunk(0, 0, 9, new float[] {0.5f, -1f})))));
    DocumentLog.DocumentsUpserted back = (DocumentLog.DocumentsUpserted) serialization.verifySerialization(event, false);
    assertEquals(-1f, back.documents().get(0).chunks().get(0).vector()[1]);
    TestProbe<StatusReply<DocumentLog.Appended>> probe = testKit.createTestProbe();
    serialization.verifySerialization(new DocumentLog.Append(List.of(new DocumentLog.DocumentDeleted("a")), probe.getRef()), true);
    serialization.verifySerialization(new DocumentLog.Appended(1, 2), true);
  }
}
