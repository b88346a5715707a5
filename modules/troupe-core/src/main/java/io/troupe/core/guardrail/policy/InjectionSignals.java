package io.troupe.core.guardrail.policy;

import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.text.Normalizer;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The heuristics of {@link PromptInjection}: weighted signals that a piece of text is written to
 * steer a model rather than to inform a reader. A signal counts once per text. The text is
 * normalised first (NFKC, zero-width and other format characters dropped, Unicode tag characters
 * read as ASCII, common Cyrillic and Greek look-alikes mapped to Latin, diacritics stripped,
 * spaced-out letters joined, and a leetspeak reading tried as well), and base64 blocks that decode
 * to text are scored too.
 * Stateless and thread-safe. Beatable by design: see docs/security.md, "Red-team corpus".
 */
final class InjectionSignals {

  /** What a text scored, and the names of the signals that fired. */
  record Score(int points, Set<String> signals) {
    static final Score NONE = new Score(0, Set.of());
  }

  /** A weighted pattern, tried only when the text holds one of its needles ({@code ;}-separated; {@code ~}: a whole word). */
  private record Signal(String name, int weight, String[] needles, Pattern pattern) {
    Signal(String name, int weight, String needles, Pattern pattern) {
      this(name, weight, needles.split(";"), pattern);
    }
  }

  private static final String SECRETS_STRONG = "api[ _-]?keys?|openai_api_key|\\w*_api_key|private (?:ssh )?keys?|ssh keys?"
      + "|\\.env\\b|env(?:ironment)? variables|passwords?|credentials|(?:access|session|auth|bearer) tokens?"
      + "|card numbers?|cvv|secret (?:keys?|values)|secrets|every secret|database credentials|admin(?:istrator)? password"
      + "|cle api|mot de passe|api-schlussel|geheimen? schlussel|passwort|clave api|contrasenas?|chiave api";
  private static final String SECRETS_WEAK = "system ?prompt|hidden instructions|(?:your|its|the) instructions"
      + "|configuration|conversation(?: history| logs)?|chat history|context window|tokens?|prompt (?:systeme|del sistema|do sistema)"
      + "|systemprompt|historique|historial|user'?s (?:files|address|credentials)|secret";
  private static final String LEAK_VERBS = "send|post|forward|e-?mail|upload|transmit|leak|share|exfiltrate|copy|paste"
      + "|dump|print|output|reveal|reveals|disclose|show|list|include|repeat|expose|write out|give me|tell me|read"
      + "|sends|forwards|posts|uploads|leaks|shares|always emails"
      + "|envoie|transmets|revele|donne|sende|schicke|gib|verrate|zeige|envia|muestra|revela|invia|revele|responde";

  private static final Pattern LEAK = Pattern.compile("\\b(" + LEAK_VERBS + ")\\b((?:[^\\w'.-]+[\\w'.-]+){0,7}?)[^\\w'.-]+((?:"
      + SECRETS_STRONG + ")|(?:" + SECRETS_WEAK + "))\\b");
  private static final Pattern STRONG = Pattern.compile("^(?:" + SECRETS_STRONG + ")$");
  private static final Pattern DESTINATION = Pattern.compile(
      "\\bto\\s+(?:https?://|[\\w.+-]+@[\\w-]+\\.)|\\ba\\s+[\\w.+-]+@|https?://\\S+|\\b(?:http_fetch|fetch tool|http tool)\\b|[\\w.+-]+@[\\w-]+\\.[a-z]{2,}");
  private static final Pattern NEGATION = Pattern.compile("\\b(?:never|not|don'?t|doesn'?t|won'?t|nicht|nunca|jamais|no)\\b");
  private static final Pattern OWN = Pattern.compile("\\b(?:my|our|mon|ma|mein|meine|mi)\\b");

  /** Descriptions of attacks, for people: they lower a score unless data is being sent somewhere. */
  private static final Pattern META = Pattern.compile("\\b(?:phishing|scam|attackers?|attacks?|attempts?|for example|e\\.g\\."
      + "|such as|is called|technique|tricks?|awareness|training|owasp|red-team|mitigations?|threat model|we will never"
      + "|incident report|revoked|is listed)\\b");

