import type { ClickHousePort } from "../adapters/clickhouse";
import { errorText } from "../errors";
import type { ModifyTableColumnDelta } from "../core/deltas";
import { tableDatabase, type InfraMap } from "../core/infra-map";
import { renderDelta } from "../core/render-sql";
import { quoteString } from "../core/sql-quote";

export interface RevertedMutation {
  /** ClickHouse's reason, first line. */
  reason: string;
  killed: string[];
  /** Whether the column was put back to its previous definition. */
  restored: boolean;
}

/**
 * A type change ClickHouse cannot cast (String → Int64 over 'abc') leaves the new type in the
 * metadata and a mutation retrying forever. This kills the table's unfinished mutations and
 * changes the column back, so the table is as it was and readable.
 */
export const revertFailedColumnChange = async (
  ch: ClickHousePort,
  delta: ModifyTableColumnDelta,
  state: InfraMap,
  failure: unknown,
): Promise<RevertedMutation> => {
  const table = state.tables[delta.table_id];
  const reason = errorText(failure).split("\n")[0] ?? "";
  if (!table) return { reason, killed: [], restored: false };
  const params = { db: tableDatabase(table, state.default_database), table: table.name };
  const stuck = await ch.query<{ mutation_id: string; latest_fail_reason: string }>(
    `SELECT mutation_id, latest_fail_reason FROM system.mutations
     WHERE database = {db:String} AND table = {table:String} AND NOT is_done`,
    params,
  );
  if (stuck.length > 0)
    await ch.command(
      `KILL MUTATION WHERE database = ${quoteString(params.db)} AND table = ${quoteString(params.table)} AND NOT is_done`,
    );
  const back: ModifyTableColumnDelta = {
    ...delta,
    before_column: delta.after_column,
    after_column: delta.before_column,
  };
  let restored = true;
  try {
    for (const s of renderDelta(back, state))
      await ch.command(s.sql, { waitForMutation: s.waitsForMutation });
  } catch {
    restored = false;
  }
  const stuckReason = stuck.find((m) => m.latest_fail_reason !== "")?.latest_fail_reason;
  return {
    reason: (stuckReason ?? reason).split("\n")[0]!.replace(/\s*\(while reading[\s\S]*$/, ""),
    killed: stuck.map((m) => m.mutation_id),
    restored,
  };
};
