package io.troupe.bench;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** {@code --name value} and {@code --flag} options. */
public final class Args {
  private final Map<String, String> values = new HashMap<>();

  public Args(String[] args, int from) {
    for (int i = from; i < args.length; i++) {
      String a = args[i];
      if (!a.startsWith("--")) {
        throw new IllegalArgumentException("unexpected argument '" + a + "'");
      }
      String key = a.substring(2);
      int eq = key.indexOf('=');
      if (eq > 0) {
        values.put(key.substring(0, eq), key.substring(eq + 1));
      } else if (i + 1 < args.length && !args[i + 1].startsWith("--")) {
        values.put(key, args[++i]);
      } else {
        values.put(key, "true");
      }
    }
  }

  public String str(String key, String def) {
    return values.getOrDefault(key, def);
  }

  public int integer(String key, int def) {
    return values.containsKey(key) ? Integer.parseInt(values.get(key).replace("_", "").replace(",", "")) : def;
  }

  public double dbl(String key, double def) {
    return values.containsKey(key) ? Double.parseDouble(values.get(key)) : def;
  }

  public boolean flag(String key) {
    return Boolean.parseBoolean(values.getOrDefault(key, "false"));
  }

  public boolean has(String key) {
    return values.containsKey(key);
  }

  /** "1000,10000" as numbers; "" as none. */
  public List<Integer> ints(String key, String def) {
    List<Integer> out = new ArrayList<>();
    for (String s : str(key, def).split("[,\\s]+")) {
      if (!s.isBlank()) {
        out.add(Integer.parseInt(s.replace("_", "")));
      }
    }
    return out;
  }
}
