/**
 * One error hierarchy for the whole tool. Every error carries a stable `code` (for scripts and
 * `--json` callers), a message naming the file or resource, a `hint` saying what to do next and
 * the process exit code it maps to. The CLI's single top-level catch renders these; nothing else
 * turns errors into output.
 */
export const ExitCode = {
  Success: 0,
  Error: 1,
  Usage: 2,
  DecisionNeeded: 3,
  StatusPendingOrDrift: 4,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

export type ErrorCode =
  | "CONFIG_NOT_FOUND"
  | "CONFIG_INVALID"
  | "URL_INVALID"
  | "URL_SCHEME_UNKNOWN"
  | "URL_DATABASE_MISMATCH"
  | "TARGET_MISSING"
  | "CLICKHOUSE_UNREACHABLE"
  | "CLICKHOUSE_QUERY_FAILED"
  | "CHDB_MISSING"
  | "MODEL_NOT_FOUND"
  | "MODEL_TYPE_ERROR"
  | "MODEL_UNSUPPORTED_TYPE"
  | "MODEL_INVALID"
  | "MODEL_SQL_INVALID"
  | "MIGRATION_FILE_INVALID"
  | "MIGRATION_DELTA_UNKNOWN"
  | "MIGRATION_FOLD_FAILED"
  | "MIGRATION_CONFLICT"
  | "PARENT_HASH_MISMATCH"
  | "DRIFT_DETECTED"
  | "UNMIGRATED_CHANGES"
  | "JOURNAL_FORK"
  | "LOCK_HELD"
  | "LOCK_LOST"
  | "APPLIED_FILE_CHANGED"
  | "APPLIED_FILE_MISSING"
  | "APPLY_FAILED"
  | "TYPE_CHANGE_FAILED"
  | "RECREATE_COPY_FAILED"
  | "MODEL_DATABASE_MOVE"
  | "LIFECYCLE_VIOLATION"
  | "DECISION_NEEDED"
  | "DDL_REJECTED"
  | "SQL_MULTI_STATEMENT"
  | "TOPIC_PARTITION_DECREASE"
  | "TOPIC_EXISTS_MISMATCH"
  | "KAFKA_CONFIG_INVALID"
  | "KAFKA_UNREACHABLE"
  | "KAFKA_AUTH_FAILED"
  | "KAFKA_REQUEST_FAILED"
  | "DEV_ALREADY_RUNNING"
  | "DEV_TARGET_IN_USE"
  | "DEV_PORT_IN_USE"
  | "DEV_PORT_UNAVAILABLE"
  | "USAGE"
  | "INTERNAL";

export interface MooseErrorOptions {
  hint?: string;
  exitCode?: ExitCode;
  /** Extra structured data for `--json` output (never secrets). */
  details?: unknown;
  cause?: unknown;
}

export class MooseError extends Error {
  readonly code: ErrorCode;
  readonly hint: string | undefined;
  readonly exitCode: ExitCode;
  readonly details: unknown;

  constructor(code: ErrorCode, message: string, options: MooseErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "MooseError";
    this.code = code;
    this.hint = options.hint;
    this.exitCode = options.exitCode ?? ExitCode.Error;
    this.details = options.details;
  }
}

export const usageError = (message: string, hint?: string): MooseError =>
  new MooseError("USAGE", message, { hint, exitCode: ExitCode.Usage });

export const isMooseError = (e: unknown): e is MooseError => e instanceof MooseError;

/** Best-effort text of an unknown thrown value (for wrapping vendor errors). */
export const errorText = (e: unknown): string => (e instanceof Error ? e.message : String(e));
