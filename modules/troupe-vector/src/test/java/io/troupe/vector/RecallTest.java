package io.troupe.vector;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.troupe.core.vector.VectorStore;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** recall@10 of the HNSW index against exact (brute-force) search on 2,000 generated sentences. */
class RecallTest {

  @TempDir Path dir;

  @Test
  void recallAt10IsAtLeast95PercentOnTwoThousandSentences() throws Exception {
    HashingEmbedder embedder = new HashingEmbedder(384);
    List<String> texts = SyntheticCorpus.sentences(42, 2000);
    List<float[]> vectors = Recall.unit(embedder.embedAll(texts));
    LuceneIndex index = LuceneIndex.open(dir.resolve("index"), embedder.id(), 384, 16, 100);
    try {
      List<LuceneIndex.PreparedDocument> documents = new ArrayList<>();
      for (int i = 0; i < texts.size(); i++) {
        documents.add(new LuceneIndex.PreparedDocument(new VectorStore.Document("d" + i, texts.get(i), Map.of()),
            List.of(new Chunker.Chunk(0, 0, texts.get(i).length(), texts.get(i))), List.of(vectors.get(i))));
      }
      index.apply(List.of(new LuceneIndex.PreparedUpsert(documents)));

      List<String> queries = SyntheticCorpus.sentences(4242, 100);
      double total = 0;
      for (String query : queries) {
        float[] q = Recall.unit(List.of(embedder.embed(query))).get(0);
        List<VectorStore.Hit> hits = index.search(q, 10, Map.of(), 100);
        Set<Integer> found = new HashSet<>();
        hits.forEach(h -> found.add(Integer.parseInt(h.id().substring(1))));
        total += Recall.at(10, q, vectors, found);
      }
      double recall = total / queries.size();
      assertTrue(recall >= 0.95, "recall@10 = " + recall);
    } finally {
      LuceneIndex.closeLater(index.path(), java.util.concurrent.CompletableFuture.completedFuture(index),
          java.util.concurrent.CompletableFuture.completedFuture(null), Runnable::run);
    }
  }
}
