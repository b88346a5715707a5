package io.troupe.http.mcp;

import static org.apache.pekko.http.javadsl.server.Directives.*;

import com.fasterxml.jackson.databind.JsonNode;
import io.modelcontextprotocol.common.McpTransportContext;
import io.modelcontextprotocol.json.McpJsonMapper;
import io.modelcontextprotocol.server.McpStatelessServerHandler;
import io.modelcontextprotocol.spec.McpSchema;
import io.modelcontextprotocol.spec.McpStatelessServerTransport;
import io.troupe.http.security.Access;
import io.troupe.http.security.Caller;
import io.troupe.http.security.Scope;
import io.troupe.http.support.ApiError;
import io.troupe.http.support.IngressLimits;
import io.troupe.http.support.JsonBody;
import io.troupe.http.support.JsonResponses;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;
import org.apache.pekko.http.javadsl.server.Route;
import reactor.core.publisher.Mono;

/**
 * The MCP streamable HTTP transport on Pekko HTTP, stateless: every POST carries one JSON-RPC
 * message and a request is answered with one {@code application/json} JSON-RPC response (the spec
 * lets a server answer so instead of with an SSE stream); a notification or a response gets 202.
 * GET and DELETE get 405: there is no server-initiated stream and no session to end. An
 * {@code MCP-Protocol-Version} header the SDK does not speak gets 400, as the spec asks.
 *
 * <p>The SDK's stateless server ({@code McpStatelessAsyncServer}) does the protocol: it sets its
 * handler here, and this class hands it each message with the caller in the transport context.
 * Scopes are checked here, per method, before the SDK sees the message.
 */
final class PekkoMcpTransport implements McpStatelessServerTransport {
  /** The transport context's key of the {@link Caller}. */
  static final String CALLER = "troupe.caller";

  private final McpJsonMapper json;
  private final IngressLimits limits;
  private final long maxBodyBytes;
  private final Duration readTimeout;
  private final List<String> allowedOrigins;
  private final Runnable beforeRequest;
  private volatile McpStatelessServerHandler handler;

  /** @param beforeRequest run before each request reaches the SDK (the endpoint refreshes its tools) */
  PekkoMcpTransport(McpJsonMapper json, IngressLimits limits, long maxBodyBytes, Duration readTimeout,
      List<String> allowedOrigins, Runnable beforeRequest) {
    this.json = json;
    this.limits = limits;
    this.maxBodyBytes = maxBodyBytes;
    this.readTimeout = readTimeout;
    this.allowedOrigins = List.copyOf(allowedOrigins);
    this.beforeRequest = beforeRequest;
  }

  @Override
  public void setMcpHandler(McpStatelessServerHandler handler) {
    this.handler = handler;
  }

  @Override
  public Mono<Void> closeGracefully() {
    return Mono.empty();
  }

  /** The route at the endpoint's path, for an authenticated caller. */
  Route route(Caller caller) {
    return optionalHeaderValueByName("Origin", origin -> {
      // DNS rebinding: a browser page of another origin must not reach a local node (spec: MUST validate).
      if (origin.isPresent() && !allowedOrigins.contains(origin.get())) {
        return complete(JsonResponses.error(ApiError.of(ApiError.FORBIDDEN,
            "the Origin is not allowed here; add it to troupe.mcp.server.allowed-origins")));
      }
      return concat(
          post(() -> optionalHeaderValueByName("MCP-Protocol-Version", version ->
              version.isPresent() && !protocolVersions().contains(version.get().trim())
                  ? complete(rpcError(400, null, McpSchema.ErrorCodes.INVALID_REQUEST, "Bad Request: unsupported "
                      + "MCP-Protocol-Version; this server speaks " + String.join(", ", protocolVersions())))
                  : message(caller))),
          complete(HttpResponse.create().withStatus(StatusCodes.METHOD_NOT_ALLOWED)
              .addHeader(RawHeader.create("Allow", "POST"))
              .withEntity(ContentTypes.APPLICATION_JSON, JsonResponses.errorBody(ApiError.INVALID_REQUEST,
                  "this MCP endpoint is stateless: POST one JSON-RPC message; there is no stream to GET").toString())));
    });
  }

  private Route message(Caller caller) {
    return extractRequestEntity(entity -> extractMaterializer(mat ->
        onComplete(entity.toStrict(readTimeout.toMillis(), maxBodyBytes, mat), body -> {
          if (body.isFailure()) {
            return complete(JsonResponses.isTooLarge(JsonResponses.unwrap(body.failed().get()))
                ? JsonResponses.error(ApiError.of(ApiError.PAYLOAD_TOO_LARGE,
                    "the request body is larger than " + maxBodyBytes + " bytes"))
                : JsonResponses.error(ApiError.invalid("could not read the request body")));
          }
          byte[] bytes = body.get().getData().toArray();
          JsonNode node;
          try {
            node = JsonBody.parse(bytes, limits);
          } catch (ApiError e) {
            return complete(rpcError(400, null, McpSchema.ErrorCodes.PARSE_ERROR, "Parse error: " + e.getMessage()));
          }
          return dispatch(caller, node, new String(bytes, StandardCharsets.UTF_8));
        })));
  }

