import { ClickHouseServerError, type ClickHousePort } from "../adapters/clickhouse";
import { MooseError } from "../errors";
import { qualified, quoteString } from "../core/sql-quote";
import { interrupted } from "./interrupt";
import type { Delta } from "../core/deltas";
import { engineOf, isReplicated } from "../core/engines";
import { tableDatabase, type InfraMap } from "../core/infra-map";

/**
 * ALTERs that start a mutation (a type change rewrites every part) are submitted without
 * waiting (`mutations_sync = 0, alter_sync = 0`) and then followed in `system.mutations`: a
 * client-side deadline on the ALTER itself cannot tell "slow" from "failed", and a timeout
 * that was taken for a failure reverted changes that were still going to succeed.
 */

/** The table a followed statement mutates. */
export interface MutationTable {
  database: string;
  table: string;
  /** Replicated engines: the ALTER reaches this replica's queue asynchronously. */
  replicated: boolean;
}

/** One mutation, as `system.mutations` shows it. */
export interface MutationInfo {
  database: string;
  table: string;
  mutation_id: string;
  command: string;
  partsToDo: number;
  failReason: string;
}

/** What a progress event carries (the UI shows parts left and elapsed time). */
export interface MutationProgress {
  table: string;
  mutationIds: string[];
  partsToDo: number;
  elapsedMs: number;
}

export interface FollowOptions {
  /** `--mutation-timeout`: stop following after this long (the mutation keeps running). */
  timeoutMs?: number;
  onProgress?: (p: MutationProgress) => void;
  /** Called once the mutations a statement started are known (journaled, for a resume). */
  onStarted?: (ids: MutationInfo[]) => Promise<void>;
  /** Poll intervals (tests shorten nothing: the defaults are what users get). */
  pollMs?: (attempt: number) => number;
}

/** Quick at first (most ALTERs finish in milliseconds), then once a second. */
const defaultPoll = (attempt: number): number => Math.min(1000, 50 * 2 ** attempt);

interface Row {
  mutation_id: string;
  command: string;
  parts_to_do: number | string;
  is_done: number | string;
  is_killed: number | string;
  latest_fail_reason: string;
}

const where = "database = {db:String} AND table = {table:String}";

/** Every mutation id the table has now (finished ones included, ClickHouse keeps the last 100). */
const knownIds = async (ch: ClickHousePort, t: MutationTable): Promise<string[]> =>
  (
    await ch.query<{ mutation_id: string }>(
      `SELECT mutation_id FROM system.mutations WHERE ${where}`,
      { db: t.database, table: t.table },
    )
  ).map((r) => r.mutation_id);

/**
 * One query per poll, whatever the number of mutations: the table's mutations not in `known`
 * (or exactly `ids`), plus, on a replicated table, how many ALTER_METADATA entries are still
 * queued for it (a row with an empty mutation_id): until they ran here, this replica may not
 * list the statement's mutation yet.
 */
const poll = (
  ch: ClickHousePort,
  t: MutationTable,
  sel: { known: string[] } | { ids: string[] },
): Promise<Row[]> => {
  const filter =
    "known" in sel
      ? "NOT has({known:Array(String)}, mutation_id)"
      : "has({ids:Array(String)}, mutation_id)";
  const queue = t.replicated
    ? ` UNION ALL SELECT '' AS mutation_id, 'ALTER_METADATA' AS command, toInt64(count()) AS parts_to_do, toUInt8(count() = 0) AS is_done, toUInt8(0) AS is_killed, '' AS latest_fail_reason FROM system.replication_queue WHERE ${where} AND type = 'ALTER_METADATA'`
    : "";
  return ch.query<Row>(
    `SELECT mutation_id, command, toInt64(parts_to_do) AS parts_to_do, toUInt8(is_done) AS is_done, toUInt8(is_killed) AS is_killed, latest_fail_reason FROM system.mutations WHERE ${where} AND ${filter}${queue}`,
    { db: t.database, table: t.table, ...sel },
  );
};

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const info = (t: MutationTable, r: Row): MutationInfo => ({
  database: t.database,
  table: t.table,
  mutation_id: r.mutation_id,
  command: r.command,
  partsToDo: Number(r.parts_to_do),
  failReason: r.latest_fail_reason,
});

