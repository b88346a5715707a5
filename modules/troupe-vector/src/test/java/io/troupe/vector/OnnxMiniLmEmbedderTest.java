package io.troupe.vector;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import io.troupe.core.runtime.Lifecycle;
import io.troupe.core.vector.VectorStore;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.pattern.StatusReply;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The real model, loaded once for this class (a few seconds). */
class OnnxMiniLmEmbedderTest {

  @Test
  void loadingTheModelLeavesNoExtractionDirectoryInTheTempDirectory() throws Exception {
    OnnxMiniLmEmbedder.load();
    var field = Class.forName("ai.onnxruntime.OnnxRuntime").getDeclaredField("tempDirectory");
    field.setAccessible(true);
    Path extractedInto = (Path) field.get(null);
    assertTrue(extractedInto != null && extractedInto.getFileName().toString().startsWith("onnxruntime-java"),
        "ONNX Runtime still extracts into a temp directory named onnxruntime-java*: " + extractedInto);
    assertTrue(!java.nio.file.Files.exists(extractedInto), extractedInto + " is gone once the libraries are loaded");
  }

  @Test
  void relatedSentencesAreCloserThanUnrelatedOnes() {
    OnnxMiniLmEmbedder embedder = OnnxMiniLmEmbedder.load();
    List<float[]> v = embedder.embedAll(List.of(
        "How do I reset my password?",
        "I forgot my login credentials and need a new password.",
        "The quarterly revenue grew by ten percent.",
        "A cat sleeps on the sofa."));
    assertEquals(4, v.size());
    assertEquals(384, v.get(0).length);
    assertEquals(1.0, Recall.dot(v.get(0), v.get(0)), 1e-3, "unit length");
    double related = Recall.dot(v.get(0), v.get(1));
    double unrelated = Math.max(Recall.dot(v.get(0), v.get(2)), Recall.dot(v.get(0), v.get(3)));
    assertTrue(related > unrelated + 0.2, "related " + related + ", unrelated " + unrelated);
    // embed and embedAll agree
    assertEquals(1.0, Recall.dot(embedder.embed("A cat sleeps on the sofa."), v.get(3)), 1e-4);
  }

  /** The default configuration: the store with the real model finds by meaning, not by words. */
  @Test
  void theDefaultStoreUsesTheModel(@TempDir Path dataDir) {
    ActorTestKit testKit = ActorTestKit.create();
    try {
      var troupe = ConfigFactory.load().getConfig("troupe");
      ActorRef<VectorStore.Command> store = testKit.spawn(VectorStoreActor.create(troupe, dataDir));
      TestProbe<Lifecycle.Initialized> init = testKit.createTestProbe();
      store.tell(new Lifecycle.Init(init.getRef()));
      assertTrue(init.receiveMessage(Duration.ofSeconds(60)).isOk());
      TestProbe<StatusReply<VectorStore.Upserted>> upserted = testKit.createTestProbe();
      store.tell(new VectorStore.Upsert(VectorStoreActorTest.KNOWLEDGE_BASE, upserted.getRef()));
      assertTrue(upserted.receiveMessage(Duration.ofSeconds(60)).isSuccess());
      TestProbe<StatusReply<VectorStore.SearchResult>> found = testKit.createTestProbe();
      store.tell(new VectorStore.Search("I forgot my password and cannot log in", 1, Map.of(), found.getRef()));
      assertEquals("password", found.receiveMessage(Duration.ofSeconds(30)).getValue().hits().get(0).id());
    } finally {
      testKit.shutdownTestKit();
    }
  }
}
