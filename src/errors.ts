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
  | "TARGET_MISSING"
  | "CLICKHOUSE_UNREACHABLE"
  | "CLICKHOUSE_QUERY_FAILED"
  | "CHDB_MISSING"
  | "MODEL_NOT_FOUND"
  | "MODEL_TYPE_ERROR"
  | "MODEL_UNSUPPORTED_TYPE"
  | "MODEL_INVALID"
  | "MIGRATION_FILE_INVALID"
  | "MIGRATION_DELTA_UNKNOWN"
  | "MIGRATION_FOLD_FAILED"
  | "MIGRATION_CONFLICT"
  | "PARENT_HASH_MISMATCH"
  | "DRIFT_DETECTED"
  | "UNMIGRATED_CHANGES"
  | "JOURNAL_FORK"
  | "LOCK_HELD"
  | "APPLY_FAILED"
  | "TYPE_CHANGE_FAILED"
  | "RECREATE_COPY_FAILED"
  | "MODEL_DATABASE_MOVE"
  | "LIFECYCLE_VIOLATION"
  | "DECISION_NEEDED"
  | "DDL_REJECTED"
  | "TOPIC_PARTITION_DECREASE"
  | "TOPIC_EXISTS_MISMATCH"
  | "KAFKA_CONFIG_INVALID"
  | "KAFKA_UNREACHABLE"
  | "KAFKA_AUTH_FAILED"
  | "KAFKA_REQUEST_FAILED"
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

/** ClickHouse's own error number and name (e.g. 47, UNKNOWN_IDENTIFIER), when the error has them. */
export interface ClickHouseFailure {
  code?: number;
  name?: string;
  reason: string;
}

/**
 * Reads ClickHouse's code and name from an error of either client: `@clickhouse/client` sets
 * `code` and `type`; chDB puts them in the text (`Code: 47. DB::Exception: … (UNKNOWN_IDENTIFIER)`).
 */
export const clickHouseFailure = (e: unknown): ClickHouseFailure => {
  const text = errorText(e);
  const fields = (typeof e === "object" && e !== null ? e : {}) as {
    code?: unknown;
    type?: unknown;
  };
  const code =
    typeof fields.code === "string" && /^\d+$/.test(fields.code)
      ? Number(fields.code)
      : Number(/Code: (\d+)\./.exec(text)?.[1] ?? NaN);
  const name =
    typeof fields.type === "string" && /^[A-Z_]+$/.test(fields.type)
      ? fields.type
      : /\(([A-Z][A-Z0-9_]+)\)(?:\s*\(version [^)]*\))?\.?\s*$/.exec(text)?.[1];
  // The adapter's "ClickHouse rejected: <statement>" line is context, not the reason.
  const reason = text
    .replace(/^ClickHouse rejected: [^\n]*\n/, "")
    .trim()
    .replace(/^Query failed: /, "")
    .replace(/^Code: \d+\. DB::Exception: /, "")
    .replace(/\s*\(version [^)]*\)\.?\s*$/, "")
    .replace(/\s*\([A-Z][A-Z0-9_]+\)\.?\s*(\([A-Z][A-Z0-9_]+\))?$/, "")
    .trim();
  return {
    reason,
    ...(Number.isFinite(code) ? { code } : {}),
    ...(name !== undefined ? { name } : {}),
  };
};
