package io.troupe.core.llm;

/** Why a model stopped writing. */
public enum FinishReason {
  STOP,
  TOOL_CALLS,
  LENGTH,
  CONTENT_FILTER,
  ERROR,
  OTHER
}
