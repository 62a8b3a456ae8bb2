import path from "node:path";
import {
  clickhouseFailure,
  describeClickHouseFailure,
  serverErrorOf,
  type ClickHousePort,
} from "../adapters/clickhouse";
import { MooseError, errorText, isMooseError } from "../errors";
import { alreadyPresent, applyDelta } from "../core/fold";
import { describeDelta, isTopicDelta, type Delta } from "../core/deltas";
import type { KafkaPort } from "../adapters/kafka";
import { applyTopicDelta } from "./apply-topic";
import { olapStateHash } from "../core/hash";
import { viewId, type InfraMap } from "../core/infra-map";
import { lifecycleViolation } from "../core/lifecycle";
import { renderDelta, type SqlStatement } from "../core/render-sql";
import { revertFailedColumnChange } from "./failed-mutation";
import type { InFlightStatement, Journal, JournalRow, NewJournalRow } from "./journal";
import {
  DEFAULT_BATCH,
  GroupStepError,
  StepBatcher,
  batchKeys,
  mergePrefixOf,
  type BatchLimits,
} from "./journal-batch";
import { backfillOnce, needsOnce, runRawSqlOnce, type OnceStep } from "./exactly-once";
import { MIGRATIONS_DIR, journalChecksum, type StoredMigration } from "./migration-store";
import { recreateTable } from "./recreate-table";
import { precheckDataLoss } from "./data-safety";
import { mutationTable, runMutation, type FollowOptions } from "./mutations";
import { followOptions, refuseRunningMutations } from "./mutation-journal";

/** Progress of one file, reported to the UI as it happens. */
export type ApplyEvent =
  | { kind: "plan"; total: number; unapplied: number }
  | { kind: "file-start"; id: string; deltas: number; resumed: boolean }
  | {
      kind: "delta";
      id: string;
      index: number;
      total: number;
      description: string;
      skipped: boolean;
    }
  /** A recreate is about to copy `rows` rows of `table` into its new schema. */
  | { kind: "copy"; id: string; table: string; rows: number }
  /** A mutation `migrate` follows is still running: parts left, time since the ALTER. */
  | {
      kind: "mutation";
      id: string;
      table: string;
      mutationIds: string[];
      partsToDo: number;
      elapsedMs: number;
    }
  | { kind: "file-done"; id: string }
  /** Another run holds the lock; this one waits up to `waitMs`. */
  | { kind: "lock-wait"; holder: string; waitMs: number }
  /** The lock was taken over from a holder that is provably gone or expired. */
  | { kind: "lock-takeover"; from: string };

export interface ApplyFileInput {
  migration: StoredMigration;
  /** State the file applies to; mutated as deltas are folded in. */
  state: InfraMap;
  /**
   * The state's hash once the file is applied (default `olapStateHash`); a run over many files
   * passes an incremental one (core/hash.ts createStateHasher).
   */
  stateHash?: (state: InfraMap) => string;
  /** Desired state from code, for the lifecycle re-check. */
  code: InfraMap;
  /** Delta indexes already journaled as done (resume). */
  opsDone: Set<number>;
  journal: Journal;
  ch: ClickHousePort;
  /** Present when the project has topics; topic deltas run through it. */
  kafka?: KafkaPort;
  onEvent: (e: ApplyEvent) => void;
  /** How the user names a table id (`local_Bar` → `Bar`) in messages. */
  nameOf?: (tableId: string) => string;
  /** The target flag to repeat in the commands a failure suggests (`--clickhouse-url …`, or none). */
  targetFlag?: string;
  /** Throws unless this run still holds the migration lock; called before each operation. */
  fence?: () => Promise<void>;
  /** `--accept-data-loss <this file>`: the data-safety precheck is skipped (and journaled so). */
  acceptDataLoss?: boolean;
  /** Non-repeatable statements the journal has as started with no outcome (delta index → which). */
  inFlight?: ReadonlyMap<number, InFlightStatement>;
  /** `--resolve`d steps: delta index → statement to continue from. */
  resumeAt?: ReadonlyMap<number, number>;
  /** How many steps share one journal write (default DEFAULT_BATCH). */
  batch?: BatchLimits;
  /** `--mutation-timeout`: how long one delta's mutations are followed (no limit when absent). */
  mutationTimeoutMs?: number;
  /** `mutation_started` journal details per delta index (a resume follows them). */
  mutationsStarted?: Map<number, string[]>;
}

