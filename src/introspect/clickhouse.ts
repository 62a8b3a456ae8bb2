import type { ClickHousePort } from "../adapters/clickhouse";
import type { MaterializedView, Table, View } from "../core/infra-map";
import {
  isUnsupported,
  materializedViewTarget,
  tableFromRows,
  type ColumnRow,
  type TableRow,
  type UnsupportedTable,
} from "./parse-table";

export interface LiveSchema {
  /** Databases that exist among those asked for. */
  databases: string[];
  /** Live tables keyed by `<database>.<name>` (physical identity). */
  tables: Map<string, Table>;
  /** Live views and materialized views, same keys; their SELECT is ClickHouse's stored form. */
  views: Map<string, View>;
  materializedViews: Map<string, MaterializedView>;
  unsupported: UnsupportedTable[];
}

export const physicalKey = (database: string, name: string): string => `${database}.${name}`;

/**
 * Reads the tables of the given databases in exactly three queries, whatever their number:
 * `system.databases`, `system.tables`, `system.columns`. Views, inner tables (`.inner…`) and the
 * tool's own `_moose*` tables are not part of the schema.
 */
export const introspectClickHouse = async (
  ch: ClickHousePort,
  databases: readonly string[],
  defaultDb: string,
): Promise<LiveSchema> => {
  const params = { dbs: [...databases] };
  const existing = await ch.query<{ name: string }>(
    "SELECT name FROM system.databases WHERE name IN {dbs:Array(String)}",
    params,
  );
  if (existing.length === 0)
    return {
      databases: [],
      tables: new Map(),
      views: new Map(),
      materializedViews: new Map(),
      unsupported: [],
    };
  const rows = await ch.query<TableRow>(
    `SELECT database, name, engine, engine_full, sorting_key, primary_key, partition_key, sampling_key,
            create_table_query, as_select
     FROM system.tables
     WHERE database IN {dbs:Array(String)} AND NOT is_temporary
       AND engine NOT IN ('LiveView', 'WindowView')
       AND NOT startsWith(name, '.') AND NOT startsWith(lower(name), '_moose')
     ORDER BY database, name`,
    params,
  );
  const views = new Map<string, View>();
  const materializedViews = new Map<string, MaterializedView>();
  for (const row of rows) {
    const database = row.database === defaultDb ? undefined : row.database;
    const base = {
      name: row.name,
      ...(database !== undefined ? { database } : {}),
      selectSql: row.as_select,
      sourceTables: [],
    };
    if (row.engine === "View") views.set(physicalKey(row.database, row.name), base);
    if (row.engine === "MaterializedView") {
      const to = materializedViewTarget(row.create_table_query);
      materializedViews.set(physicalKey(row.database, row.name), {
        ...base,
        targetTable: to?.table ?? "",
        ...(to?.database !== undefined && to.database !== row.database
          ? { targetDatabase: to.database }
          : {}),
        lifeCycle: "FULLY_MANAGED",
      });
    }
  }
  const tableRows = rows.filter((r) => r.engine !== "View" && r.engine !== "MaterializedView");
  const columnRows = await ch.query<ColumnRow>(
    `SELECT database, table, name, type, position, default_kind, default_expression, comment, compression_codec
     FROM system.columns
     WHERE database IN {dbs:Array(String)} AND NOT startsWith(table, '.') AND NOT startsWith(lower(table), '_moose')
     ORDER BY database, table, position`,
    params,
  );
  const byTable = new Map<string, ColumnRow[]>();
  for (const c of columnRows) {
    const key = physicalKey(c.database, c.table);
    const list = byTable.get(key);
    if (list) list.push(c);
    else byTable.set(key, [c]);
  }
  const tables = new Map<string, Table>();
  const unsupported: UnsupportedTable[] = [];
  for (const row of tableRows) {
    const key = physicalKey(row.database, row.name);
    const result = tableFromRows(row, byTable.get(key) ?? [], defaultDb);
    if (isUnsupported(result)) unsupported.push(result);
    else tables.set(key, result);
  }
  return {
    databases: existing.map((d) => d.name),
    tables,
    views,
    materializedViews,
    unsupported,
  };
};
