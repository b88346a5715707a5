package io.troupe.tools.builtin;

import io.troupe.tools.ToolException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeoutException;
import org.apache.pekko.pattern.StatusReply;

/** Turns a failed ask to a subsystem into a {@link ToolException} a model can act on. */
final class AskFailures {
  private AskFailures() {}

  static <T> CompletionStage<T> explained(CompletionStage<T> ask, String subsystem, Duration timeout) {
    return ask.handle((value, error) -> {
      if (error == null) {
        return CompletableFuture.completedStage(value);
      }
      Throwable cause = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
      String message;
      if (cause instanceof TimeoutException) {
        message = "the " + subsystem + " did not answer within " + timeout.toMillis() + " ms";
      } else if (cause instanceof StatusReply.ErrorMessage) {
        message = cause.getMessage();
      } else {
        message = "the " + subsystem + " failed: " + (cause.getMessage() == null ? cause.getClass().getSimpleName()
            : cause.getMessage());
      }
      return CompletableFuture.<T>failedStage(new ToolException(message));
    }).thenCompose(stage -> stage);
  }
}