/** `KILL MUTATION …` for the hint of an error naming running mutations. */
export const killCommand = (m: Pick<MutationInfo, "database" | "table" | "mutation_id">): string =>
  `KILL MUTATION WHERE database = ${quoteString(m.database)} AND table = ${quoteString(m.table)} AND mutation_id = ${quoteString(m.mutation_id)}`;

/** ClickHouse's mutation failure as its server error (`Code: 6. DB::Exception: … (CANNOT_PARSE_TEXT)`). */
const serverFailure = (reason: string, statement: string): ClickHouseServerError => {
  const code = /Code:\s*(\d+)/.exec(reason)?.[1];
  const type = /\(([A-Z][A-Z0-9_]+)\)(?:\s*\(version [^)]*\))?\.?\s*$/.exec(
    reason.split("\n")[0] ?? "",
  )?.[1];
  const text = reason.replace(/^Code:\s*\d+\.\s*(DB::Exception:\s*)?/, "");
  return new ClickHouseServerError(
    `ClickHouse could not carry out the mutation of: ${statement}\n  ${text}`,
    code,
    type,
    text,
    statement,
  );
};

/**
 * Follows `ids` (or, after a statement, the mutations it started) until done, failed, the
 * deadline or an interrupt. A failure is one that ClickHouse keeps reporting with no part
 * done in between (ClickHouse retries a failing mutation forever; a transient error clears).
 */
export const followMutations = async (
  ch: ClickHousePort,
  t: MutationTable,
  sel: { known: string[] } | { ids: string[] },
  statement: string,
  opts: FollowOptions & { label: string },
): Promise<void> => {
  const start = Date.now();
  const pollMs = opts.pollMs ?? defaultPoll;
  let reported = false;
  let lastFail: { reason: string; parts: number } | undefined;
  for (let attempt = 0; ; attempt++) {
    const rows = await poll(ch, t, sel);
    const mutations = rows.filter((r) => r.mutation_id !== "");
    if (!reported && mutations.length > 0 && opts.onStarted) {
      reported = true;
      await opts.onStarted(mutations.map((r) => info(t, r)));
    }
    const pending = rows.filter((r) => Number(r.is_done) === 0);
    if (pending.length === 0) return;
    const parts = pending.reduce((n, r) => n + Number(r.parts_to_do), 0);
    const failing = pending.find((r) => r.latest_fail_reason !== "");
    if (failing) {
      if (lastFail && lastFail.reason === failing.latest_fail_reason && parts >= lastFail.parts)
        throw new MooseError(
          "MUTATION_FAILED",
          `ClickHouse cannot carry out mutation ${failing.mutation_id} on ${t.database}.${t.table} (${failing.command}): ${failing.latest_fail_reason.split("\n")[0] ?? ""}`,
          {
            hint: "ClickHouse retries a failing mutation forever; see its reason above.",
            details: { mutations: pending.map((r) => info(t, r)) },
            cause: serverFailure(failing.latest_fail_reason, statement),
          },
        );
      lastFail = { reason: failing.latest_fail_reason, parts };
    } else lastFail = undefined;
    const elapsedMs = Date.now() - start;
    const ids = mutations.filter((r) => Number(r.is_done) === 0).map((r) => r.mutation_id);
    opts.onProgress?.({
      table: `${t.database}.${t.table}`,
      mutationIds: ids,
      partsToDo: parts,
      elapsedMs,
    });
    const running = pending.filter((r) => r.mutation_id !== "").map((r) => info(t, r));
    if (opts.timeoutMs !== undefined && elapsedMs >= opts.timeoutMs)
      throw mutationTimeout(opts.label, running, opts.timeoutMs);
    const stop = interrupted();
    if (stop) throw stop.duringMutation(running);
    await sleep(pollMs(attempt));
  }
};

const listed = (ms: readonly MutationInfo[]): string =>
  ms
    .map(
      (m) =>
        `${m.mutation_id} on ${m.database}.${m.table} (${m.command}; ${m.partsToDo} part(s) to do${m.failReason !== "" ? `; last failure: ${m.failReason.split("\n")[0] ?? ""}` : ""})`,
    )
    .join(", ");

