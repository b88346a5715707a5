package io.troupe.core.session;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.troupe.core.llm.ChatMessage;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class SessionHistoryTest {

  @Test
  void theHistoryKeepsWhatANewIntentCanSeeAndNoMore() {
    SessionState state = new SessionState();
    List<ChatMessage> window = new ArrayList<>();
    for (int i = 0; i < 500; i++) {
      List<ChatMessage> transcript = List.of(ChatMessage.user("q" + i), ChatMessage.assistant("a" + i));
      state.remember(transcript, 20);
      window = state.recentHistory(20);
      assertTrue(state.history.size() <= 20, "bounded: " + state.history.size());
    }
    assertEquals(20, window.size());
    assertEquals("q490", window.get(0).content());
    assertEquals("a499", window.get(19).content());
  }
}
