import type { ClickHousePort } from "../adapters/clickhouse";
import { deltaTableId, isTopicDelta, type Delta } from "../core/deltas";
import { alreadyPresent } from "../core/fold";
import { tableDatabase, tableId, type InfraMap } from "../core/infra-map";
import type { Journal, JournalRow } from "./journal";
import {
  mutationsRunningError,
  runningMutations,
  type FollowOptions,
  type MutationInfo,
} from "./mutations";

/**
 * Mutations and the journal: `mutation_started` rows make a mutation a delta started
 * recognisable to the next run, which follows it (resume) instead of refusing to start
 * behind it as behind someone else's.
 */

/** The tables a file's deltas change, as they are named now (new tables have no mutations). */
export const touchedTables = (
  deltas: readonly Delta[],
  state: InfraMap,
): { database: string; table: string }[] => {
  const seen = new Map<string, { database: string; table: string }>();
  for (const d of deltas) {
    if (d.type === "CreateTable" || d.type === "RawSql" || isTopicDelta(d)) continue;
    const table = state.tables[deltaTableId(d, (t) => tableId(t, state.default_database))];
    if (!table) continue;
    const database = tableDatabase(table, state.default_database);
    seen.set(`${database}.${table.name}`, { database, table: table.name });
  }
  return [...seen.values()];
};

/** A `mutation_started` journal detail. */
export const startedDetail = (m: MutationInfo): string =>
  JSON.stringify({ database: m.database, table: m.table, mutation_id: m.mutation_id });

/** The mutations journaled as started by a delta (details that do not parse are skipped). */
export const parseStarted = (
  details: readonly string[] | undefined,
): { database: string; table: string; mutation_id: string }[] =>
  (details ?? []).flatMap((d) => {
    try {
      const v = JSON.parse(d) as { database?: unknown; table?: unknown; mutation_id?: unknown };
      return typeof v.database === "string" &&
        typeof v.table === "string" &&
        typeof v.mutation_id === "string"
        ? [{ database: v.database, table: v.table, mutation_id: v.mutation_id }]
        : [];
    } catch {
      return [];
    }
  });

/**
 * A file does not start while a mutation runs on a table it changes (it would queue behind it,
 * or be taken for it), unless an undone delta of this very file started it: that delta follows
 * it to the end when it runs (resume). One query.
 */
export const refuseRunningMutations = async (input: {
  ch: ClickHousePort;
  fileId: string;
  deltas: readonly Delta[];
  state: InfraMap;
  opsDone: ReadonlySet<number>;
  mutationsStarted?: Map<number, string[]>;
}): Promise<void> => {
  const undone = input.deltas.filter(
    (d, i) => !input.opsDone.has(i) && !alreadyPresent(input.state, d),
  );
  const running = await runningMutations(input.ch, touchedTables(undone, input.state));
  const ours = new Set(
    [...(input.mutationsStarted ?? new Map<number, string[]>())]
      .filter(([i]) => !input.opsDone.has(i))
      .flatMap(([, details]) => parseStarted(details))
      .map((m) => `${m.database}.${m.table}.${m.mutation_id}`),
  );
  const others = running.filter((m) => !ours.has(`${m.database}.${m.table}.${m.mutation_id}`));
  if (others.length > 0) throw mutationsRunningError(input.fileId, others);
};

/** How delta `i` follows its mutations: the deadline, what an earlier run started, journaling. */
export const followOptions = (
  input: { journal: Journal; mutationTimeoutMs?: number; mutationsStarted?: Map<number, string[]> },
  base: Pick<JournalRow, "migration_id" | "parent_state_hash" | "file_checksum">,
  i: number,
): FollowOptions & { resume?: readonly string[] } => {
  const resume = parseStarted(input.mutationsStarted?.get(i)).map((m) => m.mutation_id);
  return {
    ...(input.mutationTimeoutMs !== undefined ? { timeoutMs: input.mutationTimeoutMs } : {}),
    ...(resume.length > 0 ? { resume } : {}),
    // Journaled before following: a run stopped now (timeout, signal, crash) lets the next
    // one recognise the mutation as this delta's own.
    onStarted: async (ms) => {
      for (const m of ms)
        await input.journal.append({
          ...base,
          event: "mutation_started",
          op_index: i,
          state_hash: "",
          detail: startedDetail(m),
        });
    },
  };
};
