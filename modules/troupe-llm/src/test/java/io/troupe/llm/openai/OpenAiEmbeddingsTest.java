package io.troupe.llm.openai;

import static io.troupe.llm.fake.ProviderTests.await;
import static io.troupe.llm.fake.ProviderTests.failure;
import static io.troupe.llm.fake.ProviderTests.llm;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import com.fasterxml.jackson.databind.JsonNode;
import io.troupe.core.llm.LlmFailure.Code;
import io.troupe.llm.LlmException;
import io.troupe.llm.Providers;
import io.troupe.llm.embeddings.OpenAiEmbeddings;
import io.troupe.llm.fake.FakeProviderServer;
import io.troupe.llm.fake.FakeProviderServer.Reply;
import java.util.List;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class OpenAiEmbeddingsTest {
  static final String KEY = "sk-embed-test-0123456789";
  static final ActorTestKit testKit = ActorTestKit.create();

  FakeProviderServer fake;
  OpenAiEmbeddings embeddings;

  @BeforeEach
  void start() throws Exception {
    fake = FakeProviderServer.start(testKit.system());
    embeddings = Providers.openAiEmbeddings(testKit.system(), llm("openai { base-url = \"" + fake.baseUrl()
        + "/v1\", api-key = \"" + KEY + "\", embeddings-model = emb-test, embeddings-dimensions = 3 }"), "openai");
  }

  @AfterEach
  void stop() throws Exception {
    fake.close();
  }

  @AfterAll
  static void shutdown() {
    testKit.shutdownTestKit();
  }

  @Test
  void returnsOneVectorPerTextInInputOrder() throws Exception {
    fake.enqueue(Reply.json(200, """
        {"object":"list","model":"emb-test","usage":{"prompt_tokens":4,"total_tokens":4},
         "data":[{"object":"embedding","index":1,"embedding":[0.5,0.25,-1.0]},
                 {"object":"embedding","index":0,"embedding":[1.0,0.0,0.125]}]}"""));

    List<float[]> vectors = await(embeddings.embed(List.of("first", "second")));

    assertArrayEquals(new float[] {1.0f, 0.0f, 0.125f}, vectors.get(0));
    assertArrayEquals(new float[] {0.5f, 0.25f, -1.0f}, vectors.get(1));
    JsonNode body = fake.lastRequest().json();
    assertEquals("/v1/embeddings", fake.lastRequest().path());
    assertEquals("emb-test", body.get("model").asText());
    assertEquals("float", body.get("encoding_format").asText());
    assertEquals(3, body.get("dimensions").asInt());
    assertEquals("second", body.get("input").get(1).asText());
    assertEquals("Bearer " + KEY, fake.lastRequest().headers().get("authorization"));
  }

  @Test
  void mapsErrorsWithoutTheKey() throws Exception {
    fake.enqueue(Reply.json(401, "{\"error\":{\"message\":\"Incorrect API key provided: " + KEY + "\",\"type\":\"invalid_request_error\"}}"));

    LlmException e = failure(embeddings.embed(List.of("x")));

    assertEquals(Code.AUTHENTICATION, e.code());
    assertFalse(e.getMessage().contains(KEY));
  }

  @Test
  void aMissingVectorFails() throws Exception {
    fake.enqueue(Reply.json(200, "{\"data\":[{\"index\":0,\"embedding\":[1.0]}]}"));

    assertEquals(Code.PROVIDER_ERROR, failure(embeddings.embed(List.of("a", "b"))).code());
  }
}
