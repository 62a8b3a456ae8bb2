/*
 * Steps that must not run twice across a crash: a BackfillTable's row copy and the
 * non-repeatable statements of a RawSql (INSERT, ALTER … UPDATE/DELETE, …). A killed client
 * does not stop the server: ClickHouse may finish the dead run's INSERT … SELECT, so "not
 * journaled done" does not mean "did not run".
 *
 * - BackfillTable: the target (the new table version the same file created just before) is its
 *   own staging table. Its COMMENT carries BACKFILL_MARKER (with the original comment) from
 *   before the copy until after it: a marked target holds a copy that may be partial, so a
 *   rerun stops what is left of the dead run's query, truncates and copies again; an unmarked
 *   target with rows after a journaled start holds the complete copy. A target that already has
 *   rows before the step started is refused (BACKFILL_TARGET_NOT_EMPTY): exactly once cannot
 *   be promised on top of rows this step did not write.
 * - RawSql: `op_started` is journaled before each non-repeatable statement. A rerun that finds
 *   one with no outcome stops (STEP_OUTCOME_UNKNOWN) showing the SQL, until the user says
 *   `--resolve <file>:<step> done|rerun`.
 * Statements run here carry a leading comment naming the file and step, so a dead run's query
 * still running on the server can be found in system.processes.
 */
import type { ClickHousePort } from "../adapters/clickhouse";
import type { BackfillTableDelta } from "../core/deltas";
import { tableDatabase, type InfraMap } from "../core/infra-map";
import { isRepeatableStatement } from "../core/repeatable";
import type { SqlStatement } from "../core/render-sql";
import { qualified, quoteString } from "../core/sql-quote";
import { MooseError } from "../errors";
import type { InFlightStatement } from "./journal";

/** Table comment of a backfill target while rows are copied into it. */
export const BACKFILL_MARKER = "[MOOSE_BACKFILL:DO_NOT_MODIFY] ";

export interface OnceStep {
  ch: ClickHousePort;
  fileId: string;
  /** 0-based delta index. */
  index: number;
  description: string;
  /** Journals `op_started` for statement `k` of `n` (written at once, never batched). */
  started: (k: number, n: number, sql: string) => Promise<void>;
  /** Throws LOCK_LOST unless the run still holds the lock. */
  fence: () => Promise<void>;
  /** The journal's non-repeatable statement of this step with no outcome, if any. */
  inFlight?: InFlightStatement;
  /** `--resolve`d: the statement to continue from. */
  resumeAt?: number;
  /** The target flag to repeat in suggested commands. */
  targetFlag: string;
}

/** The comment that tags a step's statements (found again in system.processes). */
const tagOf = (s: OnceStep) =>
  `/* moose-migrate ${s.fileId.replace(/\*\//g, "")} step ${s.index + 1} */`;

/** Whether running the step twice could apply it twice (then it is journaled statement by statement). */
export const needsOnce = (statements: readonly SqlStatement[], type: string): boolean =>
  type === "BackfillTable" ||
  (type === "RawSql" && statements.some((s) => !isRepeatableStatement(s.sql)));

/** Queries of an earlier run of this step still running on the server (a dead client's). */
const leftovers = async (s: OnceStep): Promise<{ query_id: string; elapsed: number }[]> =>
  s.ch
    .query<{ query_id: string; elapsed: number }>(
      "SELECT query_id, elapsed FROM system.processes WHERE startsWith(query, {tag:String})",
      { tag: tagOf(s) },
    )
    .catch(() => []);

/** RawSql: runs the statements from where the journal says, refusing to guess an unknown outcome. */
export const runRawSqlOnce = async (
  s: OnceStep,
  statements: readonly SqlStatement[],
): Promise<void> => {
  if (s.inFlight) throw await outcomeUnknown(s, statements);
  for (let k = s.resumeAt ?? 0; k < statements.length; k++) {
    const st = statements[k]!;
    const opts = {
      waitForMutation: st.waitsForMutation,
      ...(st.database !== undefined ? { database: st.database } : {}),
    };
    if (isRepeatableStatement(st.sql)) {
      await s.ch.command(st.sql, opts);
      continue;
    }
    await s.fence();
    await s.started(k, statements.length, st.sql);
    await s.ch.command(`${tagOf(s)} ${st.sql}`, opts);
  }
};