const mutationTimeout = (label: string, running: MutationInfo[], timeoutMs: number): MooseError =>
  new MooseError(
    "MUTATION_TIMEOUT",
    `Migration '${label}': the mutation did not finish within --mutation-timeout ${timeoutMs / 1000} s and is still running on the server: ${listed(running) || "(its metadata change is still queued)"}. Nothing was reverted (it may still succeed), and the journal does not mark this delta done.`,
    {
      hint: `Wait and run \`moose migrate\` again: it finds this mutation and follows it to the end instead of submitting it again (raise or leave out --mutation-timeout). Or stop it: ${running.map((m) => `\`${killCommand(m)}\``).join(", ") || "KILL MUTATION …"}, then run \`moose migrate\` again.`,
      details: { mutations: running },
    },
  );

export interface RunMutationOptions extends FollowOptions {
  label: string;
  database?: string;
  /** Mutations an earlier run of this very statement started (a resume follows them first). */
  resume?: readonly string[];
}

/**
 * Submits one ALTER without waiting for its mutation, then follows what it started. A resumed
 * delta first follows the mutations its earlier run started (the statement is idempotent and
 * the metadata already changed: sent again, it starts nothing).
 */
export const runMutation = async (
  ch: ClickHousePort,
  t: MutationTable,
  sql: string,
  opts: RunMutationOptions,
): Promise<void> => {
  // Already journaled as this delta's: followed, not journaled again.
  if (opts.resume && opts.resume.length > 0)
    await followMutations(ch, t, { ids: [...opts.resume] }, sql, { ...opts, onStarted: undefined });
  const known = await knownIds(ch, t);
  await ch.command(sql, {
    ...(opts.database !== undefined ? { database: opts.database } : {}),
    settings: { mutations_sync: 0, alter_sync: 0 },
  });
  // Pull the replication log so this replica lists the mutation (best effort: older servers).
  if (t.replicated)
    await ch
      .command(`SYSTEM SYNC REPLICA ${qualified(t.database, t.table)} PULL`)
      .catch(() => undefined);
  await followMutations(ch, t, { known }, sql, opts);
};

/**
 * Mutations still running on `tables` (one query): a file refuses to start while one runs,
 * unless it is one its own resumed delta started (`ours`).
 */
export const runningMutations = async (
  ch: ClickHousePort,
  tables: readonly { database: string; table: string }[],
): Promise<MutationInfo[]> => {
  if (tables.length === 0) return [];
  const rows = await ch.query<Row & { database: string; table: string }>(
    `SELECT database, table, mutation_id, command, toInt64(parts_to_do) AS parts_to_do, toUInt8(is_done) AS is_done, toUInt8(is_killed) AS is_killed, latest_fail_reason FROM system.mutations WHERE NOT is_done AND has({keys:Array(String)}, concat(database, '.', table))`,
    { keys: tables.map((t) => `${t.database}.${t.table}`) },
  );
  return rows.map((r) => info({ database: r.database, table: r.table, replicated: false }, r));
};

export const mutationsRunningError = (label: string, running: MutationInfo[]): MooseError =>
  new MooseError(
    "MUTATION_RUNNING",
    `Migration '${label}' was not started: a mutation is still running on a table it changes: ${listed(running)}. Nothing was applied.`,
    {
      hint: `Wait for it to finish (\`SELECT mutation_id, parts_to_do, latest_fail_reason FROM system.mutations WHERE NOT is_done\`) and run \`moose migrate\` again, or stop it: ${running.map((m) => `\`${killCommand(m)}\``).join(", ")}.`,
      details: { mutations: running },
    },
  );

/**
 * The table whose mutations a delta's ALTERs start, when they can be followed: an in-place
 * table change on a table without ON CLUSTER (on a cluster the mutation runs on every host:
 * those ALTERs keep waiting server-side, mutations_sync = 2, with no client deadline).
 */
export const mutationTable = (delta: Delta, state: InfraMap): MutationTable | undefined => {
  if (!("table_id" in delta)) return undefined;
  const table = state.tables[delta.table_id];
  if (!table || table.cluster_name !== undefined) return undefined;
  return {
    database: tableDatabase(table, state.default_database),
    table: table.name,
    replicated: isReplicated(engineOf(table.engine).name),
  };
};
