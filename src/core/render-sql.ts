import { isStoredNullable, renderColumnType, renderDataType, viewDataType } from "./data-type";
import { dispatchDelta, type Delta, type RecreateTableDelta } from "./deltas";
import { renderEngine } from "./engines";
import {
  tableDatabase,
  type Column,
  type InfraMap,
  type Table,
  type TableIndex,
} from "./infra-map";
import { keyColumnNames, normalizeExpr, READONLY_SETTINGS, stripOuterParens } from "./normalize";
import { qualified, quoteIdent, quoteString } from "./sql-quote";

/** One statement to run, and whether it starts a mutation that must be waited for. */
export interface SqlStatement {
  sql: string;
  /** ALTERs run with mutations_sync/alter_sync so `migrate` ends only when ClickHouse has. */
  waitsForMutation: boolean;
  /** Current database while it runs (a view's unqualified table names resolve against it). */
  database?: string;
}

const ENUM_METADATA_PREFIX = "[MOOSE_METADATA:DO_NOT_MODIFY] ";

/** Moose stores a TS enum's names in the column comment so introspection can restore them. */
export const enumMetadataComment = (column: Column): string | undefined => {
  const v = viewDataType(column.data_type);
  if (v.kind !== "enum") return undefined;
  const members = v.type.values.map((m) => ({
    name: m.name,
    value: "String" in m.value ? m.value.String : m.value.Int,
  }));
  return (
    ENUM_METADATA_PREFIX + JSON.stringify({ version: 1, enum: { name: v.type.name, members } })
  );
};

export const isEnumMetadataComment = (comment: string): boolean =>
  comment.startsWith(ENUM_METADATA_PREFIX);
export const parseEnumMetadataComment = (
  comment: string,
): { name: string; members: { name: string; value: string | number }[] } | null => {
  if (!isEnumMetadataComment(comment)) return null;
  try {
    const parsed = JSON.parse(comment.slice(ENUM_METADATA_PREFIX.length)) as {
      enum?: { name: string; members: { name: string; value: string | number }[] };
    };
    return parsed.enum ?? null;
  } catch {
    return null;
  }
};

const columnComment = (column: Column): string | undefined =>
  column.comment ?? enumMetadataComment(column);

/** Everything after the type: default kind, comment, codec, TTL. */
const columnProperties = (column: Column, includeEmptyComment: boolean): string => {
  const parts: string[] = [];
  if (column.default !== null && column.default !== undefined)
    parts.push(`DEFAULT ${column.default}`);
  else if (column.materialized) parts.push(`MATERIALIZED ${column.materialized}`);
  else if (column.alias) parts.push(`ALIAS ${column.alias}`);
  const comment = columnComment(column);
  if (comment !== undefined) parts.push(`COMMENT ${quoteString(comment)}`);
  else if (includeEmptyComment) parts.push("COMMENT ''");
  if (column.codec) parts.push(`CODEC(${column.codec.replace(/^CODEC\(([\s\S]*)\)$/, "$1")})`);
  if (column.ttl) parts.push(`TTL ${column.ttl}`);
  return parts.join(" ");
};

const join = (...parts: string[]) => parts.filter((p) => p !== "").join(" ");

/** Column definition inside CREATE TABLE: non-nullable columns say NOT NULL, as Moose writes them. */
export const renderColumnDefinition = (column: Column): string =>
  join(
    quoteIdent(column.name),
    renderColumnType(column),
    isStoredNullable(column) ? "" : "NOT NULL",
    columnProperties(column, false),
  );

/** `` `name` expr TYPE type(args) GRANULARITY n `` (shared by CREATE TABLE and ADD INDEX). */
const renderIndex = (i: TableIndex): string =>
  `${quoteIdent(i.name)} ${i.expression} TYPE ${i.type}${i.arguments.length ? `(${i.arguments.join(", ")})` : ""} GRANULARITY ${i.granularity}`;

const renderSettingValue = (value: string): string =>
  /^-?\d+(\.\d+)?$/.test(value) ? value : quoteString(value);

const columnList = (names: string[]): string => `(${names.map(quoteIdent).join(",")})`;