const outcomeUnknown = async (
  s: OnceStep,
  statements: readonly SqlStatement[],
): Promise<MooseError> => {
  const f = s.inFlight!;
  const sql = statements[f.statement]?.sql ?? f.detail;
  const running = await leftovers(s);
  const step = `${s.fileId}:${s.index + 1}`;
  return new MooseError(
    "STEP_OUTCOME_UNKNOWN",
    `Migration '${s.fileId}' step ${s.index + 1} (${s.description}) was started by ${f.who} at ${f.at} UTC and never journaled done; it must not run twice, so nothing was run now.\n` +
      `  Statement ${f.statement + 1}/${statements.length} may or may not have taken effect:\n    ${sql}\n` +
      (running.length > 0
        ? `  It is still running on ClickHouse (query ${running.map((r) => `${r.query_id}, ${Math.round(r.elapsed)} s`).join("; ")}): wait for it to end before deciding.\n`
        : ""),
    {
      hint:
        `Check in ClickHouse whether it took effect (the rows it inserts, or system.mutations for an ALTER … UPDATE/DELETE), then either ` +
        `\`moose migrate --resolve ${step} done${s.targetFlag}\` (it ran: journal it done and go on with the next statement) or ` +
        `\`moose migrate --resolve ${step} rerun${s.targetFlag}\` (it did not run, or you undid it: run it again).`,
      details: {
        migration: s.fileId,
        step: s.index + 1,
        statement: f.statement + 1,
        sql,
        startedAt: f.at,
        startedBy: f.who,
        running: running.map((r) => r.query_id),
      },
    },
  );
};

/** BackfillTable: copies into the marked target; a marked target found at start is copied again. */
export const backfillOnce = async (
  s: OnceStep,
  delta: BackfillTableDelta,
  state: InfraMap,
): Promise<void> => {
  const db = state.default_database;
  const table = Object.values(state.tables).find((t) => t.name === delta.target_table);
  const database = table ? tableDatabase(table, db) : db;
  const target = qualified(database, delta.target_table);
  const [row] = await s.ch.query<{ comment: string }>(
    "SELECT comment FROM system.tables WHERE database = {db:String} AND name = {name:String}",
    { db: database, name: delta.target_table },
  );
  if (!row)
    throw new MooseError("APPLY_FAILED", `Cannot backfill '${target}': the table does not exist`, {
      hint: "It was dropped or renamed outside migrations. Restore it, or remove this migration file and regenerate against the database as it is.",
    });
  let original = row.comment;
  if (row.comment.startsWith(BACKFILL_MARKER)) {
    // A copy that may be partial: a dead run's query still running would add its rows after
    // the truncate, so it is stopped first.
    original = markedComment(row.comment);
    const running = await leftovers(s);
    if (running.length > 0)
      await s.ch.command(
        `KILL QUERY WHERE query_id IN (${running.map((r) => quoteString(r.query_id)).join(", ")}) SYNC`,
      );
    await s.fence();
    await s.ch.command(`TRUNCATE TABLE ${target}`);
  } else {
    const [c] = await s.ch.query<{ n: number | string }>(`SELECT count() AS n FROM ${target}`);
    if (Number(c?.n ?? 0) > 0) {
      // Started earlier, unmarked now: the marker was cleared after a complete copy.
      if (s.inFlight) return;
      throw new MooseError(
        "BACKFILL_TARGET_NOT_EMPTY",
        `Cannot backfill '${target}' from '${delta.source_table}': it already holds ${String(c!.n)} row(s) this migration did not copy`,
        {
          hint: `The backfill fills the new table version it creates, exactly once; rows already there would be mixed with the copy. If they are a copy of '${delta.source_table}' made by hand, run \`TRUNCATE TABLE ${target}\` (or keep them and replace this step with a RawSql step of your own), then run \`moose migrate${s.targetFlag}\` again.`,
          details: { table: target, rows: Number(c!.n) },
        },
      );
    }
    await s.fence();
    await s.started(0, 1, delta.sql);
    await s.ch.command(
      `ALTER TABLE ${target} MODIFY COMMENT ${quoteString(BACKFILL_MARKER + JSON.stringify({ comment: original }))}`,
    );
  }
  await s.ch.command(`${tagOf(s)} ${delta.sql}`, { database: db });
  await s.ch.command(`ALTER TABLE ${target} MODIFY COMMENT ${quoteString(original)}`);
};

const markedComment = (comment: string): string => {
  try {
    const parsed = JSON.parse(comment.slice(BACKFILL_MARKER.length)) as { comment?: unknown };
    return typeof parsed.comment === "string" ? parsed.comment : "";
  } catch {
    return "";
  }
};
