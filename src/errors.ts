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
  /** `migrate` stopped by SIGINT (Ctrl-C) after journaling what was done: 128 + 2. */
  Interrupted: 130,
  /** `migrate` stopped by SIGTERM after journaling what was done: 128 + 15. */
  Terminated: 143,
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
  | "ENGINE_UNSUPPORTED_LOCALLY"
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
  | "INTERNAL"
  | "DATA_LOSS_RISK"
  | "FILESYSTEM_ERROR"
  | "CLICKHOUSE_AUTH_FAILED"
  | "STEP_OUTCOME_UNKNOWN"
  | "BACKFILL_TARGET_NOT_EMPTY"
  | "MUTATION_TIMEOUT"
  | "MUTATION_FAILED"
  | "MUTATION_RUNNING"
  | "INTERRUPTED";

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

/** What the file system said, in words a user acts on (Node's error codes). */
const FS_REASONS: Record<string, { reason: string; hint: (path: string) => string }> = {
  ENOTDIR: {
    reason: "a part of the path is a file, not a directory",
    hint: (p) =>
      `Move or rename the file that stands where a directory is expected on the way to ${p}.`,
  },
  EISDIR: {
    reason: "it is a directory, not a file",
    hint: (p) =>
      `${p} is a directory: point the command at a file there instead (or move the directory away).`,
  },
  EACCES: {
    reason: "permission denied",
    hint: (p) =>
      `Give the user running moose access to ${p} (e.g. chmod u+rwx, or chown), or run from a copy of the project you own.`,
  },
  EPERM: {
    reason: "operation not permitted",
    hint: (p) =>
      `Give the user running moose access to ${p} (permissions, ownership, immutable attribute), or use another path.`,
  },
  EROFS: {
    reason: "the file system is read-only",
    hint: (p) => `Use a writable location for ${p}.`,
  },
  ENOSPC: {
    reason: "no space left on the device",
    hint: (p) =>
      `Free disk space on the device holding ${p}, then run the command again; nothing partial was kept.`,
  },
  EDQUOT: {
    reason: "disk quota exceeded",
    hint: (p) =>
      `Free space within your quota on the device holding ${p}, then run the command again.`,
  },
  ENOENT: {
    reason: "no such file or directory",
    hint: (p) => `Check that ${p} exists (paths are relative to the project root).`,
  },
  EEXIST: {
    reason: "it already exists",
    hint: (p) => `Remove or rename ${p}, then run the command again.`,
  },
  ENAMETOOLONG: {
    reason: "the path is too long",
    hint: () => "Use a shorter path.",
  },
  EMFILE: {
    reason: "too many open files",
    hint: () => "Raise the open-file limit (ulimit -n) or close other programs, then run again.",
  },
  ELOOP: {
    reason: "too many symbolic links (a link loop)",
    hint: (p) => `Fix the symbolic links on the way to ${p}.`,
  },
};

/** Whether `e` is a Node file-system error this module can explain. */
export const isFilesystemError = (e: unknown): e is NodeJS.ErrnoException =>
  e instanceof Error &&
  typeof (e as NodeJS.ErrnoException).code === "string" &&
  (e as NodeJS.ErrnoException).code! in FS_REASONS &&
  (typeof (e as NodeJS.ErrnoException).syscall === "string" ||
    typeof (e as NodeJS.ErrnoException).path === "string");

/**
 * A Node file-system error as FILESYSTEM_ERROR: what was being done, the path, the reason in
 * words and a hint. Anything else is returned as it is (a bug stays INTERNAL).
 */
export const filesystemError = (e: unknown, doing: string, path?: string): unknown => {
  if (!isFilesystemError(e)) return e;
  const where = path ?? e.path ?? "(unknown path)";
  const known = FS_REASONS[e.code!]!;
  return new MooseError(
    "FILESYSTEM_ERROR",
    `Cannot ${doing} ${where}: ${known.reason} (${e.code})`,
    { hint: known.hint(where), details: { path: where, errno: e.code }, cause: e },
  );
};

/** Runs a file-system step, turning its Node error into FILESYSTEM_ERROR. */
export const onDisk = <T>(doing: string, path: string, step: () => T): T => {
  try {
    return step();
  } catch (e) {
    throw filesystemError(e, doing, path);
  }
};