/** CREATE TABLE of `table`; `as` creates it under another name, with a table comment. */
export const renderCreateTable = (
  table: Table,
  defaultDb: string,
  as?: { name: string; comment: string },
): string => {
  const body = [
    ...table.columns.map(renderColumnDefinition),
    ...table.indexes.map((i) => `INDEX ${renderIndex(i)}`),
    ...table.projections.map((p) => `PROJECTION ${quoteIdent(p.name)} (${p.body})`),
  ];
  const keyColumns = keyColumnNames(table);
  const primaryKey = table.primary_key_expression
    ? `PRIMARY KEY ${table.primary_key_expression}`
    : keyColumns.length > 0
      ? `PRIMARY KEY ${columnList(keyColumns)}`
      : "";
  const orderBy = Array.isArray(table.order_by)
    ? table.order_by.length > 0
      ? `ORDER BY ${columnList(table.order_by)}`
      : primaryKey === ""
        ? "ORDER BY tuple()"
        : ""
    : normalizeExpr(table.order_by) === "" || normalizeExpr(table.order_by) === "tuple()"
      ? "ORDER BY tuple()"
      : `ORDER BY (${stripOuterParens(table.order_by)})`;
  const settings = Object.entries(table.table_settings ?? {})
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, v]) => `${k} = ${renderSettingValue(v)}`);
  return join(
    `CREATE TABLE IF NOT EXISTS ${qualified(tableDatabase(table, defaultDb), as?.name ?? table.name)}${onCluster(table)}`,
    `( ${body.join(", ")} )`,
    `ENGINE = ${renderEngine(table.engine)}`,
    primaryKey,
    table.partition_by ? `PARTITION BY ${table.partition_by}` : "",
    table.sample_by ? `SAMPLE BY ${table.sample_by}` : "",
    orderBy,
    table.table_ttl_setting ? `TTL ${table.table_ttl_setting}` : "",
    settings.length ? `SETTINGS ${settings.join(", ")}` : "",
    as ? `COMMENT ${quoteString(as.comment)}` : "",
  );
};

export const renderDropTable = (table: Table, defaultDb: string): string =>
  `DROP TABLE IF EXISTS ${qualified(tableDatabase(table, defaultDb), table.name)}` +
  (table.cluster_name ? `${onCluster(table)} SYNC` : "");

/** ` ON CLUSTER \`c\`` for tables deployed on a cluster. */
const onCluster = (table: Pick<Table, "cluster_name">): string =>
  table.cluster_name ? ` ON CLUSTER ${quoteIdent(table.cluster_name)}` : "";

const alter = (sql: string): SqlStatement => ({ sql, waitsForMutation: true });
const ddl = (sql: string): SqlStatement => ({ sql, waitsForMutation: false });

/** Where a delta's table lives, looked up in the state the delta applies to. */
const target = (map: InfraMap, tableIdValue: string): string => {
  const table = map.tables[tableIdValue];
  if (!table) throw new Error(`table '${tableIdValue}' not found in infrastructure map`);
  return qualified(tableDatabase(table, map.default_database), table.name) + onCluster(table);
};

/** `ALTER TABLE <table> ` as every single-action ALTER of `tableIdValue` starts (batches merge them). */
export const alterPrefix = (map: InfraMap, tableIdValue: string): string =>
  `ALTER TABLE ${target(map, tableIdValue)} `;

