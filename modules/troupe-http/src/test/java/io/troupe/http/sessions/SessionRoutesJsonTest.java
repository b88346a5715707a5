package io.troupe.http.sessions;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import io.troupe.core.llm.ChatMessage;
import io.troupe.core.session.IntentUsage;
import io.troupe.core.session.SessionView;
import io.troupe.http.security.Caller;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@code GET /v1/sessions/{id}}: the session's messages, and the summary of its older turns when it has one. */
class SessionRoutesJsonTest {

  private static final List<ChatMessage> MESSAGES = List.of(ChatMessage.user("question 1"),
      ChatMessage.assistant("answer 1"), ChatMessage.user("question 2"), ChatMessage.assistant("answer 2"));

  @Test
  void theSummaryIsShownWithTheMessagesItCovers() {
    var view = new SessionView("s1", 2, List.of(), MESSAGES, IntentUsage.NONE,
        new SessionView.Summary("The user asked question 1.", 2));
    var json = SessionRoutes.json(view, Caller.IMPLICIT);
    assertEquals("The user asked question 1.", json.at("/summary/text").asText());
    assertEquals(2, json.at("/summary/coversMessages").asLong());
    assertEquals(4, json.get("messages").size());
    assertEquals("question 2", json.at("/messages/2/content").asText());
  }

  @Test
  void aSessionWithoutASummaryHasNoSummaryField() {
    var json = SessionRoutes.json(new SessionView("s1", 2, List.of(), MESSAGES, IntentUsage.NONE), Caller.IMPLICIT);
    assertFalse(json.has("summary"));
    assertEquals("user", json.at("/messages/0/role").asText());
  }
}