type JournalBase = Pick<JournalRow, "migration_id" | "parent_state_hash" | "file_checksum">;

/** Applies one committed file: journal `started`, each delta then `op_done i`, finally `applied`. */
export const applyFile = async (input: ApplyFileInput): Promise<void> => {
  const { migration, state, journal } = input;
  const file = migration.file;
  const base: JournalBase = {
    migration_id: file.id,
    parent_state_hash: file.parent_state_hash,
    file_checksum: journalChecksum(migration),
  };
  for (const [i, delta] of file.deltas.entries()) {
    // Records of adopted objects change nothing: no rule applies to them.
    if (alreadyPresent(state, delta)) continue;
    const violation = lifecycleViolation(delta, state, input.code);
    if (violation !== null) {
      throw new MooseError(
        "LIFECYCLE_VIOLATION",
        `Migration '${file.id}' delta ${i + 1} (${describeDelta(delta, input.nameOf)}) is not allowed: ${violation}`,
        {
          hint: "The table's lifecycle changed after the file was written. Regenerate the migration, or change the lifecycle back if the drop is intended.",
        },
      );
    }
  }
  const resumed = input.opsDone.size > 0 || (input.inFlight?.size ?? 0) > 0;
  // Type changes that would lose values stop the file here, before any of its deltas runs.
  const accepted = input.acceptDataLoss === true;
  if (!accepted)
    await precheckDataLoss({
      ch: input.ch,
      fileId: file.id,
      deltas: file.deltas,
      state,
      willRun: (i) => !input.opsDone.has(i) && !alreadyPresent(state, file.deltas[i]!),
      ...(input.nameOf ? { nameOf: input.nameOf } : {}),
      ...(input.targetFlag !== undefined ? { targetFlag: input.targetFlag } : {}),
    });
  await refuseRunningMutations({ ...input, fileId: file.id, deltas: file.deltas });
  input.onEvent({ kind: "file-start", id: file.id, deltas: file.deltas.length, resumed });
  await journal.append({
    ...base,
    event: "started",
    op_index: -1,
    state_hash: "",
    detail: [
      ...(resumed ? ["resume"] : []),
      ...(accepted ? ["data loss accepted (--accept-data-loss): precheck skipped"] : []),
    ].join("; "),
  });
  // Deltas done so far (journaled earlier or run now), for the failure report.
  const done = new Set(input.opsDone);
  const fence = input.fence ?? (() => Promise.resolve());
  // Cheap repeatable steps run in groups journaled with one INSERT (runtime/journal-batch.ts).
  const batcher = new StepBatcher(input.ch, journal, input.batch ?? DEFAULT_BATCH, fence, (k) =>
    done.add(k),
  );
  const opDone = (i: number, detail: string): NewJournalRow => ({
    ...base,
    event: "op_done",
    op_index: i,
    state_hash: "",
    detail,
  });
  try {
    for (const [i, delta] of file.deltas.entries()) {
      const description = describeDelta(delta, input.nameOf);
      const skip = input.opsDone.has(i);
      // A create of an object that is already there as recorded (an adopted object) is a no-op.
      const present = !skip && alreadyPresent(state, delta);
      input.onEvent({
        kind: "delta",
        id: file.id,
        index: i + 1,
        total: file.deltas.length,
        description,
        skipped: skip || present,
      });
      if (present) {
        // Already in the state as recorded: nothing to run or fold.
        batcher.record(opDone(i, `${description} (already present)`));
        done.add(i);
        continue;
      }
      if (!skip) {
        const keys = batchKeys(delta, state);
        if (keys) {
          let statements: SqlStatement[];
          try {
            statements = renderDelta(delta, state);
          } catch (e) {
            await batcher.settle();
            throw new GroupStepError(i, e);
          }
          const mergePrefix = mergePrefixOf(delta, statements, state);
          await batcher.queue({
            index: i,
            delta,
            keys,
            statements,
            ...(mergePrefix !== undefined ? { mergePrefix } : {}),
            row: opDone(i, description),
          });
          applyDelta(state, delta);
          continue;
        }
        // Everything before runs and is journaled, and the lock is checked: a run that lost
        // the lock stops here, before it writes (outside the failure report).
        await batcher.settle();
        try {
          await runAlone(input, base, i, delta, state, description);
        } catch (e) {
          // Not a failure of the delta: its outcome is the user's to say, the lock is gone, or
          // it is still running on the server (a timeout, an interrupt) — nothing reverted.
          if (
            isMooseError(e) &&
            (e.code === "STEP_OUTCOME_UNKNOWN" ||
              e.code === "LOCK_LOST" ||
              e.code === "MUTATION_TIMEOUT" ||
              e.code === "INTERRUPTED")
          )
            throw e;
          throw await failure(input, base, state, i, e, done);
        }
        batcher.ranAlone();
        await journal.append(opDone(i, description));
      }
      done.add(i);
      applyDelta(state, delta);
    }
    await batcher.settle();
  } catch (e) {
    if (e instanceof GroupStepError)
      throw await failure(input, base, state, e.index, e.cause, done);
    throw e;
  }
  await journal.append({
    ...base,
    event: "applied",
    op_index: file.deltas.length,
    state_hash: (input.stateHash ?? olapStateHash)(state),
    detail: "",
  });
  input.onEvent({ kind: "file-done", id: file.id });
};