const modifyColumnStatements = (t: string, before: Column, after: Column): SqlStatement[] => {
  const onlyComment =
    JSON.stringify({ ...before, comment: undefined }) ===
    JSON.stringify({ ...after, comment: undefined });
  if (onlyComment) {
    return [
      alter(
        `ALTER TABLE ${t} MODIFY COLUMN ${quoteIdent(after.name)} COMMENT ${quoteString(columnComment(after) ?? "")}`,
      ),
    ];
  }
  const out: SqlStatement[] = [];
  const c = quoteIdent(after.name);
  const removed = (b: unknown, a: unknown) =>
    b !== undefined && b !== null && (a === undefined || a === null);
  if (removed(before.default, after.default))
    out.push(alter(`ALTER TABLE ${t} MODIFY COLUMN ${c} REMOVE DEFAULT`));
  if (removed(before.materialized, after.materialized))
    out.push(alter(`ALTER TABLE ${t} MODIFY COLUMN ${c} REMOVE MATERIALIZED`));
  if (removed(before.alias, after.alias))
    out.push(alter(`ALTER TABLE ${t} MODIFY COLUMN ${c} REMOVE ALIAS`));
  if (removed(before.ttl, after.ttl))
    out.push(alter(`ALTER TABLE ${t} MODIFY COLUMN ${c} REMOVE TTL`));
  if (removed(before.codec, after.codec))
    out.push(alter(`ALTER TABLE ${t} MODIFY COLUMN ${c} REMOVE CODEC`));
  const clearComment = columnComment(before) !== undefined && columnComment(after) === undefined;
  out.push(
    alter(
      join(
        `ALTER TABLE ${t} MODIFY COLUMN IF EXISTS ${c}`,
        renderColumnType(after),
        columnProperties(after, clearComment),
      ),
    ),
  );
  return out;
};

/** The statements that carry out one delta against the state `map` it applies to. */
export const renderDelta = (delta: Delta, map: InfraMap): SqlStatement[] => {
  const db = map.default_database;
  return dispatchDelta<SqlStatement[]>(delta, {
    CreateTable: (d) => [ddl(renderCreateTable(d.table, db))],
    DropTable: (d) => [ddl(renderDropTable(d.table, db))],
    RecreateTable: (d) => {
      // What runtime/recreate-table.ts runs on a fresh start in an Atomic database.
      const r = recreateTableSql(d, db);
      return [
        ddl(r.createTemp),
        ...(r.copy !== null ? [alter(r.copy)] : []),
        ddl(r.exchange),
        ddl(r.dropTemp),
        ddl(r.clearMarker),
      ];
    },
    AddTableColumn: (d) => [
      alter(
        join(
          `ALTER TABLE ${target(map, d.table_id)} ADD COLUMN IF NOT EXISTS ${quoteIdent(d.column.name)}`,
          renderColumnType(d.column),
          columnProperties(d.column, false),
          d.after_column === null ? "FIRST" : `AFTER ${quoteIdent(d.after_column)}`,
        ),
      ),
    ],
    DropTableColumn: (d) => [
      alter(
        `ALTER TABLE ${target(map, d.table_id)} DROP COLUMN IF EXISTS ${quoteIdent(d.column_name)}`,
      ),
    ],
    ModifyTableColumn: (d) =>
      modifyColumnStatements(target(map, d.table_id), d.before_column, d.after_column),
    RenameTableColumn: (d) => [
      alter(
        `ALTER TABLE ${target(map, d.table_id)} RENAME COLUMN IF EXISTS ${quoteIdent(d.before_name)} TO ${quoteIdent(d.after_name)}`,
      ),
    ],
    ModifyTableSettings: (d) => renderSettingsChange(target(map, d.table_id), d.before, d.after),
    ModifyTableTtl: (d) => [
      alter(
        d.after === null
          ? `ALTER TABLE ${target(map, d.table_id)} REMOVE TTL`
          : `ALTER TABLE ${target(map, d.table_id)} MODIFY TTL ${d.after}`,
      ),
    ],
    AddTableIndex: (d) => [
      alter(
        `ALTER TABLE ${target(map, d.table_id)} ADD INDEX IF NOT EXISTS ${renderIndex(d.index)}`,
      ),
    ],
    DropTableIndex: (d) => [
      alter(
        `ALTER TABLE ${target(map, d.table_id)} DROP INDEX IF EXISTS ${quoteIdent(d.index_name)}`,
      ),
    ],
    AddTableProjection: (d) => [
      alter(
        `ALTER TABLE ${target(map, d.table_id)} ADD PROJECTION IF NOT EXISTS ${quoteIdent(d.projection.name)} (${d.projection.body})`,
      ),
    ],
    DropTableProjection: (d) => [
      alter(
        `ALTER TABLE ${target(map, d.table_id)} DROP PROJECTION IF EXISTS ${quoteIdent(d.projection_name)}`,
      ),
    ],
    ModifySampleBy: (d) => [
      alter(`ALTER TABLE ${target(map, d.table_id)} MODIFY SAMPLE BY ${d.expression}`),
    ],
    RemoveSampleBy: (d) => [alter(`ALTER TABLE ${target(map, d.table_id)} REMOVE SAMPLE BY`)],
    CreateView: (d) => [
      {
        sql: `CREATE VIEW IF NOT EXISTS ${qualified(d.view.database ?? db, d.view.name)} AS ${d.view.selectSql}`,
        waitsForMutation: false,
        database: d.view.database ?? db,
      },
    ],
    DropView: (d) => [ddl(`DROP VIEW IF EXISTS ${qualified(d.view.database ?? db, d.view.name)}`)],
    CreateMaterializedView: (d) => [
      {
        sql: `CREATE MATERIALIZED VIEW IF NOT EXISTS ${qualified(d.mv.database ?? db, d.mv.name)} TO ${qualified(d.mv.targetDatabase ?? d.mv.database ?? db, d.mv.targetTable)} AS ${d.mv.selectSql}`,
        waitsForMutation: false,
        database: d.mv.database ?? db,
      },
    ],
    DropMaterializedView: (d) => [
      ddl(`DROP VIEW IF EXISTS ${qualified(d.mv.database ?? db, d.mv.name)}`),
    ],
    BackfillTable: (d) => [{ sql: d.sql, waitsForMutation: false, database: db }],
    RawSql: (d) =>
      d.sql
        .map((s) => s.trim())
        .filter((s) => s !== "")
        .map((s) => ({ sql: s, waitsForMutation: true, database: db })),
    // Topic deltas run against Kafka (see core/topics.ts `topicAction`): no SQL.
    CreateTopic: () => [],
    DeleteTopic: () => [],
    UpdateTopic: () => [],
  });
};