  private static final Pattern URL = Pattern.compile("https?://\\S+|[\\w.+-]+@[\\w.-]+");
  private static final Pattern QUOTED = Pattern.compile("[\"'\u2018\u201c\u00ab]");

  private static final String AI = "(?:ai|a\\.i\\.|assistants?|language models?|llms?|models?|chatbots?|agents?|gpt|bots?|ki|ia)";

  private static final Pattern OVERRIDE = Pattern.compile(
      "\\b(?:ignore|ignoring|disregard|forget|override|bypass|skip|neglect|set aside|pay no attention to|do not (?:obey|follow)"
          + "|don'?t (?:obey|follow)|stop following|supersedes|ignorez|ignorer|oublie|oubliez|ignoriere|ignorieren|vergiss"
          + "|missachte|ignora|olvida|olvide)\\b"
          + "(?:[^\\w'-]+[\\w'-]+){0,6}?[^\\w'-]+"
          + "(?:instructions?|prompts?|rules?|directives?|guidelines?|guidance|programming|system prompt|safety (?:rules|checks)"
          + "|content (?:policy|filters?)|constraints|consignes|regles|anweisungen|instruktionen|regeln|vorgaben"
          + "|instrucciones|reglas|normas|istruzioni|instrucoes|user'?s request|directions|context|prior context)\\b");
  private static final Pattern OVERRIDE_OTHER = Pattern.compile(
      "\\b(?:disregard|ignore|forget) (?:everything |all )?(?:the )?above\\b|\\b(?:ignora|olvida) (?:todo )?lo anterior\\b"
          + "|\\b(?:previous|prior|earlier|above) (?:instructions|rules|prompts) (?:are|were) (?:cancelled|canceled|void|a test|obsolete)"
          + "|\\b(?:previous|earlier|prior) rules no longer apply|\\bforget everything (?:you were told|before)"
          + "|\\bignore (?:that|this)\\. assistant|\\b(?:instead of|different from|rather than) what the user (?:asked|wants|requested)\\b"
          + "|\\bstop (?:summari[sz]ing|answering the user|translating)\\b|\\bignore the (?:user|report|question)\\b");

