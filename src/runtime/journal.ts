import os from "node:os";
import type { ClickHousePort } from "../adapters/clickhouse";
import { qualified, quoteString } from "../core/sql-quote";
import { TOOL_VERSION } from "../version";

/**
 * `op_reverted i`: a delta journaled as done was undone (a dropped view put back after its new
 * definition failed), so a resume runs it again. `accepted`: the user accepted an applied
 * file's changed content (`moose migrate --accept-changed <id>`); its checksum is the new one.
 * `op_started i` (detail `statement k/n: …`): a statement that must not run twice is about to
 * run (runtime/exactly-once.ts); until `op_done i` its outcome is unknown. `op_resolved i`
 * (detail `done k` / `rerun k`): the user said what became of it (`moose migrate --resolve`).
 * `mutation_started i`: delta i's ALTER started a mutation (detail: its database, table and
 * mutation_id as JSON); a resume follows it instead of taking it for someone else's.
 */
export type JournalEvent =
  | "started"
  | "op_started"
  | "op_resolved"
  | "op_done"
  | "op_reverted"
  | "applied"
  | "failed"
  | "accepted"
  | "mutation_started";

export interface JournalRow {
  migration_id: string;
  event: JournalEvent;
  op_index: number;
  parent_state_hash: string;
  state_hash: string;
  file_checksum: string;
  tool_version: string;
  who: string;
  at: string;
  detail: string;
}

/** What the journal says about one file. */
export interface FileProgress {
  id: string;
  status: "applied" | "incomplete";
  /** Operations journaled as done (for resuming an incomplete file). */
  opsDone: Set<number>;
  parentStateHash: string;
  stateHash: string;
  lastError?: string;
  /** The file's checksum as last journaled (at start, when applied, or when a change was accepted). */
  checksum: string;
  /** Non-repeatable statements started and not known to be done: delta index → which and what. */
  inFlight: Map<number, InFlightStatement>;
  /** Where a resolved step resumes: delta index → 0-based statement to run next. */
  resumeAt: Map<number, number>;
  /** `mutation_started` details per delta index (runtime/mutations.ts reads them). */
  mutations?: Map<number, string[]>;
}

/** A non-repeatable statement journaled as started (`op_started`) with no outcome yet. */
export interface InFlightStatement {
  /** 0-based statement of the delta. */
  statement: number;
  /** The journaled detail: `statement k/n: <sql>`. */
  detail: string;
  at: string;
  who: string;
}

/** `statement k/n: …` → k - 1; the detail format `op_started` rows are written in. */
export const startedStatement = (detail: string): number => {
  const m = /^statement (\d+)\//.exec(detail);
  return m ? Number(m[1]) - 1 : 0;
};

export interface JournalState {
  /** Applied files in the order they were applied. */
  applied: FileProgress[];
  incomplete: Map<string, FileProgress>;
}

/**
 * The append-only journal of applied migrations in the target database. Plain MergeTree, so it
 * works on a single server and on the embedded engine without Keeper.
 */
export class Journal {
  constructor(
    private readonly ch: ClickHousePort,
    private readonly database: string,
    private readonly table: string,
  ) {}

  private get name() {
    return qualified(this.database, this.table);
  }

  async ensure(): Promise<void> {
    await this.ch.command(
      `CREATE TABLE IF NOT EXISTS ${this.name} (
        seq UInt64, migration_id String, event LowCardinality(String), op_index Int32,
        parent_state_hash String, state_hash String, file_checksum String, tool_version String,
        who String, at DateTime64(3, 'UTC'), detail String
      ) ENGINE = MergeTree ORDER BY (seq)`,
    );
  }

  async read(): Promise<JournalRow[]> {
    return this.ch.query<JournalRow>(
      `SELECT migration_id, event, op_index, parent_state_hash, state_hash, file_checksum, tool_version, who, toString(at) AS at, detail FROM ${this.name} ORDER BY seq`,
    );
  }

  private seq = 0n;

  async append(row: NewJournalRow): Promise<void> {
    await this.appendMany([row]);
  }

  /** Several rows in one INSERT (one round trip, one part): the batched `op_done`s of a group. */
  async appendMany(rows: readonly NewJournalRow[]): Promise<void> {
    if (rows.length === 0) return;
    const who = quoteString(`${os.userInfo().username}@${os.hostname()}`);
    const tuples = rows.map((row) => `(${this.values(row, who).join(", ")})`);
    await this.ch.command(`INSERT INTO ${this.name} VALUES ${tuples.join(", ")}`);
  }

  private values(row: NewJournalRow, who: string): string[] {
    // seq orders rows across processes: wall-clock milliseconds × 1000, and strictly increasing
    // within the process (a batch of hundreds of rows is written within one millisecond).
    const now = BigInt(Date.now()) * 1000n;
    const seq = (this.seq = now > this.seq ? now : this.seq + 1n);
    return [
      seq.toString(),
      quoteString(row.migration_id),
      quoteString(row.event),
      String(row.op_index),
      quoteString(row.parent_state_hash),
      quoteString(row.state_hash),
      quoteString(row.file_checksum),
      quoteString(TOOL_VERSION),
      who,
      "now64(3)",
      quoteString(row.detail),
    ];
  }
}

export type NewJournalRow = Omit<JournalRow, "tool_version" | "who" | "at">;

/**
 * Folds journal rows into per-file progress. Whether the applied files form one history (no
 * two branches both applied) is checked on the files themselves (commands/applied-state.ts).
 */
export const summarizeJournal = (rows: readonly JournalRow[]): JournalState => {
  const byId = new Map<string, FileProgress>();
  const appliedOrder: string[] = [];
  for (const r of rows) {
    let p = byId.get(r.migration_id);
    if (!p) {
      p = {
        id: r.migration_id,
        status: "incomplete",
        opsDone: new Set(),
        parentStateHash: r.parent_state_hash,
        stateHash: "",
        checksum: "",
        inFlight: new Map(),
        resumeAt: new Map(),
      };
      byId.set(r.migration_id, p);
    }
    if (r.file_checksum !== "") p.checksum = r.file_checksum;
    if (r.event === "op_done") {
      p.opsDone.add(r.op_index);
      p.inFlight.delete(r.op_index);
      p.resumeAt.delete(r.op_index);
    }
    if (r.event === "op_started")
      p.inFlight.set(r.op_index, {
        statement: startedStatement(r.detail),
        detail: r.detail,
        at: r.at,
        who: r.who,
      });
    if (r.event === "op_resolved") {
      const m = /^(done|rerun) (\d+)/.exec(r.detail);
      p.inFlight.delete(r.op_index);
      if (m) p.resumeAt.set(r.op_index, Number(m[2]) + (m[1] === "done" ? 1 : 0));
    }
    if (r.event === "op_reverted") p.opsDone.delete(r.op_index);
    if (r.event === "mutation_started")
      (p.mutations ??= new Map()).set(r.op_index, [
        ...(p.mutations.get(r.op_index) ?? []),
        r.detail,
      ]);
    if (r.event === "failed") p.lastError = r.detail;
    if (r.event === "applied" && p.status !== "applied") {
      p.status = "applied";
      p.stateHash = r.state_hash;
      appliedOrder.push(r.migration_id);
    }
  }
  const applied = appliedOrder.map((id) => byId.get(id)!);
  const incomplete = new Map([...byId].filter(([, p]) => p.status === "incomplete"));
  return { applied, incomplete };
};