  private Route dispatch(Caller caller, JsonNode node, String text) {
    JsonNode id = node.path("id");
    Object rpcId = id.isTextual() ? id.asText() : id.isIntegralNumber() ? id.asLong() : null;
    if (!node.isObject() || !"2.0".equals(node.path("jsonrpc").asText(null))) {
      return complete(rpcError(400, rpcId, McpSchema.ErrorCodes.INVALID_REQUEST,
          "Invalid Request: one JSON-RPC 2.0 message (an object with \"jsonrpc\": \"2.0\") per POST; batches are not supported"));
    }
    if (!node.has("method")) {
      // A client's response to a server request; this server sends none, so there is nothing to match.
      return node.has("result") || node.has("error") ? complete(accepted())
          : complete(rpcError(400, rpcId, McpSchema.ErrorCodes.INVALID_REQUEST, "Invalid Request: no method"));
    }
    if (!node.get("method").isTextual()) {
      return complete(rpcError(400, rpcId, McpSchema.ErrorCodes.INVALID_REQUEST, "Invalid Request: method must be a string"));
    }
    if (node.has("id") && rpcId == null) {
      return complete(rpcError(400, null, McpSchema.ErrorCodes.INVALID_REQUEST,
          "Invalid Request: id must be a string or an integer"));
    }
    McpSchema.JSONRPCMessage message;
    try {
      message = McpSchema.deserializeJsonRpcMessage(json, text);
    } catch (Exception | LinkageError e) {
      return complete(rpcError(400, rpcId, McpSchema.ErrorCodes.INVALID_REQUEST, "Invalid Request: not a JSON-RPC message"));
    }
    McpStatelessServerHandler current = handler;
    if (current == null) {
      return complete(rpcError(503, rpcId, McpSchema.ErrorCodes.INTERNAL_ERROR, "the MCP server is starting"));
    }
    McpTransportContext context = McpTransportContext.create(Map.of(CALLER, caller));
    if (message instanceof McpSchema.JSONRPCNotification notification) {
      return onComplete(current.handleNotification(context, notification).toFuture(), done -> complete(accepted()));
    }
    McpSchema.JSONRPCRequest request = (McpSchema.JSONRPCRequest) message;
    Scope needed = scopeOf(request.method());
    java.util.function.Supplier<Route> handle = () -> {
      beforeRequest.run();
      CompletionStage<HttpResponse> response = current.handleRequest(context, request)
          .map(this::ok)
          .onErrorResume(e -> Mono.just(rpcError(200, rpcId, McpSchema.ErrorCodes.INTERNAL_ERROR,
              "the request failed: " + e.getClass().getSimpleName())))
          .toFuture();
      return completeWithFuture(response);
    };
    return needed == null ? handle.get() : Access.require(caller, handle, needed);
  }

  /** What a method needs beyond a valid key: calls write, listings read; the handshake and ping nothing more. */
  static Scope scopeOf(String method) {
    return switch (method) {
      case "tools/call" -> Scope.INTENTS_WRITE;
      case "initialize", "ping" -> null;
      default -> Scope.INTENTS_READ;
    };
  }

  private HttpResponse ok(McpSchema.JSONRPCResponse response) {
    try {
      return HttpResponse.create().withStatus(StatusCodes.OK)
          .withEntity(HttpEntities.create(ContentTypes.APPLICATION_JSON, json.writeValueAsBytes(response)));
    } catch (java.io.IOException e) {
      return rpcError(200, response.id(), McpSchema.ErrorCodes.INTERNAL_ERROR, "the response could not be written");
    }
  }

  private static HttpResponse accepted() {
    return HttpResponse.create().withStatus(StatusCodes.ACCEPTED);
  }

  private static HttpResponse rpcError(int status, Object id, int code, String message) {
    var body = io.troupe.core.json.Json.object().put("jsonrpc", "2.0");
    if (id instanceof Long n) body.put("id", n);
    else if (id instanceof Integer n) body.put("id", n);
    else if (id != null) body.put("id", id.toString());
    else body.putNull("id");
    body.putObject("error").put("code", code).put("message", message);
    return HttpResponse.create().withStatus(status)
        .withEntity(HttpEntities.create(ContentTypes.APPLICATION_JSON, body.toString()));
  }
}