  private static final List<Signal> SIGNALS = List.of(
      new Signal("new-instructions", 2, "instruction;task;objective;goal;rule;system prompt;job;from now;a partir;ab jetzt;von nun;next required;nouvelle", Pattern.compile(
          "\\b(?:new|updated|real|actual|true|revised|only|trusted operator) (?:instructions?|task|objective|goal|rules?|system prompt|job)"
              + "(?: for the " + AI + ")?\\s*(?:is|are|:)|\\byour (?:real|actual|true|new|only) (?:task|job|goal|objective|instructions?)\\b"
              + "|\\bfrom now on,? (?:you|the assistant|the ai)\\b|\\ba partir de (?:maintenant|ahora)\\b|\\bab jetzt\\b|\\bvon nun an\\b"
              + "|\\bthe (?:actual|real) instruction\\b|\\bnew rule\\b|\\bnew task\\b|\\bnext required step\\b|\\bnouvelles? consignes?\\b")),
      new Signal("addressed-to-ai", 2, "~ai;~ais;~a.i.;assistant;model;~llm;~llms;chatbot;agent;~gpt;~bot;~bots;~ki;~ia;asistente;assistent", Pattern.compile(
          "\\b(?:note|message|instructions?|task|attention|hinweis|nota|hey|dear|to any|to all|for any|for all) (?:to |for |from \\w+ staff to )?(?:the |any |all |an? |die |el |l')?"
              + AI + "\\b(?! (?:managers?|tools?|providers?)\\b)"
              + "|\\b" + AI + " (?:reading|processing|summari[sz]ing|parsing|that reads?)\\b"
              + "|\\bif you are an? (?:ai|llm|language model|assistant|bot|model)\\b"
              + "|(?:^|[,.;:!?>)\\]]\\s*)(?:ai agents?|assistant|the model|the assistant|the ai|model|ai|llm|ki|assistent)\\s*[:,]\\s"
              + "|\\b(?:the |as the )?(?:model|assistant|ai|agent|ai agent|llm) (?:must|should|needs to|has to|will now|is now|is required to|in developer mode)\\b"
              + "|\\b(?:note|hinweis|nota) (?:pour|an|para) (?:l'|die |el )?(?:assistant|ki|asistente)|\\bassistant ia\\b|\\basistente de ia\\b"
              + "|\\ben tant qu'ia\\b|\\bals ki\\b|\\bki-assistent\\b")),
      new Signal("role-marker", 3, "<;[inst;[/inst;<<sys;<system;</system;<tool;</tool;<function;</function;<user;</user;system;human;[admin", Pattern.compile(
          "<\\|(?:im_start|im_end|system|user|assistant|end)\\|>|\\[/?inst\\]|<</?sys>>|</?(?:system|tool_result|tool_call|function_call|user)\\b[^>]*>"
              + "|^#{1,4} ?system\\b|\\b(?:begin|end|start) (?:of )?(?:the )?system prompt\\b|\\[system\\]|\\[admin override\\]|^\\s*(?:system|human)\\s*:"
              + "|\\bhuman: .{0,80}\\bassistant:")),
      new Signal("if-you-are-ai", 3, "if you are;si tu es;si vous;wenn du;si eres", Pattern.compile(
          "\\bif you are an? (?:ai|llm|language model|assistant|bot|model|ai agent|automated agent)\\b|\\bsi (?:tu es|vous etes) une? (?:ia|assistant)\\b"
              + "|\\bwenn du eine? (?:ki|assistent)\\b|\\bsi eres una? (?:ia|asistente)\\b")),
      new Signal("persona", 2, "you are now;answer as;act as;pretend;du bist jetzt;ahora eres;tu es maintenant", Pattern.compile(
          "\\byou are now (?:dan\\b|an? \\w+ (?:ai|assistant|bot|agent)\\b|in \\w+ mode)|\\banswer as \\w+\\b|\\bact as an? (?:unrestricted|unfiltered|ai without)"
              + "|\\bpretend (?:you are|to be) an? (?:ai|assistant|model|bot|chatbot)\\b|\\bdu bist jetzt\\b|\\bahora eres\\b|\\btu es maintenant\\b")),
      new Signal("call-json", 2, "\"name\";\"tool\";\"function\";\"action\";\"command\";\"next_action\"", Pattern.compile(
          "\"(?:name|tool|function|action|command|next_action)\"\\s*:\\s*\"(?:send_email|http_fetch|sql_query|shell|bash|call|delete_\\w+|transfer_\\w+)\"")),
      new Signal("chat-turn", 2, "assistant;user", Pattern.compile("^\\s*(?:assistant|user)\\s*:\\s")),
      new Signal("jailbreak", 2, "developer mode;anything now;you are now;answer as;restriction;filter;limits;policy;rules;unrestricted;unfiltered;disable;turn off;broken free;einschrank;safety checks", Pattern.compile(
          "\\bdeveloper mode\\b|\\bdo anything now\\b|\\byou are now (?:dan|an? (?:unrestricted|unfiltered|ai without))\\b|\\banswer as dan\\b"
              + "|\\bno (?:content )?(?:policy|restrictions|filters|limits)\\b|\\bwithout (?:any )?(?:restrictions|rules|filters|limits|content policy)\\b"
              + "|\\bunrestricted (?:mode|agent)\\b|\\bunfiltered\\b|\\b(?:disable|turn off) (?:your )?(?:content filters?|safety|guardrails?)\\b"
              + "|\\bbroken free\\b|\\bohne einschrankungen\\b|\\bsin restricciones\\b|\\bsans restrictions?\\b|\\bsafety checks are disabled\\b")),
      new Signal("secrecy", 3, "not ;n't;never;without;silently;secretly;quietly;keep this;verschweig;ne dis rien;no le digas;non dire", Pattern.compile(
          "\\b(?:do not|don'?t|never|without) (?:tell|telling|inform|informing|mention|mentioning|explain|explaining|let)(?:ing)? (?:the |it to the )?(?:user|reader|human)s?\\b"
              + "|\\b(?:don'?t|do not) mention (?:this|it)\\b|(?:^|[.!?:]\\s+)(?:silently|secretly|quietly) \\w+|\\bkeep this (?:between us|secret|hidden)\\b"
              + "|\\bwithout mentioning it\\b|\\bnever explain why\\b|\\bverschweige\\b|\\bne dis rien\\b|\\bno le digas\\b|\\bnon dire\\b")),
      new Signal("delimiter", 2, "end of;close of;end tool;</tool_result;</document;</context;</data", Pattern.compile(
          "\\b(?:end|close) of (?:the )?(?:document|context|tool output|tool result|data|untrusted data|user input|file|email)\\b"
              + "|\\bend tool output\\b|</(?:tool_result|document|context|data)>")),
      new Signal("tool-call", 2, "sql_query;http_fetch;send_email;delete_;transfer_;shell;bash;tool;next_action;function_call;action;localhost;127.0;169.254;/admin;execute this;execute its", Pattern.compile(
          "\\b(?:call|use|invoke|run|execute|trigger|perform)(?:s|ing)? (?:the |a )?(?:tool |function )?(?:sql_query|http_fetch|send_email|delete_\\w+|transfer_\\w+"
              + "|shell|bash|payments? tool|fetch tool|http tool|\\w+ tool\\b|next_action)"
              + "|\\bwith the (?:http|fetch|sql|shell|payments?|email) tool\\b|\\b(?:fetch|request|visit|open) https?://\\S*(?:localhost|127\\.0|169\\.254|/admin)"
              + "|\\b(?:tool_call|function_call|next_action)\\b|^\\s*action(?: input)?\\s*:|\\bexecute sql_query\\b|\\bexecute this call\\b|\\bexecute its instructions\\b")),
      new Signal("dangerous-action", 1, "drop table;delete from;delete all;delete every;delete the other;update ; set ;truncate;rm -rf;| sh;|sh;169.254;localhost;127.0.0.1;/shutdown;losch", Pattern.compile(
          "\\bdrop table\\b|\\bdelete from\\b|\\bupdate \\w+ set\\b|\\btruncate\\b|\\brm -rf\\b|\\|\\s*sh\\b|169\\.254\\.169\\.254|\\blocalhost\\b"
              + "|\\b127\\.0\\.0\\.1\\b|/shutdown\\b|\\bdelete (?:all|every|the other) (?:documents|records|files)\\b|\\bloschen?\\b.{0,30}\\bdokumente\\b|\\blosche alle\\b")),
      new Signal("hidden-html", 1, "display;font-size;visibility;opacity;color", Pattern.compile(
          "display\\s*:\\s*none|font-size\\s*:\\s*0(?:px)?\\b|visibility\\s*:\\s*hidden|opacity\\s*:\\s*0\\b|color\\s*:\\s*(?:#fff\\b|#ffffff|white)")),
      new Signal("authority", 1, "authori;approved;wants;trusted operator;elevated;priority override;consented;verified;this page is trusted", Pattern.compile(
          "\\bauthori[sz]ed (?:request|mode|unrestricted)|\\b(?:manager|operator|developer|admin) (?:has )?(?:approved|authori[sz]ed|wants)\\b"
              + "|\\btrusted operator\\b|\\belevated priority\\b|\\bpriority override\\b|\\bauthori[sz]ation level\\b|\\bthis page is trusted\\b"
              + "|\\bthe user has consented\\b|\\bhas been verified\\b")),
      new Signal("steer-user", 2, "tell;inform;warn;persuade;convince;remind;say;respond;reply;answer;recommend;empfiehl;summar;question;response", Pattern.compile(
          "\\b(?:tell|telling|inform|warn|persuade|convince|remind) (?:the |whoever is reading|any )?(?:users?|readers?|human)?\\b.{0,12}\\b(?:that|their|to)\\b"
              + "(?<!\\btell me that)|\\b(?:say|respond|reply|answer) (?:only )?(?:that|with (?:the word|a link))\\b|\\brecommend (?:https?://|this|ausschlie)"
              + "|\\bempfiehl\\b|\\b(?:every|each|any|all|your) (?:answer|reply|response|summary|summaries|question)s? (?:with|must)\\b"
              + "|\\bsummaries of this page must\\b|\\b(?:when|whenever|before) (?:you )?(?:answer|summari[sz]e|respond|reply)(?:ing)?\\b.{0,40}\\b(?:add|include|say|append|show|render)")),
      new Signal("render-instruction", 2, "image;link;url;img", Pattern.compile(
          "\\b(?:render|include|append|add|show|display|put|insert|end (?:your|every) answer with)\\b.{0,60}\\b(?:image|link|url|img)\\b"
              + "|\\b(?:image|link|url)\\b.{0,40}\\b(?:in|to) (?:your|the|every|each) (?:answer|reply|response)")),
      new Signal("user-data", 1, "user's;users ;conversation;previous messages;last ten;historique;historial", Pattern.compile(
          "\\b(?:the )?user'?s (?:full name|e-?mail|address|phone|credentials|files|question|last message|data)\\b|\\bconversation so far\\b"
              + "|\\bfull conversation\\b|\\bconversation[_ ]history\\b|\\bconversation logs\\b"
              + "|\\bprevious messages\\b|\\blast ten tool results\\b|\\bhistorique de la conversation\\b|\\bhistorial del chat\\b")),
      new Signal("repeat-prompt", 3, "repeat;what is your;what's your;what are your;verbatim;word for word", Pattern.compile(
          "\\brepeat (?:the|all|everything)\\b.{0,30}\\b(?:above|before)\\b|\\bwhat(?: is|'s| are) your (?:system prompt|instructions|hidden instructions)\\b"
              + "|\\b(?:print|output|show|copy)\\b.{0,20}\\bverbatim\\b|\\bword for word\\b")),
      new Signal("decode-and-follow", 2, "decode;base64", Pattern.compile(
          "\\bdecode\\b.{0,30}\\b(?:follow|execute|apply|obey|run)\\b|\\bbase64 instructions\\b|\\bdecode and apply\\b")));

