import {
  clickhouseFailure,
  describeClickHouseFailure,
  type ClickHousePort,
} from "../adapters/clickhouse";
import type { RecreateTableDelta } from "../core/deltas";
import { RECREATE_MARKER, recreateTableSql, type RecreateTableSql } from "../core/render-sql";
import { qualified, quoteIdent, quoteString } from "../core/sql-quote";
import { MooseError, errorText } from "../errors";

/**
 * Applies a RecreateTable keeping the rows: the new schema is created under a temporary name
 * (`<name>__moose_recreate`), the rows are copied into it with casts, the two tables are
 * swapped (EXCHANGE TABLES; in an Ordinary database, which has no EXCHANGE, two RENAMEs through
 * `<name>__moose_recreate_old`), the old table is dropped and the marker cleared.
 *
 * Resumable after a crash between any two statements (the journal re-runs the whole delta).
 * The marker is the new table's COMMENT (RECREATE_MARKER), written by its CREATE: it moves with
 * the table through EXCHANGE and RENAME, so the catalog alone says where a crash stopped,
 * without comparing schemas (which a hand change could blur). The swap only ever happens right
 * after a copy that completed in the same run, so:
 * - the table under its own name carries the marker: the swap happened, its rows are the full
 *   copy; the old table (unmarked, under the temporary or backup name) is dropped, the marker
 *   cleared;
 * - the table is missing, a marked temporary table and the backup exist: a RENAME swap stopped
 *   half-way; it is finished, then as above;
 * - the table is unmarked (the old one, with every row): a marked temporary table is a copy
 *   that may be partial; it is dropped and the copy starts again;
 * - a recreate that finished but was not journaled looks like a fresh start: it copies the
 *   (already new) table once more; each row still ends up there once.
 * An unmarked table under the temporary or backup name is not ours: nothing is touched.
 */
export const recreateTable = async (
  ch: ClickHousePort,
  delta: RecreateTableDelta,
  defaultDb: string,
  onCopy: (rows: number) => void,
  /** `--accept-data-loss`: NULLs copied into a now-required column take the type's default. */
  nullsToDefault = false,
): Promise<void> => {
  const sql = recreateTableSql(delta, defaultDb, { nullsToDefault });
  const { database, name, temp, backup } = sql;
  const run = (statement: string) => ch.command(statement, { waitForMutation: true });
  const tables = await catalog(ch, database, [name, temp, backup]);
  const marked = (n: string) => tables.get(n)?.startsWith(RECREATE_MARKER) === true;
  const notOurs = (n: string) =>
    new MooseError(
      "APPLY_FAILED",
      `Cannot recreate '${database}.${name}': a table '${database}.${n}' exists that this tool did not leave there`,
      {
        hint: `Rename or drop '${database}.${n}' (the recreate uses that name for its copy), then run \`moose migrate\` again.`,
      },
    );

  if (!tables.has(name)) {
    if (!(marked(temp) && tables.has(backup)))
      throw new MooseError(
        "APPLY_FAILED",
        `Cannot recreate '${database}.${name}': the table does not exist`,
        {
          hint: "It was dropped or renamed outside migrations. Restore it, or remove this migration file and regenerate against the database as it is.",
        },
      );
    await run(sql.renameTempIn);
    tables.set(name, tables.get(temp) ?? "");
    tables.delete(temp);
  }
  // Where the old rows are once the swap is done: under the temporary name after EXCHANGE,
  // under the backup name after the RENAMEs.
  let oldRows: ("temp" | "backup")[];
  if (!marked(name)) {
    // The old table, intact: start (again) from a fresh copy.
    if (tables.has(backup)) throw notOurs(backup);
    if (tables.has(temp)) {
      if (!marked(temp)) throw notOurs(temp);
      await run(sql.dropTemp);
    }
    await run(sql.createTemp);
    await copyRows(ch, sql, onCopy);
    // EXCHANGE is atomic but exists only in Atomic-family databases (Atomic, Replicated, …).
    const exchange = (await databaseEngine(ch, database)) !== "Ordinary";
    await run(exchange ? sql.exchange : sql.renameSwap);
    oldRows = [exchange ? "temp" : "backup"];
  } else {
    if (marked(temp)) throw notOurs(temp);
    oldRows = [
      ...(tables.has(temp) ? ["temp" as const] : []),
      ...(tables.has(backup) ? ["backup" as const] : []),
    ];
  }
  for (const where of oldRows) await run(where === "temp" ? sql.dropTemp : sql.dropBackup);
  await run(sql.clearMarker);
};

