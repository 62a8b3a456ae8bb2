/*
 * Batched journaling of cheap, repeatable steps. A file of thousands of column or table
 * changes used to cost one journal INSERT and one lock check per step; here consecutive
 * batchable steps form a group that runs (consecutive ADD/DROP COLUMNs of one table as one
 * ALTER), then its `op_done` rows are written in one INSERT after one lock check.
 *
 * Resume stays safe: a step whose `op_done` was not written yet runs again after a crash, and
 * every batchable step is rendered with IF [NOT] EXISTS, so it is a no-op when it ran. Steps of
 * one group touch pairwise different objects (a table, or a column / index / projection /
 * settings of one), so re-running the group's steps after all of them ran has the effect of
 * running each once (a rename a→b then an add of a would not: they go to different groups).
 * Everything else (data steps, recreates, type changes, views, topics) is journaled alone.
 *
 * Lock fencing: checked at every journal write and before every step journaled alone, so a run
 * that lost its lock (a stall past the 20 s expiry, or --break-lock) stops at the next group
 * boundary: after it lost the lock it runs at most the rest of one group — at most
 * `limits.steps` repeatable, pairwise independent steps, or what starts within `limits.ms` —
 * and never journals them.
 */
import type { ClickHousePort } from "../adapters/clickhouse";
import { dispatchDelta, type Delta } from "../core/deltas";
import { tableId, type InfraMap } from "../core/infra-map";
import { alterPrefix, type SqlStatement } from "../core/render-sql";
import type { Journal, NewJournalRow } from "./journal";

export interface BatchLimits {
  /** Steps per group (1: every step journaled and fenced on its own, the unbatched behaviour). */
  steps: number;
  /** A group running longer than this writes what is done so far. */
  ms: number;
}

export const DEFAULT_BATCH: BatchLimits = { steps: 500, ms: 1000 };
/** Actions per merged ALTER. */
const MAX_MERGED = 100;

/**
 * `MOOSE_JOURNAL_BATCH=<n>` (benchmarks and tests only): at most n steps per group; 1 is the
 * per-step journal the benchmark compares with.
 */
export const batchLimits = (env: NodeJS.ProcessEnv): BatchLimits => {
  const n = Number(env.MOOSE_JOURNAL_BATCH);
  return Number.isInteger(n) && n >= 1 ? { ...DEFAULT_BATCH, steps: n } : DEFAULT_BATCH;
};

const SEP = "\u0000";

/**
 * What a batchable step touches, or undefined when the step is journaled alone. A table-level
 * key (`T`) conflicts with every key of that table (`T␀c:x`).
 */
export const batchKeys = (delta: Delta, map: InfraMap): string[] | undefined => {
  const sub = (id: string, kind: string, name: string) => [`${id}${SEP}${kind}:${name}`];
  const none = () => undefined;
  return dispatchDelta<string[] | undefined>(delta, {
    CreateTable: (d) => [tableId(d.table, map.default_database)],
    DropTable: (d) => [tableId(d.table, map.default_database)],
    AddTableColumn: (d) => sub(d.table_id, "c", d.column.name),
    DropTableColumn: (d) => sub(d.table_id, "c", d.column_name),
    RenameTableColumn: (d) => [
      ...sub(d.table_id, "c", d.before_name),
      ...sub(d.table_id, "c", d.after_name),
    ],
    ModifyTableSettings: (d) => sub(d.table_id, "settings", ""),
    AddTableIndex: (d) => sub(d.table_id, "i", d.index.name),
    DropTableIndex: (d) => sub(d.table_id, "i", d.index_name),
    AddTableProjection: (d) => sub(d.table_id, "p", d.projection.name),
    DropTableProjection: (d) => sub(d.table_id, "p", d.projection_name),
    // A mutation over the rows, a copy, a TTL (REMOVE TTL fails when none is left), a sample
    // key (same), views (they read other objects), topics (another system), data steps.
    RecreateTable: none,
    ModifyTableColumn: none,
    ModifyTableTtl: none,
    ModifySampleBy: none,
    RemoveSampleBy: none,
    CreateView: none,
    DropView: none,
    CreateMaterializedView: none,
    DropMaterializedView: none,
    BackfillTable: none,
    RawSql: none,
    CreateTopic: none,
    DeleteTopic: none,
    UpdateTopic: none,
  });
};

const conflicts = (a: string, b: string) =>
  a === b || a.startsWith(b + SEP) || b.startsWith(a + SEP);

/** A queued step: its statements (rendered against the state before it) and its journal row. */
export interface QueuedStep {
  index: number;
  delta: Delta;
  keys: string[];
  statements: SqlStatement[];
  /** For merging: `ALTER TABLE <t> ` when the step is one ADD/DROP COLUMN of table t. */
  mergePrefix?: string;
  row: NewJournalRow;
}