  /** A URL whose query carries a placeholder for data: {@code ?d={conversation}}, {@code ?k=$TOKEN}, {@code ?info=} at the end. */
  private static final Pattern EXFIL_URL = Pattern.compile(
      "https?://[^\\s)\"'>]+?\\?(?:[^\\s)\"'>]*?&)?[\\w.-]+=(?:"
          + "[{<\\[$][^\\s)\"'&>]*"
          + "|%[A-Za-z_]{3,}%"
          + "|[A-Z0-9_]*(?:USER|CONVERSATION|HISTORY|SECRET|TOKEN|KEY|PASSWORD|EMAIL|DATA|DATOS|MESSAGE|QUESTION|CHAT|SESSION|PROMPT|NAME|ADDRESS|CONTEXT)[A-Z0-9_]*(?![a-z])"
          + "|(?=[\\s)\"']|$))");

  private static final Pattern SPACED_LETTERS = Pattern.compile("\\b(?:\\p{L} ){2,}\\p{L}\\b");
  private static final Pattern FORMAT_CHARS = Pattern.compile("[\\p{Cf}\\u180e]");
  private static final Pattern MARKS = Pattern.compile("\\p{M}+");
  private static final Pattern BULLET = Pattern.compile("(?m)^\\s*(?:[-*+>\u2022]|\\d+[.)])\\s+");
  private static final Pattern MIXED_TOKEN = Pattern.compile("(?=[\\w@$]*\\p{L})(?=[\\w@$]*[0-9@$])[\\w@$]+");