/** Table name → comment, for the names that exist. */
const catalog = async (
  ch: ClickHousePort,
  database: string,
  names: string[],
): Promise<Map<string, string>> => {
  const rows = await ch.query<{ name: string; comment: string }>(
    "SELECT name, comment FROM system.tables WHERE database = {db:String} AND name IN {names:Array(String)}",
    { db: database, names },
  );
  return new Map(rows.map((r) => [r.name, r.comment]));
};

const databaseEngine = async (ch: ClickHousePort, database: string): Promise<string> => {
  const rows = await ch.query<{ engine: string }>(
    "SELECT engine FROM system.databases WHERE name = {db:String}",
    { db: database },
  );
  return rows[0]?.engine ?? "";
};

/**
 * Copies the rows into the temporary table. A row that does not convert stops here, before
 * anything is swapped or dropped: the partial copy is removed and the old table is untouched.
 */
const copyRows = async (
  ch: ClickHousePort,
  sql: RecreateTableSql,
  onCopy: (rows: number) => void,
): Promise<void> => {
  const [count] = await ch.query<{ n: number | string }>(sql.countSource);
  const rows = Number(count?.n ?? 0);
  onCopy(rows);
  if (sql.copy === null) return;
  try {
    await ch.command(sql.copy, { waitForMutation: true });
  } catch (e) {
    const cleanup = await ch.command(sql.dropTemp).then(
      () => `the partial copy '${sql.temp}' was removed`,
      (dropError: unknown) =>
        `removing the partial copy '${sql.temp}' failed (${errorText(dropError).split("\n")[0]}); the next run removes it`,
    );
    const failure = clickhouseFailure(e);
    const table = qualified(sql.database, sql.name);
    const changes = sql.casts.map((c) => `${c.column} ${c.from} → ${c.to}`).join(", ");
    // Where the target is a plain scalar, ClickHouse can list the rows that would not convert.
    const finds = sql.casts.flatMap((c) => {
      const column = quoteIdent(c.column);
      return [
        ...(c.becomesRequired ? [`SELECT * FROM ${table} WHERE ${column} IS NULL`] : []),
        ...(c.scalar !== undefined
          ? [
              `SELECT * FROM ${table} WHERE ${column} IS NOT NULL AND accurateCastOrNull(${column}, ${quoteString(c.scalar)}) IS NULL`,
            ]
          : []),
      ];
    });
    throw new MooseError(
      "RECREATE_COPY_FAILED",
      `Copying the ${rows} row(s) of '${sql.database}.${sql.name}' into its new schema failed: ClickHouse ${describeClickHouseFailure(failure)}\n` +
        `  Nothing was swapped or dropped: '${sql.name}' is unchanged with all its rows; ${cleanup}.`,
      {
        hint:
          changes === ""
            ? "Fix the cause ClickHouse reports."
            : `Every existing row must convert to the new column types (${changes}). ` +
              (finds.length > 0 ? `Find the rows that do not, e.g.: ${finds.join("; ")}. ` : "") +
              `Fix or delete them in ClickHouse (ALTER TABLE ${table} UPDATE … / DELETE WHERE …, a tolerant cast such as toInt32OrNull helps), or change the model so the types fit the data.`,
        details: {
          table: `${sql.database}.${sql.name}`,
          rows,
          ...(failure.type !== undefined ? { clickhouseCode: failure.type } : {}),
          ...(failure.code !== undefined ? { clickhouseErrorNumber: Number(failure.code) } : {}),
        },
        cause: e,
      },
    );
  }
};
