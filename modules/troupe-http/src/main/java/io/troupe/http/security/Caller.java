package io.troupe.http.security;

import java.util.EnumSet;
import java.util.Set;

/**
 * Who sent a request: a tenant and its scopes. Everything the caller names (session, intent and
 * document ids) is qualified with the tenant before it reaches an actor, and unqualified before
 * it leaves, so clients never see the prefix and another tenant's ids never resolve.
 *
 * @param tenant empty for the one implicit tenant when auth is off; ids then stay exactly as given
 */
public record Caller(String tenant, Set<Scope> scopes) {
  /** The separator of a qualified id; tenants and client session ids never contain it. */
  public static final char SEPARATOR = '~';

  /** The caller when auth is off: the implicit tenant, allowed everything. */
  public static final Caller IMPLICIT = new Caller("", EnumSet.of(Scope.ADMIN));

  public Caller {
    scopes = scopes.isEmpty() ? EnumSet.noneOf(Scope.class) : EnumSet.copyOf(scopes);
  }

  public boolean has(Scope scope) {
    return scopes.contains(Scope.ADMIN) || scopes.contains(scope);
  }

  public boolean isImplicit() {
    return tenant.isEmpty();
  }

  /** The internal id of a client id: {@code <tenant>~<id>}. */
  public String qualify(String clientId) {
    return isImplicit() ? clientId : tenant + SEPARATOR + clientId;
  }

  /** The client's id of an internal one. */
  public String unqualify(String internalId) {
    String prefix = tenant + SEPARATOR;
    return internalId != null && !isImplicit() && internalId.startsWith(prefix)
        ? internalId.substring(prefix.length()) : internalId;
  }

  /** A message of the runtime with this tenant's prefix taken out of every id it names. */
  public String scrub(String message) {
    return message == null || isImplicit() ? message : message.replace(tenant + SEPARATOR, "");
  }

  @Override
  public String toString() {
    return "Caller[tenant=" + tenant + ", scopes=" + scopes + "]";
  }
}