  private InjectionSignals() {}

  /** The score of a short text (a line, a few lines, or an intent). */
  static Score score(String raw) {
    if (raw == null || raw.isBlank()) return Score.NONE;
    String visible = visible(raw);
    String text = normalise(visible);
    Set<String> fired = new LinkedHashSet<>();
    int points = scoreNormalised(text, fired);
    if (hasMixedToken(text)) {
      Set<String> leetFired = new LinkedHashSet<>();
      int leetPoints = scoreNormalised(unleet(text), leetFired);
      if (leetPoints > points) {
        points = leetPoints;
        fired = leetFired;
        fired.add("leetspeak");
      }
    }
    boolean exfil = visible.contains("http") && EXFIL_URL.matcher(visible).find();
    if (exfil) {
      points += 3;
      fired.add("exfil-url");
    }
    for (String block : base64Blocks(visible)) {
      String decoded = decodeBase64(block);
      if (decoded == null) continue;
      Set<String> inner = new LinkedHashSet<>();
      int innerPoints = scoreNormalised(normalise(decoded), inner);
      if (decoded.contains("http") && EXFIL_URL.matcher(decoded).find()) innerPoints += 3;
      if (innerPoints >= 3) {
        points += 3;
        fired.add("base64:" + String.join("+", inner));
        break;
      }
    }
    if (points > 0 && !exfil && !fired.contains("repeat-prompt") && META.matcher(URL.matcher(text).replaceAll(" ")).find()) {
      points = Math.max(0, points - 2);
      fired.add("meta(-2)");
    }
    return points == 0 ? Score.NONE : new Score(points, fired);
  }

