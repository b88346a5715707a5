package io.troupe.http.security;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The ingress API keys: entries {@code <tenant>:<sha256-hex-of-key>:<scope>[+<scope>...]},
 * comma-separated. Only the hashes are kept. A presented key is hashed and compared with every
 * entry in constant time, so the time taken says nothing about which entry (if any) matched.
 */
public final class ApiKeys {
  private static final Pattern TENANT = Pattern.compile("[A-Za-z0-9_-]{1,64}");
  private static final Pattern SHA256_HEX = Pattern.compile("[0-9a-fA-F]{64}");

  private record Entry(Caller caller, byte[] hash) {}

  private final List<Entry> entries;

  private ApiKeys(List<Entry> entries) {
    this.entries = List.copyOf(entries);
  }

  public static final ApiKeys NONE = new ApiKeys(List.of());

  /**
   * Parses the configured entries.
   *
   * @throws IllegalArgumentException naming the entry by position and the part that is wrong, never
   *     its hash
   */
  public static ApiKeys parse(String raw) {
    if (raw == null || raw.isBlank()) {
      return NONE;
    }
    List<Entry> entries = new ArrayList<>();
    String[] items = raw.split(",");
    for (int i = 0; i < items.length; i++) {
      String item = items[i].trim();
      if (item.isEmpty()) {
        continue;
      }
      String where = "troupe.http.api-keys (TROUPE_API_KEYS) entry " + (i + 1) + ": ";
      String[] parts = item.split(":", -1);
      if (parts.length != 3) {
        throw new IllegalArgumentException(where + "expected <tenant>:<sha256-hex-of-key>:<scope>[+<scope>...], "
            + "found " + parts.length + " part(s) separated by ':'");
      }
      String tenant = parts[0].trim();
      if (!TENANT.matcher(tenant).matches()) {
        throw new IllegalArgumentException(where + "the tenant must be 1 to 64 letters, digits, '-' or '_'");
      }
      String hex = parts[1].trim();
      if (!SHA256_HEX.matcher(hex).matches()) {
        throw new IllegalArgumentException(where + "the key must be given as its SHA-256 in hex (64 characters; "
            + "printf %s \"$KEY\" | sha256sum), not the key itself");
      }
      Set<Scope> scopes = EnumSet.noneOf(Scope.class);
      for (String name : parts[2].split("\\+", -1)) {
        scopes.add(Scope.parse(name.trim()).orElseThrow(() -> new IllegalArgumentException(where
            + "unknown scope; the scopes are intents.write, intents.read, documents.write and admin, joined with '+'")));
      }
      byte[] hash = HexFormat.of().parseHex(hex.toLowerCase(java.util.Locale.ROOT));
      if (entries.stream().anyMatch(e -> Arrays.equals(e.hash(), hash))) {
        throw new IllegalArgumentException(where + "the same key hash appears in an earlier entry");
      }
      entries.add(new Entry(new Caller(tenant, scopes), hash));
    }
    return new ApiKeys(entries);
  }

  public boolean isEmpty() {
    return entries.isEmpty();
  }

  public int size() {
    return entries.size();
  }

  /** The caller whose key this is; compares against every entry, whatever matches first. */
  public Optional<Caller> authenticate(String presentedKey) {
    byte[] hash = sha256(presentedKey);
    Caller found = null;
    for (Entry entry : entries) {
      if (MessageDigest.isEqual(entry.hash(), hash) && found == null) {
        found = entry.caller();
      }
    }
    return Optional.ofNullable(found);
  }

  static byte[] sha256(String key) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Never the hashes. */
  @Override
  public String toString() {
    return "ApiKeys[" + entries.size() + " configured]";
  }
}
