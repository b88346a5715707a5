package io.troupe.tools.fetch;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.troupe.core.json.Json;
import io.troupe.core.llm.ToolSpec;
import io.troupe.core.tools.ToolContext;
import io.troupe.tools.ToolException;
import io.troupe.tools.api.LimitedTool;
import io.troupe.tools.api.ToolLimits;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.UnknownHostException;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.http.javadsl.ClientTransport;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.OutgoingConnectionBuilder;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.headers.Host;
import org.apache.pekko.http.javadsl.model.headers.Location;
import org.apache.pekko.http.javadsl.model.headers.UserAgent;
import org.apache.pekko.http.javadsl.settings.ClientConnectionSettings;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.util.ByteString;

/**
 * {@code http_fetch}: GETs an http(s) URL and returns its content as text, safe against SSRF.
 *
 * <p>Before each hop (the first request and every redirect, followed by hand up to
 * {@code max-redirects}) the host is resolved here, on the blocking executor, and every address
 * is checked with {@link AddressPolicy}; one forbidden answer refuses the URL. The connection then
 * goes to the checked address through Pekko HTTP's {@link ClientTransport#withCustomResolver}, so
 * no second DNS look-up can swap in another address (DNS rebinding), while TLS still checks the
 * certificate and sends SNI for the host name. A refused URL never gets a connection.
 */
public final class HttpFetchTool implements LimitedTool {
  public static final String NAME = "http_fetch";

  /** Resolves a host name; replaceable in tests. */
  @FunctionalInterface
  public interface Resolver {
    InetAddress[] resolve(String host) throws UnknownHostException;
  }

  private final ActorSystem<?> system;
  private final HttpFetchSettings settings;
  private final AddressPolicy policy;
  private final Executor blocking;
  private final Resolver resolver;
  private final AtomicLong connections = new AtomicLong();
  private final ToolSpec spec;

  public HttpFetchTool(ActorSystem<?> system, HttpFetchSettings settings, Executor blocking) {
    this(system, settings, blocking, InetAddress::getAllByName);
  }

  public HttpFetchTool(ActorSystem<?> system, HttpFetchSettings settings, Executor blocking, Resolver resolver) {
    this.system = system;
    this.settings = settings;
    this.policy = new AddressPolicy(settings.allowHosts(), settings.allowCidrs());
    this.blocking = blocking;
    this.resolver = resolver;
    ObjectNode schema = Json.object().put("type", "object");
    ObjectNode props = schema.putObject("properties");
    props.putObject("url").put("type", "string").put("minLength", 1).put("maxLength", 2048)
        .put("description", "The http or https URL to GET. Private and local addresses are refused.");
    schema.putArray("required").add("url");
    schema.put("additionalProperties", false);
    this.spec = new ToolSpec(NAME,
        "Fetches a public web page or API over http(s) and returns its content as text (HTML is turned into text; "
            + "binary content is refused). At most " + settings.maxBytes() + " bytes are read.",
        schema);
  }

  @Override
  public ToolSpec spec() {
    return spec;
  }

  @Override
  public Effect effect() {
    return Effect.READ_ONLY;
  }

  @Override
  public ToolLimits limits() {
    // the registry's timeout is a little longer than the fetch's own, which gives the clearer error
    return new ToolLimits(settings.timeout().plusSeconds(2), 0, -1);
  }

  /** How many connections this tool has opened: a refused URL opens none. */
  public long connectionsOpened() {
    return connections.get();
  }

  @Override
  public CompletionStage<JsonNode> invoke(JsonNode arguments, ToolContext context) {
    URI uri;
    try {
      uri = new URI(arguments.path("url").asText().strip()).normalize();
    } catch (URISyntaxException e) {
      return CompletableFuture.failedFuture(new ToolException("invalid URL: " + e.getMessage()));
    }
    return hop(uri, 0).toCompletableFuture().orTimeout(settings.timeout().toMillis(), TimeUnit.MILLISECONDS)
        .exceptionally(e -> {
          Throwable cause = e instanceof java.util.concurrent.CompletionException && e.getCause() != null ? e.getCause() : e;
          if (cause instanceof ToolException te) throw te;
          if (cause instanceof java.util.concurrent.TimeoutException) {
            throw new ToolException("fetching " + uri + " took longer than " + settings.timeout().toSeconds() + " s");
          }
          throw new ToolException("fetching " + uri + " failed: " + (cause.getMessage() == null
              ? cause.getClass().getSimpleName() : cause.getMessage().replaceAll("\\s+", " ")));
        });
  }

  private record Target(String scheme, String host, int port, String pathAndQuery) {}

  /** What may be connected to for {@code uri}: the checked address. Throws a ToolException if none. */
  InetAddress check(Target t) {
    boolean allowedHost = policy.hostAllowed(t.host(), t.port());
    InetAddress literal = Literals.address(t.host());
    InetAddress[] addresses;
    if (literal != null) {
      addresses = new InetAddress[] {literal};
    } else {
      try {
        addresses = resolver.resolve(t.host());
      } catch (UnknownHostException e) {
        throw new ToolException("the host '" + t.host() + "' could not be resolved");
      }
      if (addresses == null || addresses.length == 0) {
        throw new ToolException("the host '" + t.host() + "' has no address");
      }
    }
    if (!allowedHost) {
      for (InetAddress a : addresses) {
        String denial = policy.denial(a);
        if (denial != null) {
          throw new ToolException("refused: '" + t.host() + "' is a " + denial + " address (" + a.getHostAddress()
              + "); http_fetch only fetches public addresses");
        }
      }
    }
    return addresses[0];
  }

