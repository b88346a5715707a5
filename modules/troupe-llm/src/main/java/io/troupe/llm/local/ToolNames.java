package io.troupe.llm.local;

/** The names of the built-in tools the local planner knows how to call. */
final class ToolNames {
  static final String CALCULATOR = "calculator";
  static final String CURRENT_TIME = "current_time";
  static final String SEARCH_DOCUMENTS = "search_documents";
  static final String SQL_QUERY = "sql_query";
  static final String DESCRIBE_SCHEMA = "describe_schema";
  /** The effect ledger, a side-effecting test tool (troupe.tools.effect-ledger). */
  static final String RECORD_EFFECT = "record_effect";

  private ToolNames() {}
}
