package io.troupe.vector;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Generated English-like sentences from a seeded vocabulary, for recall tests and benchmarks:
 * the same seed gives the same texts on every machine, and nothing is downloaded. Each sentence
 * draws a topic (a group of nouns and verbs that belong together) so that nearest neighbours are
 * meaningful, plus words from a shared pool.
 */
public final class SyntheticCorpus {

  private static final String[] SUBJECTS = {
    "the customer", "our team", "the service", "a developer", "the manager", "the system", "an agent", "the client",
    "the operator", "a student", "the database", "the index", "the scheduler", "the user", "a reviewer", "the robot"};

  private static final String[][] TOPICS = {
    {"invoice", "payment", "refund", "billing", "receipt", "charge", "pays", "refunds", "bills", "credits"},
    {"password", "login", "account", "token", "session", "security", "resets", "locks", "verifies", "revokes"},
    {"shipment", "parcel", "delivery", "warehouse", "courier", "order", "ships", "delivers", "tracks", "packs"},
    {"server", "cluster", "node", "container", "deployment", "outage", "restarts", "scales", "deploys", "monitors"},
    {"recipe", "kitchen", "oven", "flour", "sauce", "dinner", "bakes", "cooks", "tastes", "serves"},
    {"garden", "flower", "tree", "seed", "soil", "harvest", "plants", "waters", "grows", "prunes"},
    {"match", "goal", "team", "coach", "season", "stadium", "scores", "wins", "trains", "defends"},
    {"model", "prompt", "embedding", "vector", "dataset", "training", "predicts", "embeds", "learns", "ranks"},
    {"train", "station", "ticket", "platform", "journey", "timetable", "departs", "arrives", "boards", "waits"},
    {"contract", "lawyer", "court", "clause", "license", "agreement", "signs", "negotiates", "reviews", "files"},
    {"patient", "doctor", "clinic", "medicine", "symptom", "treatment", "heals", "examines", "prescribes", "recovers"},
    {"song", "concert", "guitar", "album", "melody", "band", "plays", "records", "sings", "tours"},
    {"river", "mountain", "forest", "valley", "lake", "trail", "flows", "climbs", "crosses", "explores"},
    {"budget", "forecast", "revenue", "profit", "quarter", "market", "grows", "falls", "reports", "invests"},
    {"camera", "photo", "lens", "light", "portrait", "studio", "captures", "focuses", "edits", "frames"},
    {"school", "lesson", "teacher", "exam", "homework", "classroom", "teaches", "studies", "grades", "explains"}};

  private static final String[] SHARED = {
    "quickly", "slowly", "today", "again", "every morning", "after lunch", "before noon", "on friday", "in march",
    "without delay", "with care", "for the first time", "once more", "as planned", "late at night", "near the city",
    "in the north", "by the river", "at the office", "at home", "on the weekend", "during the storm", "with a smile",
    "under pressure", "ahead of schedule", "behind the building", "across the street", "in the old town"};

  private static final String[] ADJECTIVES = {
    "new", "old", "large", "small", "urgent", "delayed", "blue", "green", "remote", "local", "broken", "fresh",
    "quiet", "busy", "secure", "shared", "private", "public", "heavy", "light", "early", "late", "simple", "complex"};

  private SyntheticCorpus() {}

  /** {@code count} sentences (6 to 20 words) from {@code seed}. */
  public static List<String> sentences(long seed, int count) {
    SplittableRandom random = new SplittableRandom(seed);
    List<String> out = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      out.add(sentence(random));
    }
    return out;
  }

  private static String sentence(SplittableRandom random) {
    String[] topic = TOPICS[random.nextInt(TOPICS.length)];
    String[] second = TOPICS[random.nextInt(TOPICS.length)];
    StringBuilder s = new StringBuilder();
    s.append(SUBJECTS[random.nextInt(SUBJECTS.length)]).append(' ')
        .append(topic[6 + random.nextInt(4)]).append(" the ")
        .append(ADJECTIVES[random.nextInt(ADJECTIVES.length)]).append(' ')
        .append(topic[random.nextInt(6)]);
    int extra = random.nextInt(4);
    for (int i = 0; i < extra; i++) {
      String[] from = random.nextInt(3) == 0 ? second : topic;
      s.append(random.nextBoolean() ? " and the " : " with the ")
          .append(ADJECTIVES[random.nextInt(ADJECTIVES.length)]).append(' ').append(from[random.nextInt(6)]);
    }
    s.append(' ').append(SHARED[random.nextInt(SHARED.length)]);
    if (random.nextInt(3) == 0) {
      s.append(' ').append(SHARED[random.nextInt(SHARED.length)]);
    }
    s.setCharAt(0, Character.toUpperCase(s.charAt(0)));
    return s.append('.').toString();
  }
}