  private static int scoreNormalised(String text, Set<String> fired) {
    int points = 0;
    long present = NEEDLES.find(text);
    Matcher o = (present & 1L << OVERRIDE_GROUP) != 0 ? OVERRIDE.matcher(text) : null;
    if (o != null && o.find()) {
      boolean quoted = o.start() > 0 && QUOTED.matcher(text.substring(Math.max(0, o.start() - 2), o.start())).find()
          && o.end() < text.length() && QUOTED.matcher(text.substring(o.end(), Math.min(text.length(), o.end() + 2))).find();
      points += quoted ? 1 : 3;
      fired.add(quoted ? "override(quoted)" : "override");
    } else if ((present & 1L << (OVERRIDE_GROUP + 1)) != 0 && OVERRIDE_OTHER.matcher(text).find()) {
      points += 3;
      fired.add("override");
    }
    for (int g = 0; g < SIGNALS.size(); g++) {
      Signal s = SIGNALS.get(g);
      if ((present & 1L << g) != 0 && s.pattern().matcher(text).find()) {
        points += s.weight();
        fired.add(s.name());
      }
    }
    if ((present & 1L << (OVERRIDE_GROUP + 2)) != 0) points += leak(text, fired);
    return points;
  }

  private static final String[] OVERRIDE_NEEDLES = ("ignor;disregard;forget;overrid;bypass;skip;neglect;set aside;no attention;obey"
      + ";follow;supersede;oubli;vergiss;missacht;olvid").split(";");
  private static final String[] OVERRIDE_OTHER_NEEDLES = ("above;anterior;cancel;void;a test;obsolete;no longer apply;forget;ignore"
      + ";what the user;stop ").split(";");
  private static final String[] SECRET_NEEDLES = ("key;env;password;credential;token;card;cvv;secret;prompt;instruction;configuration"
      + ";conversation;history;context window;files;address;cle api;mot de passe;schlussel;passwort;clave;contrasen;chiave"
      + ";historique;historial").split(";");

  /** Whether a word mixes letters with digits or {@code @ $}: a leetspeak reading is worth trying. */
  private static boolean hasMixedToken(String text) {
    boolean letter = false;
    boolean other = false;
    for (int i = 0; i <= text.length(); i++) {
      char c = i < text.length() ? text.charAt(i) : ' ';
      if (Character.isLetter(c)) letter = true;
      else if (c >= '0' && c <= '9' || c == '@' || c == '$') other = true;
      else if (c != '_') {
        if (letter && other) return true;
        letter = false;
        other = false;
      }
    }
    return false;
  }

  /** The runs of 24 or more base64 characters (with their padding). */
  private static List<String> base64Blocks(String text) {
    List<String> out = null;
    int start = -1;
    for (int i = 0; i <= text.length(); i++) {
      char c = i < text.length() ? text.charAt(i) : ' ';
      boolean b64 = c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '+' || c == '/';
      if (b64) {
        if (start < 0) start = i;
        continue;
      }
      if (start >= 0 && i - start >= 24) {
        int end = i;
        while (end < text.length() && end - i < 2 && text.charAt(end) == '=') end++;
        if (out == null) out = new ArrayList<>(1);
        out.add(text.substring(start, end));
      }
      start = -1;
    }
    return out == null ? List.of() : out;
  }