/** The merge prefix of a single-statement ADD/DROP COLUMN step. */
export const mergePrefixOf = (
  delta: Delta,
  statements: readonly SqlStatement[],
  map: InfraMap,
): string | undefined => {
  if (statements.length !== 1) return undefined;
  if (delta.type !== "AddTableColumn" && delta.type !== "DropTableColumn") return undefined;
  const prefix = alterPrefix(map, delta.table_id);
  return statements[0]!.sql.startsWith(prefix) ? `${prefix}${delta.type}` : undefined;
};

/** A step of a group failed: which, and why (the caller builds the failure report). */
export class GroupStepError extends Error {
  constructor(
    readonly index: number,
    override readonly cause: unknown,
  ) {
    super(`step ${index + 1} failed`);
  }
}

export class StepBatcher {
  private group: QueuedStep[] = [];
  private rows: NewJournalRow[] = [];
  /** No statement ran since the lock was last checked. */
  private fenced = false;
  private lastWrite = Date.now();

  constructor(
    private readonly ch: ClickHousePort,
    private readonly journal: Journal,
    private readonly limits: BatchLimits,
    private readonly fence: () => Promise<void>,
    /** Told when a queued step has run (the failure report's "deltas ran"). */
    private readonly ran: (index: number) => void,
  ) {}

  /** A step with nothing to run (already in effect): journaled with the next write. */
  record(row: NewJournalRow): void {
    this.rows.push(row);
  }

  /** Queues a batchable step; the open group runs first when the step conflicts or it is full. */
  async queue(step: QueuedStep): Promise<void> {
    const clash = this.group.some((q) =>
      q.keys.some((k) => step.keys.some((s) => conflicts(k, s))),
    );
    if (clash || this.group.length >= this.limits.steps) await this.runGroup();
    this.group.push(step);
  }

  /**
   * Before a step journaled alone and at the end of the file: the open group runs, every
   * buffered row is written, and the lock is checked if anything ran since.
   */
  async settle(): Promise<void> {
    await this.runGroup();
    await this.write();
    if (!this.fenced) await this.checkLock();
  }

  /** A step journaled alone ran statements: the next group checks the lock again. */
  ranAlone(): void {
    this.fenced = false;
  }

  private async checkLock(): Promise<void> {
    await this.fence();
    this.fenced = true;
  }

  private async write(): Promise<void> {
    if (this.rows.length === 0) return;
    // A run that lost the lock journals nothing more.
    await this.checkLock();
    await this.journal.appendMany(this.rows);
    this.rows = [];
    this.lastWrite = Date.now();
  }

  private async runGroup(): Promise<void> {
    const group = this.group;
    this.group = [];
    if (group.length === 0) return;
    if (!this.fenced) await this.checkLock();
    for (let k = 0; k < group.length;) {
      const unit = this.unitAt(group, k);
      try {
        await this.runUnit(unit);
      } catch (e) {
        this.fenced = false;
        // What ran before is journaled; the failing step is reported by the caller.
        await this.write();
        throw e;
      }
      k += unit.length;
      if (Date.now() - this.lastWrite >= this.limits.ms) await this.write();
    }
    await this.write();
  }

  /** The steps from `k` that run as one statement: consecutive ADD (or DROP) COLUMNs of a table. */
  private unitAt(group: readonly QueuedStep[], k: number): QueuedStep[] {
    const first = group[k]!;
    if (first.mergePrefix === undefined || this.limits.steps === 1) return [first];
    let j = k + 1;
    while (j < group.length && j - k < MAX_MERGED && group[j]!.mergePrefix === first.mergePrefix)
      j++;
    return group.slice(k, j);
  }

  private async runUnit(unit: readonly QueuedStep[]): Promise<void> {
    if (unit.length > 1) {
      const prefix = alterText(unit[0]!);
      const actions = unit.map((q) => q.statements[0]!.sql.slice(prefix.length));
      try {
        // One ALTER: ClickHouse applies its actions together or not at all.
        await this.ch.command(`${prefix}${actions.join(", ")}`, { waitForMutation: true });
        for (const q of unit) this.done(q);
        return;
      } catch {
        // Run them one by one, so the failure names its step (the ones before are no-ops now
        // or run as usual).
      }
    }
    for (const q of unit) {
      for (const s of q.statements)
        try {
          await this.ch.command(s.sql, {
            waitForMutation: s.waitsForMutation,
            ...(s.database !== undefined ? { database: s.database } : {}),
          });
        } catch (e) {
          throw new GroupStepError(q.index, e);
        }
      this.done(q);
    }
  }

  private done(q: QueuedStep): void {
    this.fenced = false;
    this.ran(q.index);
    this.rows.push(q.row);
  }
}

/** The statement text before the action (`ALTER TABLE <t> `) of a merge unit's first step. */
const alterText = (q: QueuedStep): string =>
  q.mergePrefix!.slice(0, q.mergePrefix!.length - q.delta.type.length);