/**
 * A step journaled alone: a data step that must not run twice (runtime/exactly-once.ts), or
 * anything else through `runDelta`.
 */
const runAlone = async (
  input: ApplyFileInput,
  base: JournalBase,
  i: number,
  delta: Delta,
  state: InfraMap,
  description: string,
): Promise<void> => {
  const file = input.migration.file;
  const statements =
    delta.type === "RawSql" || delta.type === "BackfillTable" ? renderDelta(delta, state) : [];
  if (!needsOnce(statements, delta.type)) {
    await runDelta(
      { ...input, label: file.id, follow: followOptions(input, base, i) },
      delta,
      state,
    );
    return;
  }
  const inFlight = input.inFlight?.get(i);
  const resumeAt = input.resumeAt?.get(i);
  const step: OnceStep = {
    ch: input.ch,
    fileId: file.id,
    index: i,
    description,
    started: (k, n, sql) =>
      input.journal.append({
        ...base,
        event: "op_started",
        op_index: i,
        state_hash: "",
        detail: `statement ${k + 1}/${n}: ${sql}`,
      }),
    fence: input.fence ?? (() => Promise.resolve()),
    ...(inFlight ? { inFlight } : {}),
    ...(resumeAt !== undefined ? { resumeAt } : {}),
    targetFlag: input.targetFlag ?? "",
  };
  if (delta.type === "BackfillTable") await backfillOnce(step, delta, state);
  else await runRawSqlOnce(step, statements);
};

/** What carrying out one delta needs: the ports, and where its progress goes. */
export interface DeltaRunner {
  ch: ClickHousePort;
  /** Present when the project has topics; topic deltas run through it. */
  kafka?: KafkaPort;
  /** The file (or `moose dev` cycle) the delta belongs to, for messages and events. */
  label: string;
  onEvent: (e: ApplyEvent) => void;
  nameOf?: (tableId: string) => string;
  /** The file's data loss was accepted: a recreate copies NULLs into required columns as defaults. */
  acceptDataLoss?: boolean;
  /** How ALTERs that start mutations are followed (deadline, resume, journaling). */
  follow?: FollowOptions & { resume?: readonly string[] };
}

/**
 * Carries out one delta: on the broker, as a row-keeping recreate, or as its SQL statements.
 * `migrate` journals around it; `moose dev` runs it straight on its local database.
 */
export const runDelta = async (run: DeltaRunner, delta: Delta, state: InfraMap): Promise<void> => {
  const { ch } = run;
  if (isTopicDelta(delta)) {
    if (!run.kafka)
      throw new MooseError(
        "KAFKA_CONFIG_INVALID",
        `Migration '${run.label}' has a topic delta (${describeDelta(delta, run.nameOf)}) but the streaming engine is off`,
        {
          hint: "Set [features] streaming_engine = true in moose.config.toml (and point redpanda_config.broker at the broker).",
        },
      );
    await applyTopicDelta(run.kafka, delta);
    return;
  }
  if (delta.type === "RecreateTable") {
    await recreateTable(
      ch,
      delta,
      state.default_database,
      (rows) => run.onEvent({ kind: "copy", id: run.label, table: delta.after.name, rows }),
      run.acceptDataLoss === true,
    );
    return;
  }
  const mutated = mutationTable(delta, state);
  let resume = run.follow?.resume;
  for (const statement of renderDelta(delta, state)) {
    if (statement.waitsForMutation && mutated) {
      await runMutation(ch, mutated, statement.sql, {
        ...run.follow,
        ...(resume ? { resume } : {}),
        label: run.label,
        ...(statement.database !== undefined ? { database: statement.database } : {}),
        onProgress: (p) => run.onEvent({ kind: "mutation", id: run.label, ...p }),
      });
      resume = undefined;
      continue;
    }
    await ch.command(statement.sql, {
      waitForMutation: statement.waitsForMutation,
      ...(statement.database !== undefined ? { database: statement.database } : {}),
    });
  }
};