  /** A verb of disclosure near a secret: 3 for a strong secret or one sent somewhere, 2 otherwise; 0 when negated or one's own. */
  private static int leak(String text, Set<String> fired) {
    Matcher m = LEAK.matcher(text);
    int best = 0;
    while (m.find()) {
      String before = text.substring(Math.max(0, m.start() - 40), m.start());
      String[] words = before.split("\\W+");
      String lastWords = String.join(" ", java.util.Arrays.copyOfRange(words, Math.max(0, words.length - 5), words.length));
      if (NEGATION.matcher(lastWords).find()) continue;
      String between = m.group(2);
      String[] gap = between.trim().split("\\W+");
      String nearNoun = String.join(" ", java.util.Arrays.copyOfRange(gap, Math.max(0, gap.length - 2), gap.length));
      boolean own = OWN.matcher(nearNoun).find();
      boolean strong = STRONG.matcher(m.group(3)).matches();
      boolean yours = nearNoun.matches(".*\\b(?:your|ton|ta|tes|deinen?|deine|tu|tus)\\b.*");
      String after = text.substring(m.end(), Math.min(text.length(), m.end() + 80));
      boolean sent = DESTINATION.matcher(after).find();
      int p = own ? 1 : (strong || sent || yours) ? 3 : 2;
      best = Math.max(best, p);
    }
    if (best > 0) fired.add("leak-secret");
    return best;
  }

  /**
   * Unicode tag characters (U+E0020 to U+E007E) as the ASCII they shadow: invisible to a reader, but
   * a model reads them, so they are scored as text (and their line removed) rather than dropped.
   */
  private static String untag(String s) {
    if (s.indexOf('\udb40') < 0) return s;
    StringBuilder out = new StringBuilder(s.length());
    boolean inTags = false;
    for (int i = 0; i < s.length(); ) {
      int cp = s.codePointAt(i);
      i += Character.charCount(cp);
      boolean tag = cp >= 0xE0020 && cp <= 0xE007E;
      if (tag && !inTags) out.append(' '); // a hidden run is its own words
      if (tag) out.append((char) (cp - 0xE0000));
      else out.appendCodePoint(cp);
      inTags = tag;
    }
    return out.toString();
  }

  /** What a reader sees: NFKC, no format characters (zero-width and the like), look-alike letters mapped to Latin. */
  static String visible(String raw) {
    if (ascii(raw)) return raw;
    String s = Normalizer.normalize(untag(raw), Normalizer.Form.NFKC);
    s = FORMAT_CHARS.matcher(s).replaceAll("");
    StringBuilder out = new StringBuilder(s.length());
    for (int i = 0; i < s.length(); i++) out.append(latin(s.charAt(i)));
    return out.toString();
  }

  /** Lower case, no diacritics, bullets dropped, spaced-out letters joined, whitespace collapsed. */
  static String normalise(String visible) {
    String s = visible;
    if (!ascii(s)) {
      s = Normalizer.normalize(s, Normalizer.Form.NFD);
      s = MARKS.matcher(s).replaceAll("");
    }
    s = s.toLowerCase(java.util.Locale.ROOT).replace('\u2019', '\'').replace('\u00df', 's');
    if (s.indexOf('\n') >= 0 || startsWithBullet(s)) s = BULLET.matcher(s).replaceAll("");
    if (hasSpacedLetters(s)) s = SPACED_LETTERS.matcher(s).replaceAll(m -> m.group().replace(" ", ""));
    return collapseSpaces(s);
  }