/** `MODIFY SETTING` for changed and added keys, `RESET SETTING` for removed ones. */
const renderSettingsChange = (
  t: string,
  before: Record<string, string>,
  after: Record<string, string>,
): SqlStatement[] => {
  const sorted = (keys: string[]) => [...keys].sort();
  const changed = sorted(Object.keys(after)).filter(
    (k) => before[k] !== after[k] && !(k in READONLY_SETTINGS),
  );
  const removed = sorted(Object.keys(before)).filter(
    (k) => !(k in after) && !(k in READONLY_SETTINGS),
  );
  const out: SqlStatement[] = [];
  if (changed.length > 0)
    out.push(
      alter(
        `ALTER TABLE ${t} MODIFY SETTING ${changed.map((k) => `${k} = ${renderSettingValue(after[k]!)}`).join(", ")}`,
      ),
    );
  if (removed.length > 0) out.push(alter(`ALTER TABLE ${t} RESET SETTING ${removed.join(", ")}`));
  return out;
};

/**
 * Table comment of the new table while a recreate is under way. It is set by the CREATE and
 * travels with the table through EXCHANGE / RENAME, so after a crash the catalog says which
 * table holds the copy (runtime/recreate-table.ts); the last step clears it.
 */
export const RECREATE_MARKER = "[MOOSE_RECREATE:DO_NOT_MODIFY] copy of a table being recreated";

/** Every statement a table recreate may need (which ones run depends on what a crash left). */
export interface RecreateTableSql {
  database: string;
  /** The table's name, before and after. */
  name: string;
  /** The new table while rows are copied into it; after EXCHANGE, the old table. */
  temp: string;
  /** The old table between the two renames where EXCHANGE is not supported. */
  backup: string;
  createTemp: string;
  /** `INSERT … SELECT` of the columns both tables have; null when there are none. */
  copy: string | null;
  /** The columns the copy fills. */
  copied: string[];
  /** The copied columns whose type changes (cast on the way). */
  casts: {
    column: string;
    from: string;
    to: string;
    /** The target's type without Nullable / LowCardinality, when it is a plain scalar. */
    scalar?: string;
    /** Nullable before, not after: a NULL does not convert. */
    becomesRequired: boolean;
  }[];
  countSource: string;
  exchange: string;
  /** Swap without EXCHANGE (Ordinary databases): old → backup, temp → name. */
  renameSwap: string;
  /** The second half of `renameSwap`, for a swap interrupted between its renames. */
  renameTempIn: string;
  dropTemp: string;
  dropBackup: string;
  clearMarker: string;
}

