package io.troupe.vector;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.troupe.core.runtime.Lifecycle;
import io.troupe.core.vector.VectorStore;
import io.troupe.core.vector.VectorStore.Delete;
import io.troupe.core.vector.VectorStore.Deleted;
import io.troupe.core.vector.VectorStore.Document;
import io.troupe.core.vector.VectorStore.Hit;
import io.troupe.core.vector.VectorStore.Search;
import io.troupe.core.vector.VectorStore.SearchResult;
import io.troupe.core.vector.VectorStore.Upsert;
import io.troupe.core.vector.VectorStore.Upserted;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.pattern.StatusReply;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class VectorStoreActorTest {

  static final ActorTestKit testKit = ActorTestKit.create();
  static final Duration WAIT = Duration.ofSeconds(10);

  static final List<Document> KNOWLEDGE_BASE = List.of(
      new Document("password", "To reset your password, open Settings, choose Security and click 'Reset password'. "
          + "We email you a link that is valid for one hour.", Map.of("topic", "account", "lang", "en")),
      new Document("refunds", "Refunds are paid back to the original payment method within 14 days after we receive "
          + "the returned item.", Map.of("topic", "billing", "lang", "en")),
      new Document("shipping", "Orders ship within two business days. Express shipping delivers the next day in most "
          + "cities.", Map.of("topic", "orders", "lang", "en")),
      new Document("invoice", "You can download every invoice as a PDF from the Billing page of your account.",
          Map.of("topic", "billing", "lang", "en")),
      new Document("api-keys", "API keys are created under Developer settings; each key can be revoked at any time.",
          Map.of("topic", "developers", "lang", "en")),
      new Document("livraison", "Les commandes sont expédiées sous deux jours ouvrés.", Map.of("topic", "orders", "lang", "fr")),
      new Document("office", "Our office in Lyon is closed on public holidays.", Map.of("topic", "company", "lang", "en")),
      new Document("gdpr", "You may ask us to export or erase your personal data under the GDPR.",
          Map.of("topic", "privacy", "lang", "en")));

  @TempDir Path dataDir;

  @AfterAll
  static void stopTestKit() {
    testKit.shutdownTestKit();
  }

  static Config troupe(Map<String, Object> settings) {
    // The hashing embedder unless a test asks for another: no model to load, deterministic.
    return ConfigFactory.parseMap(settings)
        .withFallback(ConfigFactory.parseMap(Map.of("troupe.vector-store.embedder", "hashing")))
        .withFallback(ConfigFactory.load()).getConfig("troupe");
  }

  ActorRef<VectorStore.Command> spawn(Path directory, Map<String, Object> settings) {
    return testKit.spawn(VectorStoreActor.create(troupe(settings), directory));
  }

  Lifecycle.Initialized init(ActorRef<VectorStore.Command> store) {
    TestProbe<Lifecycle.Initialized> probe = testKit.createTestProbe();
    store.tell(new Lifecycle.Init(probe.getRef()));
    return probe.receiveMessage(WAIT);
  }

  ActorRef<VectorStore.Command> ready(Path directory) {
    ActorRef<VectorStore.Command> store = spawn(directory, Map.of());
    assertEquals(Lifecycle.Initialized.ok("vector-store"), init(store));
    return store;
  }

  StatusReply<Upserted> upsert(ActorRef<VectorStore.Command> store, List<Document> documents) {
    TestProbe<StatusReply<Upserted>> probe = testKit.createTestProbe();
    store.tell(new Upsert(documents, probe.getRef()));
    return probe.receiveMessage(WAIT);
  }

  StatusReply<SearchResult> search(ActorRef<VectorStore.Command> store, String query, int k, Map<String, String> filter) {
    TestProbe<StatusReply<SearchResult>> probe = testKit.createTestProbe();
    store.tell(new Search(query, k, filter, probe.getRef()));
    return probe.receiveMessage(WAIT);
  }

  List<Hit> hits(ActorRef<VectorStore.Command> store, String query, int k, Map<String, String> filter) {
    StatusReply<SearchResult> reply = search(store, query, k, filter);
    assertTrue(reply.isSuccess(), () -> reply.getError().getMessage());
    return reply.getValue().hits();
  }

  static List<String> ids(List<Hit> hits) {
    return hits.stream().map(Hit::id).toList();
  }

  StatusReply<Deleted> delete(ActorRef<VectorStore.Command> store, String id) {
    TestProbe<StatusReply<Deleted>> probe = testKit.createTestProbe();
    store.tell(new Delete(id, probe.getRef()));
    return probe.receiveMessage(WAIT);
  }

  static String errorOf(StatusReply<?> reply) {
    assertTrue(reply.isError(), () -> "expected an error, got " + reply.getValue());
    return reply.getError().getMessage();
  }

  @Test
  void answersUnavailableAtOnceBeforeInit() {
    ActorRef<VectorStore.Command> store = spawn(dataDir, Map.of());
    String unavailable = Lifecycle.unavailable("vector-store", null);
    assertEquals(unavailable, errorOf(upsert(store, KNOWLEDGE_BASE)));
    assertEquals(unavailable, errorOf(search(store, "password", 3, Map.of())));
    assertEquals(unavailable, errorOf(delete(store, "password")));
  }

  @Test
  void upsertsSearchesAndDeletes() {
    ActorRef<VectorStore.Command> store = ready(dataDir);
    assertEquals(List.of("password", "refunds", "shipping"), upsert(store, KNOWLEDGE_BASE.subList(0, 3)).getValue().ids());

    List<Hit> found = hits(store, "I forgot my password, how can I reset it?", 3, Map.of());
    assertEquals(List.of("password", "refunds", "shipping").size(), found.size());
    Hit best = found.get(0);
    assertEquals("password", best.id());
    assertEquals(KNOWLEDGE_BASE.get(0).text(), best.text());
    assertEquals(Map.of("topic", "account", "lang", "en"), best.metadata());
    assertTrue(best.score() > found.get(1).score() && best.score() <= 1.0, "scores " + found);

    assertEquals(new Deleted("password", true), delete(store, "password").getValue());
    assertEquals(new Deleted("password", false), delete(store, "password").getValue());
    assertFalse(ids(hits(store, "reset password", 10, Map.of())).contains("password"));
  }

  /** A session's documents go with it (DELETE /v1/sessions/{id}): every chunk, nothing else. */
  @Test
  void deletesEveryDocumentWhoseMetadataMatchAndOnlyThose() {
    ActorRef<VectorStore.Command> store = ready(dataDir);
    String longText = "Order 7 was returned on Monday. ".repeat(200); // several chunks
    assertTrue(upsert(store, List.of(
        new Document("notes-1", longText, Map.of("sessionId", "s-1", "troupe.tenant", "acme")),
        new Document("notes-2", "The customer prefers email.", Map.of("sessionId", "s-1", "troupe.tenant", "acme")),
        new Document("notes-3", "Order 7 of another tenant's session s-1.", Map.of("sessionId", "s-1", "troupe.tenant", "beta")),
        new Document("notes-4", "Order 7 in session s-2.", Map.of("sessionId", "s-2", "troupe.tenant", "acme")))).isSuccess());

    TestProbe<StatusReply<VectorStore.DeletedWhere>> probe = testKit.createTestProbe();
    store.tell(new VectorStore.DeleteWhere(Map.of("sessionId", "s-1", "troupe.tenant", "acme"), probe.getRef()));
    assertEquals(Set.of("notes-1", "notes-2"), Set.copyOf(probe.receiveMessage(WAIT).getValue().ids()));

    assertEquals(Set.of("notes-3", "notes-4"), Set.copyOf(ids(hits(store, "order 7 returned", 10, Map.of()))));
    store.tell(new VectorStore.DeleteWhere(Map.of("sessionId", "s-1", "troupe.tenant", "acme"), probe.getRef()));
    assertEquals(List.of(), probe.receiveMessage(WAIT).getValue().ids(), "nothing left to delete");
    store.tell(new VectorStore.DeleteWhere(Map.of(), probe.getRef()));
    assertTrue(probe.receiveMessage(WAIT).isError(), "an empty filter would delete everything");
  }

  @Test
  void ranksTheRelevantDocumentFirst() {
    ActorRef<VectorStore.Command> store = ready(dataDir);
    assertTrue(upsert(store, KNOWLEDGE_BASE).isSuccess());
    Map<String, String> expectations = Map.of(
        "How long until I get my refund?", "refunds",
        "When will my order ship?", "shipping",
        "where do I find the PDF invoice", "invoice",
        "revoke an API key", "api-keys",
        "erase my personal data", "gdpr",
        "reset password link", "password");
    expectations.forEach((query, expected) -> assertEquals(expected, hits(store, query, 3, Map.of()).get(0).id(), query));
  }

  @Test
  void filtersOnExactMetadata() {
    ActorRef<VectorStore.Command> store = ready(dataDir);
    assertTrue(upsert(store, KNOWLEDGE_BASE).isSuccess());

    assertEquals(List.of("livraison"), ids(hits(store, "orders shipping", 5, Map.of("lang", "fr"))));
    List<Hit> billing = hits(store, "download invoice", 5, Map.of("topic", "billing"));
    assertEquals(List.of("invoice", "refunds"), ids(billing));
    assertEquals(List.of("shipping"), ids(hits(store, "shipping", 5, Map.of("topic", "orders", "lang", "en"))));
    assertEquals(List.of(), hits(store, "shipping", 5, Map.of("topic", "nothing-like-this")));
  }

  @Test
  void anUpsertReplacesTheDocumentWithTheSameId() {
    ActorRef<VectorStore.Command> store = ready(dataDir);
    assertTrue(upsert(store, List.of(new Document("faq", "Parcels are delivered by bike couriers.", Map.of("v", "1")))).isSuccess());
    assertTrue(upsert(store, List.of(new Document("faq", "Invoices are sent by email each month.", Map.of("v", "2")))).isSuccess());

    List<Hit> all = hits(store, "invoices email", 10, Map.of());
    assertEquals(1, all.size());
    assertEquals("Invoices are sent by email each month.", all.get(0).text());
    assertEquals(Map.of("v", "2"), all.get(0).metadata());
    assertEquals(List.of(), hits(store, "parcels", 10, Map.of("v", "1")));
  }

  @Test
  void writesApplyInArrivalOrder() {
    ActorRef<VectorStore.Command> store = ready(dataDir);
    TestProbe<StatusReply<Upserted>> upserted = testKit.createTestProbe();
    TestProbe<StatusReply<Deleted>> deleted = testKit.createTestProbe();
    Document note = new Document("note", "Remember the milk", Map.of());
    // Sent back to back, without waiting for replies.
    store.tell(new Upsert(List.of(note), upserted.getRef()));
    store.tell(new Delete("note", deleted.getRef()));
    store.tell(new Upsert(List.of(new Document("other", "Water the plants", Map.of())), upserted.getRef()));
    store.tell(new Delete("other", deleted.getRef()));
    store.tell(new Upsert(List.of(new Document("other", "Water the garden", Map.of())), upserted.getRef()));

    assertTrue(upserted.receiveMessage(WAIT).isSuccess());
    assertEquals(new Deleted("note", true), deleted.receiveMessage(WAIT).getValue());
    assertTrue(upserted.receiveMessage(WAIT).isSuccess());
    assertEquals(new Deleted("other", true), deleted.receiveMessage(WAIT).getValue());
    assertTrue(upserted.receiveMessage(WAIT).isSuccess());
    List<Hit> all = hits(store, "milk plants garden", 10, Map.of());
    assertEquals(List.of("other"), ids(all));
    assertEquals("Water the garden", all.get(0).text());
  }

  @Test
  void aNewActorOnTheSameDirectoryKeepsTheDocuments() {
    ActorRef<VectorStore.Command> first = ready(dataDir);
    assertTrue(upsert(first, KNOWLEDGE_BASE).isSuccess());
    assertTrue(delete(first, "office").getValue().existed());
    testKit.stop(first);

    // Opens as soon as the first writer is closed (Lucene allows one writer per directory).
    ActorRef<VectorStore.Command> second = ready(dataDir);
    List<Hit> all = hits(second, "anything", 20, Map.of());
    assertEquals(KNOWLEDGE_BASE.size() - 1, all.size());
    assertFalse(ids(all).contains("office"));
    assertEquals("refunds", hits(second, "refund after return", 1, Map.of()).get(0).id());
  }

  @Test
  void aStoppedActorReleasesTheIndexForAnotherActorSystem() {
    ActorTestKit other = ActorTestKit.create("vector-other");
    try {
      ActorRef<VectorStore.Command> first = other.spawn(VectorStoreActor.create(troupe(Map.of()), dataDir));
      TestProbe<Lifecycle.Initialized> initProbe = other.createTestProbe();
      first.tell(new Lifecycle.Init(initProbe.getRef()));
      assertTrue(initProbe.receiveMessage(WAIT).isOk());
      TestProbe<StatusReply<Upserted>> probe = other.createTestProbe();
      first.tell(new Upsert(KNOWLEDGE_BASE.subList(0, 2), probe.getRef()));
      assertTrue(probe.receiveMessage(WAIT).isSuccess());
    } finally {
      other.shutdownTestKit();
    }
    ActorRef<VectorStore.Command> second = ready(dataDir);
    assertEquals(List.of("password", "refunds"), ids(hits(second, "reset password", 5, Map.of())));
  }

  @Test
  void refusesAnIndexBuiltWithAnotherEmbedder() {
    ActorRef<VectorStore.Command> first = ready(dataDir);
    assertTrue(upsert(first, KNOWLEDGE_BASE.subList(0, 1)).isSuccess());
    testKit.stop(first);

    Lifecycle.Initialized failed = init(spawn(dataDir, Map.of("troupe.vector-store.dimension", 256)));
    assertFalse(failed.isOk());
    assertTrue(failed.error().contains("hashing-v1-384") && failed.error().contains("hashing-v1-256"), failed.error());
  }

  @Test
  void aFailedInitIsRetriedOnTheSameActor() throws Exception {
    Path blocked = dataDir.resolve("blocked");
    Files.createDirectories(blocked);
    Files.writeString(blocked.resolve("index"), "a file where the index directory should be");
    ActorRef<VectorStore.Command> store = spawn(blocked, Map.of());

    Lifecycle.Initialized failed = init(store);
    assertFalse(failed.isOk());
    assertEquals(Lifecycle.unavailable("vector-store", failed.error()), errorOf(search(store, "x", 1, Map.of())));

    Files.delete(blocked.resolve("index"));
    assertTrue(init(store).isOk());
    assertTrue(upsert(store, KNOWLEDGE_BASE.subList(0, 1)).isSuccess());
  }

  @Test
  void anUnknownEmbedderFailsInit() {
    Lifecycle.Initialized failed = init(spawn(dataDir, Map.of("troupe.vector-store.embedder", "magic")));
    assertFalse(failed.isOk());
    assertTrue(failed.error().startsWith("invalid configuration"), failed.error());
  }

  @Test
  void validatesRequests() {
    ActorRef<VectorStore.Command> store = ready(dataDir);
    assertEquals("the query is empty", errorOf(search(store, " ", 3, Map.of())));
    assertEquals("k must be at least 1", errorOf(search(store, "x", 0, Map.of())));
    assertEquals("a document id is empty", errorOf(upsert(store, List.of(new Document(" ", "text", Map.of())))));
    assertEquals("the text of document a is empty", errorOf(upsert(store, List.of(new Document("a", "", Map.of())))));
    assertEquals("the document id is empty", errorOf(delete(store, "")));
    assertEquals(List.of(), hits(store, "nothing indexed yet", 3, null));
    Map<String, String> badFilter = new java.util.HashMap<>();
    badFilter.put("lang", null);
    assertEquals("the filter has an empty key or value", errorOf(search(store, "x", 3, badFilter)));
  }

  @Test
  void aCustomEmbedderPlugsIn() {
    Embedder lengthOnly = new Embedder() {
      @Override
      public float[] embed(String text) {
        return new float[] {1f, text.length(), 0f, 0f, 0f, 0f, 0f, 0f};
      }

      @Override
      public int dimension() {
        return 8;
      }

      @Override
      public String id() {
        return "length-test";
      }
    };
    VectorStoreSettings settings = VectorStoreSettings.fromConfig(troupe(Map.of()), dataDir);
    ActorRef<VectorStore.Command> store = testKit.spawn(VectorStoreActor.create(settings, lengthOnly));
    assertTrue(init(store).isOk());
    assertTrue(upsert(store, List.of(new Document("short", "ab", Map.of()), new Document("long", "a".repeat(300), Map.of()))).isSuccess());
    assertEquals("long", hits(store, "b".repeat(280), 1, Map.of()).get(0).id());
  }

  // --- issue 4: chunks, filters, durability, threads

  ActorRef<VectorStore.Command> readyWith(Path directory, Map<String, Object> settings) {
    ActorRef<VectorStore.Command> store = spawn(directory, settings);
    assertEquals(Lifecycle.Initialized.ok("vector-store"), init(store));
    return store;
  }

  /** A text of numbered sentences about one subject each, long enough for several chunks. */
  static String longText() {
    StringBuilder text = new StringBuilder();
    String[] subjects = {"invoices and refunds", "passwords and login", "parcels and delivery", "servers and clusters"};
    for (int i = 0; i < 24; i++) {
      text.append("Paragraph ").append(i).append(" is about ").append(subjects[i / 6]).append(". ");
    }
    return text.toString();
  }

  @Test
  void longDocumentsAreChunkedAndHitsCarryOffsets() {
    Map<String, Object> small = Map.of("troupe.vector-store.chunk-size", 200, "troupe.vector-store.chunk-overlap", 40);
    ActorRef<VectorStore.Command> store = readyWith(dataDir, small);
    String text = longText();
    assertTrue(upsert(store, List.of(new Document("manual", text, Map.of("source", "handbook")),
        new Document("short", "A short note about parcels.", Map.of()))).isSuccess());

    List<Hit> all = hits(store, "parcels and delivery", 50, Map.of("source", "handbook"));
    List<Chunker.Chunk> expected = new Chunker(200, 40).split(text);
    assertTrue(expected.size() >= 5, "several chunks: " + expected.size());
    assertEquals(expected.size(), all.size(), "one hit per chunk");
    for (Hit hit : all) {
      assertEquals("manual", hit.id());
      assertEquals(text.substring(hit.start(), hit.end()), hit.text(), "offsets point into the document's text");
      assertEquals(expected.get(hit.chunk()).start(), hit.start());
      assertEquals(Map.of("source", "handbook"), hit.metadata());
    }
    Hit best = all.get(0);
    assertTrue(best.text().contains("parcels and delivery"), best.text());

    // Upsert replaces every chunk; delete removes every chunk.
    assertTrue(upsert(store, List.of(new Document("manual", "Now only one line about clusters.", Map.of("source", "handbook")))).isSuccess());
    List<Hit> replaced = hits(store, "anything", 50, Map.of("source", "handbook"));
    assertEquals(1, replaced.size());
    assertEquals(0, replaced.get(0).start());
    assertEquals("Now only one line about clusters.".length(), replaced.get(0).end());
    assertTrue(upsert(store, List.of(new Document("manual", text, Map.of("source", "handbook")))).isSuccess());
    assertTrue(delete(store, "manual").getValue().existed());
    assertEquals(List.of("short"), ids(hits(store, "parcels", 50, Map.of())));
    assertFalse(delete(store, "manual").getValue().existed());
  }

  @Test
  void filtersByTenantSourceAndTags() {
    ActorRef<VectorStore.Command> store = ready(dataDir);
    assertTrue(upsert(store, List.of(
        new Document("a1", "Refunds take 14 days.", Map.of("tenant", "acme", "source", "faq", "tags", "billing,refunds")),
        new Document("a2", "Refunds of gift cards are not possible.", Map.of("tenant", "acme", "source", "wiki", "tags", "billing")),
        new Document("b1", "Refunds take 30 days.", Map.of("tenant", "globex", "source", "faq", "tags", "refunds, legal")))).isSuccess());

    assertEquals(List.of("a1", "a2"), sorted(ids(hits(store, "refunds", 10, Map.of("tenant", "acme")))));
    assertEquals(List.of("a1", "b1"), sorted(ids(hits(store, "refunds", 10, Map.of("source", "faq")))));
    assertEquals(List.of("a1", "b1"), sorted(ids(hits(store, "refunds", 10, Map.of("tags", "refunds")))));
    assertEquals(List.of("a1", "a2"), sorted(ids(hits(store, "refunds", 10, Map.of("tag", "billing")))));
    assertEquals(List.of("b1"), ids(hits(store, "refunds", 10, Map.of("tags", "legal"))));
    assertEquals(List.of("a1"), ids(hits(store, "refunds", 10, Map.of("tags", "billing,refunds"))), "every listed tag");
    assertEquals(List.of("a1"), ids(hits(store, "refunds", 10, Map.of("tenant", "acme", "source", "faq"))));
    assertEquals(List.of(), hits(store, "refunds", 10, Map.of("tenant", "initech")));
    // Stored metadata comes back as given.
    assertEquals("refunds, legal", hits(store, "refunds", 10, Map.of("tenant", "globex")).get(0).metadata().get("tags"));
  }

  static List<String> sorted(List<String> ids) {
    return ids.stream().sorted().toList();
  }

  @Test
  void ingestSearchDeleteRestartSearch() {
    Map<String, Object> small = Map.of("troupe.vector-store.chunk-size", 200, "troupe.vector-store.chunk-overlap", 40);
    ActorRef<VectorStore.Command> first = readyWith(dataDir, small);
    assertTrue(upsert(first, KNOWLEDGE_BASE).isSuccess());
    assertTrue(upsert(first, List.of(new Document("manual", longText(), Map.of("tenant", "acme")))).isSuccess());
    assertEquals("password", hits(first, "how do I reset my password", 1, Map.of()).get(0).id());
    assertTrue(delete(first, "password").getValue().existed());
    assertFalse(ids(hits(first, "how do I reset my password", 50, Map.of())).contains("password"));
    testKit.stop(first);

    ActorRef<VectorStore.Command> second = readyWith(dataDir, small);
    List<Hit> after = hits(second, "how do I reset my password", 100, Map.of());
    assertFalse(ids(after).contains("password"));
    assertTrue(ids(after).containsAll(List.of("refunds", "shipping", "manual")));
    List<Hit> manual = hits(second, "servers and clusters", 100, Map.of("tenant", "acme"));
    assertEquals(new Chunker(200, 40).split(longText()).size(), manual.size(), "every chunk survived the restart");
  }

  /**
   * A crash right after an acknowledgement: the index files as they are on disk at that moment
   * (copied while the writer is still open, no close, no flush) hold every acknowledged write.
   */
  @Test
  void anAcknowledgedWriteIsOnDiskBeforeTheReply() throws Exception {
    Map<String, Object> small = Map.of("troupe.vector-store.chunk-size", 200, "troupe.vector-store.chunk-overlap", 40);
    ActorRef<VectorStore.Command> store = readyWith(dataDir, small);
    assertTrue(upsert(store, KNOWLEDGE_BASE).isSuccess());
    assertTrue(upsert(store, List.of(new Document("manual", longText(), Map.of()))).isSuccess());
    assertTrue(delete(store, "gdpr").getValue().existed());

    Path crashed = dataDir.resolve("crashed");
    Path copy = crashed.resolve("index");
    Files.createDirectories(copy);
    try (var files = Files.list(dataDir.resolve("index"))) {
      for (Path file : files.toList()) {
        if (!file.getFileName().toString().equals("write.lock")) {
          Files.copy(file, copy.resolve(file.getFileName()));
        }
      }
    }
    ActorRef<VectorStore.Command> recovered = readyWith(crashed, small);
    List<Hit> all = hits(recovered, "anything", 100, Map.of());
    int chunks = new Chunker(200, 40).split(longText()).size();
    assertEquals(KNOWLEDGE_BASE.size() - 1 + chunks, all.size());
    assertFalse(ids(all).contains("gdpr"));
  }

  @Test
  void embeddingsRunOnTheEmbeddingDispatcherOnly() {
    java.util.Set<String> threads = java.util.concurrent.ConcurrentHashMap.newKeySet();
    HashingEmbedder hashing = new HashingEmbedder(384);
    Embedder recording = new Embedder() {
      @Override
      public float[] embed(String text) {
        threads.add(Thread.currentThread().getName());
        return hashing.embed(text);
      }

      @Override
      public List<float[]> embedAll(List<String> texts) {
        threads.add(Thread.currentThread().getName());
        return hashing.embedAll(texts);
      }

      @Override
      public int dimension() {
        return 384;
      }

      @Override
      public String id() {
        return hashing.id();
      }
    };
    VectorStoreSettings settings = VectorStoreSettings.fromConfig(troupe(Map.of()), dataDir);
    ActorRef<VectorStore.Command> store = testKit.spawn(VectorStoreActor.create(settings, recording));
    assertTrue(init(store).isOk());
    assertTrue(upsert(store, KNOWLEDGE_BASE).isSuccess());
    assertEquals("password", hits(store, "reset password", 1, Map.of()).get(0).id());
    assertFalse(threads.isEmpty());
    for (String thread : threads) {
      assertTrue(thread.contains("troupe.vector-store.embedding-dispatcher"), thread);
    }
  }
}