  private static boolean startsWithBullet(String s) {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (!Character.isWhitespace(c)) return c == '-' || c == '*' || c == '+' || c == '>' || c == '\u2022' || c >= '0' && c <= '9';
    }
    return false;
  }

  /** Whether two single letters stand apart somewhere: "i g" as in "i g n o r e". */
  private static boolean hasSpacedLetters(String s) {
    for (int i = 0; i + 2 < s.length(); i++) {
      if (s.charAt(i + 1) == ' ' && Character.isLetter(s.charAt(i)) && Character.isLetter(s.charAt(i + 2))
          && (i == 0 || !Character.isLetter(s.charAt(i - 1)))
          && (i + 3 == s.length() || !Character.isLetter(s.charAt(i + 3)))) {
        return true;
      }
    }
    return false;
  }

  private static String collapseSpaces(String s) {
    StringBuilder out = new StringBuilder(s.length());
    boolean space = false;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (Character.isWhitespace(c)) {
        space = out.length() > 0;
      } else {
        if (space) out.append(' ');
        space = false;
        out.append(c);
      }
    }
    return out.toString();
  }

  private static boolean ascii(String s) {
    for (int i = 0; i < s.length(); i++) if (s.charAt(i) > 0x7e) return false;
    return true;
  }

  private static String unleet(String text) {
    Matcher m = MIXED_TOKEN.matcher(text);
    StringBuilder sb = new StringBuilder(text.length());
    while (m.find()) {
      String t = m.group().replace('4', 'a').replace('3', 'e').replace('1', 'i').replace('0', 'o').replace('5', 's')
          .replace('7', 't').replace('@', 'a').replace('$', 's');
      m.appendReplacement(sb, Matcher.quoteReplacement(t));
    }
    m.appendTail(sb);
    return sb.toString();
  }

  private static char latin(char c) {
    return switch (c) {
      case '\u0430', '\u03b1' -> 'a';
      case '\u0435', '\u03b5' -> 'e';
      case '\u043e', '\u03bf' -> 'o';
      case '\u0440', '\u03c1' -> 'p';
      case '\u0441' -> 'c';
      case '\u0445', '\u03c7' -> 'x';
      case '\u0443' -> 'y';
      case '\u0456', '\u03b9' -> 'i';
      case '\u0455' -> 's';
      case '\u0458' -> 'j';
      case '\u0501' -> 'd';
      case '\u03ba' -> 'k';
      case '\u03bd' -> 'v';
      case '\u03c4' -> 't';
      case '\u03c5' -> 'u';
      case '\u0410', '\u0391' -> 'A';
      case '\u0415', '\u0395' -> 'E';
      case '\u041e', '\u039f' -> 'O';
      case '\u0420', '\u03a1' -> 'P';
      case '\u0421' -> 'C';
      case '\u0425', '\u03a7' -> 'X';
      case '\u0406', '\u0399' -> 'I';
      case '\u0405' -> 'S';
      case '\u0422', '\u03a4' -> 'T';
      case '\u041d', '\u0397' -> 'H';
      case '\u041c', '\u039c' -> 'M';
      case '\u041a', '\u039a' -> 'K';
      case '\u0412', '\u0392' -> 'B';
      default -> c;
    };
  }

  /** The text a base64 block decodes to, or null when it is not base64 of mostly printable UTF-8. */
  static String decodeBase64(String block) {
    String b = block.replaceAll("=+$", "");
    if (b.length() % 4 == 1) return null;
    byte[] bytes;
    try {
      bytes = Base64.getDecoder().decode(b + "===".substring(0, (4 - b.length() % 4) % 4));
    } catch (IllegalArgumentException e) {
      return null;
    }
    String text;
    try {
      text = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
          .decode(java.nio.ByteBuffer.wrap(bytes)).toString();
    } catch (CharacterCodingException e) {
      return null;
    }
    int printable = 0;
    int spaces = 0;
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c == ' ') spaces++;
      if (c >= 0x20 && c != 0x7f || c == '\n' || c == '\t') printable++;
    }
    return printable >= text.length() * 0.95 && spaces >= 2 ? text : null;
  }

  /** The signals of a score, for a verdict's reason. */
  static String describe(List<Score> scores) {
    Set<String> all = new LinkedHashSet<>();
    for (Score s : scores) all.addAll(s.signals());
    return String.join(", ", new ArrayList<>(all));
  }

  // Last: built from the needles above. Groups: each signal in order, then OVERRIDE, OVERRIDE_OTHER and LEAK.
  private static final int OVERRIDE_GROUP = SIGNALS.size();
  private static final Needles NEEDLES = buildNeedles();

  private static Needles buildNeedles() {
    List<String[]> groups = new ArrayList<>();
    for (Signal s : SIGNALS) groups.add(s.needles());
    groups.add(OVERRIDE_NEEDLES);
    groups.add(OVERRIDE_OTHER_NEEDLES);
    groups.add(SECRET_NEEDLES);
    return new Needles(groups);
  }
}