/** `1..3, 5` from 0-based delta indexes. */
const ranges = (indexes: Iterable<number>): string => {
  const sorted = [...indexes].map((i) => i + 1).sort((a, b) => a - b);
  const parts: string[] = [];
  for (let k = 0; k < sorted.length;) {
    let j = k;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j]! + 1) j++;
    parts.push(j === k ? `${sorted[k]}` : `${sorted[k]}..${sorted[j]}`);
    k = j + 1;
  }
  return parts.join(", ");
};

/**
 * A view or MV this file dropped earlier and now failed to create again (a changed definition
 * ClickHouse rejects) is put back as it was, and its drop journaled as reverted, so the
 * database keeps the old view and a resume of the file drops it again before the create.
 * Returns what happened, for the failure report.
 */
const putBackDroppedView = async (
  input: ApplyFileInput,
  base: JournalBase,
  state: InfraMap,
  failedIndex: number,
  done: Set<number>,
): Promise<string | undefined> => {
  const deltas = input.migration.file.deltas;
  const failed = deltas[failedIndex]!;
  const idOf = (d: Delta): string | undefined =>
    d.type === "CreateMaterializedView" || d.type === "DropMaterializedView"
      ? `mv:${viewId(d.mv)}`
      : d.type === "CreateView" || d.type === "DropView"
        ? `view:${viewId(d.view)}`
        : undefined;
  const id =
    failed.type === "CreateMaterializedView" || failed.type === "CreateView"
      ? idOf(failed)
      : undefined;
  if (id === undefined) return undefined;
  const j = deltas.findIndex(
    (d, k) =>
      k < failedIndex &&
      done.has(k) &&
      (d.type === "DropMaterializedView" || d.type === "DropView") &&
      idOf(d) === id,
  );
  const drop = deltas[j];
  if (drop?.type !== "DropMaterializedView" && drop?.type !== "DropView") return undefined;
  const old: Delta =
    drop.type === "DropMaterializedView"
      ? { type: "CreateMaterializedView", mv: drop.mv }
      : { type: "CreateView", view: drop.view };
  const name = drop.type === "DropMaterializedView" ? drop.mv.name : drop.view.name;
  // Journaled first: if putting the view back then fails, a resume still runs the drop (a
  // no-op) and the create; the other order could leave the old view behind a "done" drop.
  try {
    await input.journal.append({
      ...base,
      event: "op_reverted",
      op_index: j,
      state_hash: "",
      detail: `${describeDelta(drop, input.nameOf)}: undone, the previous definition is put back after delta ${failedIndex + 1} failed`,
    });
  } catch {
    return `The previous definition of '${name}' was not put back (the journal could not record it): the view is missing until the file is fixed and applied.`;
  }
  done.delete(j);
  try {
    for (const s of renderDelta(old, state))
      await input.ch.command(s.sql, {
        ...(s.database !== undefined ? { database: s.database } : {}),
      });
  } catch (e) {
    return `Putting the previous definition of '${name}' back failed too (${clickhouseFailure(e).reason}): the view is missing until the file is fixed and applied.`;
  }
  return `The previous definition of '${name}' was put back (delta ${j + 1}, its drop, is undone and runs again on resume).`;
};

/**
 * The error a failed delta ends the file with: which file and delta, ClickHouse's code and
 * reason, which deltas ran and which did not, and the two ways out.
 */
