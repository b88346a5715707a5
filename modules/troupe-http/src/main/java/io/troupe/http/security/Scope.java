package io.troupe.http.security;

import java.util.Arrays;
import java.util.Optional;

/** What an API key may do. {@code admin} implies every other scope. */
public enum Scope {
  INTENTS_WRITE("intents.write"),
  INTENTS_READ("intents.read"),
  DOCUMENTS_WRITE("documents.write"),
  APPROVALS_WRITE("approvals.write"),
  ADMIN("admin");

  private final String json;

  Scope(String json) {
    this.json = json;
  }

  public String json() {
    return json;
  }

  public static Optional<Scope> parse(String name) {
    return Arrays.stream(values()).filter(s -> s.json.equals(name)).findFirst();
  }
}
