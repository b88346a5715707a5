package io.troupe.http.console;

import static org.apache.pekko.http.javadsl.server.Directives.complete;
import static org.apache.pekko.http.javadsl.server.Directives.concat;
import static org.apache.pekko.http.javadsl.server.Directives.get;
import static org.apache.pekko.http.javadsl.server.Directives.path;
import static org.apache.pekko.http.javadsl.server.Directives.pathEnd;
import static org.apache.pekko.http.javadsl.server.Directives.pathPrefix;
import static org.apache.pekko.http.javadsl.server.Directives.redirect;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.List;
import org.apache.pekko.http.javadsl.model.ContentType;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpCharsets;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.MediaTypes;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.model.Uri;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * GET /console: the browser console, three static files read from the jar once. The files hold
 * no data, so they are served without auth like health; the page asks the public API with the
 * key its user pastes. The policy headers keep the page to its own origin: no CDN, no inline code.
 */
public final class ConsoleRoutes {
  private static final String ROOT = "/io/troupe/http/console/";
  static final String POLICY = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
      + "img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

  private final HttpResponse page;
  private final HttpResponse script;
  private final HttpResponse styles;

  public ConsoleRoutes() {
    page = file("index.html", ContentTypes.TEXT_HTML_UTF8);
    script = file("console.js", MediaTypes.APPLICATION_JAVASCRIPT.toContentType(HttpCharsets.UTF_8));
    styles = file("console.css", MediaTypes.TEXT_CSS.toContentType(HttpCharsets.UTF_8));
  }

  public Route route() {
    return pathPrefix("console", () -> get(() -> concat(
        pathEnd(() -> complete(page)),
        // Relative links in the page resolve against /console, so /console/ goes back there.
        path("", () -> redirect(Uri.create("/console"), StatusCodes.MOVED_PERMANENTLY)),
        path("console.js", () -> complete(script)),
        path("console.css", () -> complete(styles)))));
  }

  private static HttpResponse file(String name, ContentType type) {
    try (InputStream in = ConsoleRoutes.class.getResourceAsStream(ROOT + name)) {
      if (in == null) {
        throw new IllegalStateException("the console file " + name + " is missing from the jar");
      }
      return HttpResponse.create()
          .withEntity(type, in.readAllBytes())
          .withHeaders(List.of(
              RawHeader.create("Content-Security-Policy", POLICY),
              RawHeader.create("X-Content-Type-Options", "nosniff"),
              RawHeader.create("Referrer-Policy", "no-referrer"),
              RawHeader.create("Cache-Control", "no-cache")));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
