import { renderColumnType } from "./data-type";
import { type Delta } from "./deltas";
import { tableDatabase, tableId, type Column, type InfraMap, type Table } from "./infra-map";
import { qualified, quoteIdent } from "./sql-quote";
import { columnLosses, type ColumnLoss } from "./type-narrowing";

/*
 * The data-safety precheck, pure part: which column changes of a file can lose values on the
 * table as it is before the file runs, and the ONE query per table that counts them (with an
 * example value each). `runtime/data-safety.ts` runs the queries; `migrate` stops a file before
 * its first delta when a count is not zero, unless the file is approved with
 * `--accept-data-loss <file-id>`.
 */

/** A column change of one delta that can lose values. */
export interface DeltaLoss extends ColumnLoss {
  /** 0-based index of the delta in its file (or plan). */
  delta: number;
}

/** The losses to count on one table, with the query that counts them. */
export interface TableLossCheck {
  tableId: string;
  /** As the user names it. */
  table: string;
  database: string;
  name: string;
  losses: DeltaLoss[];
  /** `SELECT count() AS total, countIf(…) AS n0, … AS e0, …`: one row. */
  sql: string;
}

/** A loss with what the database holds now. */
export interface CountedLoss extends DeltaLoss {
  table: string;
  /** `database`.`name`, for queries a message suggests. */
  physical: string;
  /** Rows whose value would not survive. */
  count: number;
  /** One such value, as text (`NULL` for a NULL). */
  example: string | null;
}

const computed = (c: Column): boolean => c.materialized !== undefined || c.alias !== undefined;

/** `before` is the column as the table has it now, when it is (same type as the delta says). */
const liveColumn = (table: Table | undefined, before: Column): boolean =>
  table?.columns.some(
    (c) => c.name === before.name && renderColumnType(c) === renderColumnType(before),
  ) === true;

/**
 * The losses of one delta, against `state` (the tables as they are before the file). A column
 * the file itself adds or renames earlier is not in `state`: it holds no rows yet to lose.
 */
export const deltaLosses = (delta: Delta, index: number, state: InfraMap): DeltaLoss[] => {
  const db = state.default_database;
  if (delta.type === "ModifyTableColumn") {
    if (!liveColumn(state.tables[delta.table_id], delta.before_column)) return [];
    // In an ALTER, ClickHouse fills NULLs with the column's DEFAULT (what the model asks for).
    const hasDefault =
      delta.after_column.default !== null && delta.after_column.default !== undefined;
    return columnLosses(delta.before_column, delta.after_column, hasDefault).map((l) => ({
      ...l,
      delta: index,
    }));
  }
  if (delta.type === "RecreateTable") {
    const table = state.tables[tableId(delta.before, db)];
    if (!table) return [];
    const before = new Map(delta.before.columns.map((c) => [c.name, c]));
    // The copy CASTs each kept column: a NULL into a required column fails whatever the DEFAULT.
    return delta.after.columns.flatMap((after) => {
      const b = before.get(after.name);
      return b && !computed(after) && liveColumn(table, b)
        ? columnLosses(b, after, false).map((l) => ({ ...l, delta: index }))
        : [];
    });
  }
  return [];
};

const tableOf = (delta: Delta, state: InfraMap): string | undefined =>
  delta.type === "ModifyTableColumn"
    ? delta.table_id
    : delta.type === "RecreateTable"
      ? tableId(delta.before, state.default_database)
      : undefined;

/** The example value of a loss, as text. */
const exampleSql = (l: DeltaLoss): string =>
  l.kind === "nulls" ? "'NULL'" : `toString(anyIf(${quoteIdent(l.column)}, ${l.condition}))`;

/**
 * The checks for a file's deltas (those `run` says will run), grouped by table: one query per
 * table whatever the number of columns.
 */
export const lossChecks = (
  deltas: readonly Delta[],
  state: InfraMap,
  run: (index: number) => boolean = () => true,
  nameOf: (tableId: string) => string = (id) => id,
): TableLossCheck[] => {
  const byTable = new Map<string, DeltaLoss[]>();
  deltas.forEach((d, i) => {
    if (!run(i)) return;
    const losses = deltaLosses(d, i, state);
    const id = tableOf(d, state);
    if (losses.length === 0 || id === undefined) return;
    byTable.set(id, [...(byTable.get(id) ?? []), ...losses]);
  });
  return [...byTable].map(([id, losses]) => {
    const t = state.tables[id]!;
    const database = tableDatabase(t, state.default_database);
    const parts = losses.flatMap((l, k) => [
      `countIf(${l.condition}) AS n${k}`,
      `${exampleSql(l)} AS e${k}`,
    ]);
    return {
      tableId: id,
      table: nameOf(id),
      database,
      name: t.name,
      losses,
      sql: `SELECT count() AS total, ${parts.join(", ")} FROM ${qualified(database, t.name)}`,
    };
  });
};

/** The counted losses of one check, from its one result row. */
export const countedLosses = (
  check: TableLossCheck,
  row: Record<string, unknown> | undefined,
): CountedLoss[] =>
  check.losses.map((l, k) => {
    const n = Number(row?.[`n${k}`] ?? 0);
    const e = row?.[`e${k}`];
    return {
      ...l,
      table: check.table,
      physical: qualified(check.database, check.name),
      count: Number.isFinite(n) ? n : 0,
      example:
        n > 0 && (typeof e === "string" || typeof e === "number" || typeof e === "bigint")
          ? String(e)
          : null,
    };
  });