const failure = async (
  input: ApplyFileInput,
  base: JournalBase,
  state: InfraMap,
  i: number,
  e: unknown,
  done: Set<number>,
): Promise<MooseError> => {
  const { migration, ch, journal } = input;
  const file = migration.file;
  const delta = file.deltas[i]!;
  const total = file.deltas.length;
  const head = `Migration '${file.id}' failed at delta ${i + 1}/${total} (${describeDelta(delta, input.nameOf)})`;
  const server = serverErrorOf(e);
  const serverFailure = server ? clickhouseFailure(server) : undefined;
  const clickhouse = {
    ...(serverFailure?.type !== undefined ? { clickhouseCode: serverFailure.type } : {}),
    ...(serverFailure?.code !== undefined
      ? { clickhouseErrorNumber: Number(serverFailure.code) }
      : {}),
  };

  // A type change ClickHouse could not cast: its mutation is killed and the column restored.
  const reverted =
    delta.type === "ModifyTableColumn" && server !== undefined
      ? await revertFailedColumnChange(ch, delta, state, e).catch(() => undefined)
      : undefined;
  const putBack = reverted ? undefined : await putBackDroppedView(input, base, state, i, done);
  const reason = reverted?.reason ?? errorText(e);
  await journal
    .append({ ...base, event: "failed", op_index: i, state_hash: "", detail: reason })
    .catch(() => undefined);

  const notRun = file.deltas.map((_, k) => k).filter((k) => k !== i && !done.has(k));
  const progress =
    (done.size === 0 ? "No delta of this file ran" : `Deltas ran: ${ranges(done)}`) +
    `; failed: ${i + 1}` +
    (notRun.length > 0 ? `; not run: ${ranges(notRun)}` : "") +
    ".";
  const resumeAt = Math.min(i, ...notRun) + 1;
  const rel = path.join(MIGRATIONS_DIR, path.basename(migration.path));
  const flag = input.targetFlag ?? "";
  const next =
    `Next: either fix the cause and run \`moose migrate${flag}\` again (it resumes at delta ${resumeAt}), ` +
    `or remove the unapplied file and regenerate against the database: \`rm ${rel}\`, fix the model, \`moose generate migration --save${flag}\` (the new file records what this one already changed), then \`moose migrate${flag}\`.`;
  const details = (extra: Record<string, unknown> = {}) => ({
    migration: file.id,
    failedDelta: i + 1,
    completed: done.size,
    ran: [...done].map((k) => k + 1).sort((a, b) => a - b),
    notRun: notRun.map((k) => k + 1),
    ...clickhouse,
    ...extra,
  });

  if (reverted && delta.type === "ModifyTableColumn") {
    return new MooseError(
      "TYPE_CHANGE_FAILED",
      `${head}: ClickHouse cannot convert the existing data of column '${delta.after_column.name}' in '${(input.nameOf ?? ((id: string) => id))(delta.table_id)}':\n  ${reverted.reason}\n` +
        (reverted.restored
          ? `The failed mutation${reverted.killed.length === 1 ? "" : "s"} (${reverted.killed.join(", ") || "none left"}) ${reverted.killed.length === 1 ? "was" : "were"} killed and the column is back to its previous type; no data was changed.`
          : `The failed mutation(s) ${reverted.killed.join(", ")} were killed, but putting the column back failed: check it by hand.`) +
        `\n  ${progress}`,
      {
        hint: `Convert in steps instead: add a new column, backfill it with a RawSql delta using a tolerant cast (e.g. toInt64OrNull), then rename the columns and drop the old one. ${next}`,
        details: details({ killedMutations: reverted.killed, restored: reverted.restored }),
        cause: e,
      },
    );
  }
  // A step's own error (Kafka's refusals, a recreate's failed copy, …) keeps its code and hint.
  const own = isMooseError(e) && e.code !== "CLICKHOUSE_QUERY_FAILED" ? e : undefined;
  const text =
    server && !own
      ? `ClickHouse ${describeClickHouseFailure(serverFailure!)}\n  while running: ${server.statement}`
      : reason;
  const ownDetails =
    own && typeof own.details === "object" && own.details !== null
      ? (own.details as Record<string, unknown>)
      : {};
  return new MooseError(
    own?.code ?? "APPLY_FAILED",
    `${head}:\n  ${text}\n${putBack ? `  ${putBack}\n` : ""}  ${progress}`,
    {
      hint: own?.hint ? `${own.hint}\n${next}` : next,
      details: details(ownDetails),
      cause: e,
    },
  );
};