  static Target target(URI uri) {
    String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
    if (!scheme.equals("http") && !scheme.equals("https")) {
      throw new ToolException("refused: only http and https URLs can be fetched, not '" + uri + "'");
    }
    if (uri.getRawUserInfo() != null) {
      throw new ToolException("refused: URLs with user info are not fetched");
    }
    String host = uri.getHost();
    if (host == null || host.isBlank()) {
      throw new ToolException("invalid URL: no host in '" + uri + "'");
    }
    if (host.startsWith("[") && host.endsWith("]")) host = host.substring(1, host.length() - 1);
    int port = uri.getPort() >= 0 ? uri.getPort() : scheme.equals("https") ? 443 : 80;
    String path = uri.getRawPath() == null || uri.getRawPath().isEmpty() ? "/" : uri.getRawPath();
    if (uri.getRawQuery() != null) path += "?" + uri.getRawQuery();
    return new Target(scheme, host, port, path);
  }

  private CompletionStage<JsonNode> hop(URI uri, int redirects) {
    Target t;
    try {
      t = target(uri);
    } catch (ToolException e) {
      return CompletableFuture.failedFuture(e);
    }
    return CompletableFuture.supplyAsync(() -> check(t), blocking)
        .thenCompose(address -> request(t, address))
        .thenCompose(response -> {
          int status = response.status().intValue();
          Optional<Location> location = response.getHeader(Location.class);
          if (status >= 300 && status < 400 && status != 304 && location.isPresent()) {
            response.discardEntityBytes(system);
            if (redirects >= settings.maxRedirects()) {
              return CompletableFuture.failedFuture(
                  new ToolException("too many redirects (more than " + settings.maxRedirects() + ") from " + uri));
            }
            URI next;
            try {
              next = uri.resolve(new URI(location.get().getUri().toString())).normalize();
            } catch (URISyntaxException | IllegalArgumentException e) {
              return CompletableFuture.failedFuture(new ToolException("invalid redirect location from " + uri));
            }
            return hop(next, redirects + 1);
          }
          return read(uri, response);
        });
  }

  private CompletionStage<HttpResponse> request(Target t, InetAddress address) {
    connections.incrementAndGet();
    InetSocketAddress pinned = new InetSocketAddress(address, t.port());
    ClientTransport transport = ClientTransport.withCustomResolver((host, port) -> CompletableFuture.completedFuture(pinned));
    ClientConnectionSettings connection = ClientConnectionSettings.create(system.classicSystem())
        .withTransport(transport)
        .withConnectingTimeout(settings.connectTimeout())
        .withIdleTimeout(settings.timeout());
    OutgoingConnectionBuilder builder = Http.get(system).connectionTo(t.host()).toPort(t.port())
        .withClientConnectionSettings(connection);
    boolean defaultPort = (t.scheme().equals("http") && t.port() == 80) || (t.scheme().equals("https") && t.port() == 443);
    HttpRequest request = HttpRequest.GET(t.pathAndQuery())
        .addHeader(defaultPort ? Host.create(t.host()) : Host.create(t.host(), t.port()))
        .addHeader(UserAgent.create(settings.userAgent()))
        .addHeader(org.apache.pekko.http.javadsl.model.headers.RawHeader.create(
            "Accept", "text/html,application/xhtml+xml,application/json,text/plain;q=0.9,*/*;q=0.1"));
    var flow = t.scheme().equals("https") ? builder.https() : builder.http();
    return Source.single(request).via(flow).runWith(Sink.head(), system);
  }

  private CompletionStage<JsonNode> read(URI uri, HttpResponse response) {
    var contentType = response.entity().getContentType();
    String mediaType = contentType.mediaType().toString().toLowerCase(Locale.ROOT);
    String kind = kindOf(mediaType);
    if (kind == null) {
      response.discardEntityBytes(system);
      return CompletableFuture.failedFuture(new ToolException(
          "refused: " + uri + " returned binary content (" + mediaType + "); http_fetch only returns text"));
    }
    Charset charset = contentType.getCharsetOption().map(c -> {
      try {
        return Charset.forName(c.value());
      } catch (RuntimeException e) {
        return StandardCharsets.UTF_8;
      }
    }).orElse(StandardCharsets.UTF_8);
    long max = settings.maxBytes();
    AtomicLong seen = new AtomicLong();
    return response.entity().withoutSizeLimit().getDataBytes()
        .takeWhile(chunk -> seen.getAndAdd(chunk.size()) < max)
        .runFold(ByteString.emptyByteString(), ByteString::concat, system)
        .thenApply(bytes -> {
          boolean truncated = bytes.size() > max || seen.get() > max;
          ByteString body = bytes.size() > max ? bytes.take((int) max) : bytes;
          String raw = body.decodeString(charset);
          String text = kind.equals("html") ? HtmlText.toText(raw) : raw;
          ObjectNode out = Json.object();
          out.put("url", uri.toString());
          out.put("status", response.status().intValue());
          out.put("contentType", mediaType);
          out.put("truncated", truncated);
          out.put("text", text);
          return out;
        });
  }

  /** "html", "text", or null for content refused as binary. */
  static String kindOf(String mediaType) {
    if (mediaType.equals("text/html") || mediaType.equals("application/xhtml+xml")) return "html";
    if (mediaType.startsWith("text/") || mediaType.equals("application/json") || mediaType.endsWith("+json")
        || mediaType.equals("application/xml") || mediaType.endsWith("+xml") || mediaType.equals("application/javascript")
        || mediaType.equals("application/x-ndjson") || mediaType.equals("application/yaml")) {
      return "text";
    }
    if (mediaType.equals("application/octet-stream") || mediaType.startsWith("none")) return null;
    return null;
  }
}
