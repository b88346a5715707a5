package io.troupe.llm.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.troupe.core.llm.LlmFailure.Code;
import io.troupe.llm.LlmException;
import java.net.ConnectException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeoutException;
import org.apache.pekko.stream.StreamTcpException;
import org.junit.jupiter.api.Test;

/** Which transport errors are the connection's (retried, not counted) and which the provider's. */
class ConnectionFailureTest {
  private final ProviderErrors errors = new ProviderErrors("openai", new Redactor("sk-secret-key-123456"));

  @Test
  void aConnectionThatCouldNotBeOpenedOrWasCancelledIsNotTheProvidersAnswer() {
    LlmException cancelled = errors.forThrowable(new CompletionException(new StreamTcpException(
        "Connection was cancelled (caused by a failure of the underlying HTTP connection)")), false);
    assertTrue(cancelled.connection());
    assertEquals(Code.PROVIDER_ERROR, cancelled.code());
    assertTrue(cancelled.getMessage().startsWith("no connection to openai"), cancelled.getMessage());

    StreamTcpException connectTimeout = new StreamTcpException("Tcp command [Connect(api/127.0.0.1:443)] failed");
    connectTimeout.initCause(new ConnectException("Connect timeout of Some(10 seconds) expired"));
    assertTrue(errors.forThrowable(connectTimeout, false).connection());
    assertTrue(errors.forThrowable(new ConnectException("Connection refused"), false).connection());

    LlmException poolFull = errors.forThrowable(new org.apache.pekko.stream.BufferOverflowException("full"), false);
    assertTrue(poolFull.connection(), "our own pool is full: not the provider's 529");
    assertEquals(Code.OVERLOADED, poolFull.code());
  }

  @Test
  void timeoutsErrorsAndBrokenStreamsAreTheProviders() {
    LlmException timeout = errors.forThrowable(new TimeoutException("idle for 60 s"), false);
    assertEquals(Code.TIMEOUT, timeout.code());
    assertFalse(timeout.connection());
    LlmException status = errors.forStatus(503, "{\"error\":{\"message\":\"down\"}}", RateLimitInfo.NONE);
    assertFalse(status.connection());
    assertEquals(Code.PROVIDER_ERROR, status.code());
    assertFalse(errors.forStatus(529, "", RateLimitInfo.NONE).connection());
    // once content reached the caller, a cut connection is a broken stream, never retried
    LlmException cut = errors.forThrowable(new StreamTcpException("Connection reset by peer"), true);
    assertFalse(cut.connection());
    assertTrue(cut.contentDelivered());
    assertFalse(errors.forThrowable(new IllegalStateException("bad"), false).connection());
  }
}