/** Whether ClickHouse computes the column (it cannot be inserted into). */
const computed = (c: Column): boolean => c.materialized !== undefined || c.alias !== undefined;

/**
 * The statements that recreate a table keeping its rows: the new schema under a temporary
 * name, the rows copied with casts to the new types (columns only the new table has get their
 * defaults), the two tables swapped, the old one dropped, the marker cleared.
 */
export const recreateTableSql = (
  d: RecreateTableDelta,
  defaultDb: string,
  /**
   * `migrate --accept-data-loss`: a NULL going into a required column takes the type's default
   * value (0, '') instead of failing the copy (CAST refuses NULL into a non-Nullable type).
   */
  opts: { nullsToDefault?: boolean } = {},
): RecreateTableSql => {
  const database = tableDatabase(d.after, defaultDb);
  const name = d.after.name;
  const temp = `${name}__moose_recreate`;
  const backup = `${name}__moose_recreate_old`;
  const q = (n: string) => qualified(database, n);
  const cluster = onCluster(d.after);
  const beforeByName = new Map(d.before.columns.map((c) => [c.name, c]));
  const pairs = d.after.columns.flatMap((after) => {
    const before = beforeByName.get(after.name);
    return before && !computed(after) ? [{ before, after }] : [];
  });
  const source = (before: Column, after: Column): string => {
    const type = renderColumnType(after);
    const c = quoteIdent(after.name);
    if (renderColumnType(before) === type) return c;
    const value =
      opts.nullsToDefault === true && isStoredNullable(before) && !isStoredNullable(after)
        ? `ifNull(${c}, defaultValueOfTypeName(${quoteString(type)}))`
        : c;
    return `CAST(${value} AS ${type}) AS ${c}`;
  };
  const copied = pairs.map((p) => p.after.name);
  const casts = pairs
    .filter((p) => renderColumnType(p.before) !== renderColumnType(p.after))
    .map((p) => ({
      column: p.after.name,
      from: renderColumnType(p.before),
      to: renderColumnType(p.after),
      ...(viewDataType(p.after.data_type).kind === "scalar" &&
      renderColumnType(p.after).search(/Aggregate/) < 0
        ? { scalar: renderDataType(p.after.data_type) }
        : {}),
      becomesRequired: isStoredNullable(p.before) && !isStoredNullable(p.after),
    }));
  return {
    database,
    name,
    temp,
    backup,
    createTemp: renderCreateTable(d.after, defaultDb, { name: temp, comment: RECREATE_MARKER }),
    // A partitioned table can receive more than 100 partitions in one block of the copy.
    copy:
      pairs.length === 0
        ? null
        : `INSERT INTO ${q(temp)} ${columnList(copied)} SETTINGS max_partitions_per_insert_block = 0 SELECT ${pairs.map((p) => source(p.before, p.after)).join(", ")} FROM ${q(name)}`,
    copied,
    casts,
    countSource: `SELECT count() AS n FROM ${q(name)}`,
    exchange: `EXCHANGE TABLES ${q(name)} AND ${q(temp)}${cluster}`,
    renameSwap: `RENAME TABLE ${q(name)} TO ${q(backup)}, ${q(temp)} TO ${q(name)}${cluster}`,
    renameTempIn: `RENAME TABLE ${q(temp)} TO ${q(name)}${cluster}`,
    dropTemp: renderDropTable({ ...d.after, name: temp }, defaultDb),
    dropBackup: renderDropTable({ ...d.after, name: backup }, defaultDb),
    clearMarker: `ALTER TABLE ${q(name)}${cluster} MODIFY COMMENT ''`,
  };
};
