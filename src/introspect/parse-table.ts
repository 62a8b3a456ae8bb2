import {
  parseColumnType,
  scanTopLevel,
  splitTopLevel,
  UnsupportedClickHouseType,
} from "../core/data-type";
import { parseEngineCall } from "../core/engines";
import { withDerivedHashes } from "../core/hash";
import { unquoteToken } from "../core/sql-quote";
import type { Column, DataType, Table, TableIndex, TableProjection } from "../core/infra-map";
import { stripOuterParens } from "../core/normalize";
import { parseEnumMetadataComment } from "../core/render-sql";

/** One row of `system.tables` as introspection reads it. */
export interface TableRow {
  database: string;
  name: string;
  engine: string;
  engine_full: string;
  sorting_key: string;
  primary_key: string;
  partition_key: string;
  sampling_key: string;
  create_table_query: string;
  as_select: string;
}
/** One row of `system.columns`. */
export interface ColumnRow {
  database: string;
  table: string;
  name: string;
  type: string;
  position: number;
  default_kind: string;
  default_expression: string;
  comment: string;
  compression_codec: string;
}

/** A live table the tool cannot model (unknown engine or column type): left alone, reported. */
export interface UnsupportedTable {
  database: string;
  name: string;
  reason: string;
}

const CLAUSES = [
  "PARTITION BY",
  "PRIMARY KEY",
  "ORDER BY",
  "SAMPLE BY",
  "TTL",
  "SETTINGS",
  "COMMENT",
];

/** Splits `engine_full` into its engine call and its clauses, ignoring keywords inside parentheses/quotes. */
export const splitEngineFull = (
  engineFull: string,
): { engine: string; clauses: Record<string, string> } => {
  const positions: { clause: string; at: number }[] = [];
  scanTopLevel(engineFull, (ch, i, depth) => {
    if (depth !== 0 || ch !== " ") return;
    const clause = CLAUSES.find((c) => engineFull.startsWith(` ${c} `, i));
    if (clause) positions.push({ clause, at: i });
  });
  const engine = engineFull.slice(0, positions[0]?.at ?? engineFull.length).trim();
  const clauses: Record<string, string> = {};
  positions.forEach((p, k) => {
    const end = positions[k + 1]?.at ?? engineFull.length;
    clauses[p.clause] = engineFull.slice(p.at + p.clause.length + 2, end).trim();
  });
  return { engine, clauses };
};

const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;

const parseSettings = (text: string | undefined): Record<string, string> => {
  const out: Record<string, string> = {};
  for (const part of text ? splitTopLevel(text) : []) {
    const m = /^(\w+)\s*=\s*([\s\S]*)$/.exec(part);
    if (m) out[m[1]!] = m[2]!.trim().replace(/^'(.*)'$/, "$1");
  }
  return out;
};

const columnFromRow = (row: ColumnRow): Column => {
  const parsed = parseColumnType(row.type);
  let dataType: DataType = parsed.data_type;
  let comment: string | undefined = row.comment === "" ? undefined : row.comment;
  const enumMeta = comment ? parseEnumMetadataComment(comment) : null;
  if (enumMeta && typeof dataType === "object" && "values" in dataType) {
    // Moose keeps the TS enum (member names, int values) in the comment: restore it.
    dataType = {
      name: enumMeta.name,
      values: enumMeta.members.map((m) => ({
        name: m.name,
        value: typeof m.value === "number" ? { Int: m.value } : { String: m.value },
      })),
    };
    comment = undefined;
  }
  const column: Column = {
    name: row.name,
    data_type: dataType,
    required: parsed.required,
    unique: false,
    primary_key: false,
    default: row.default_kind === "DEFAULT" ? row.default_expression : null,
    annotations: parsed.annotations,
  };
  if (comment !== undefined) column.comment = comment;
  if (row.compression_codec)
    column.codec = row.compression_codec.replace(/^CODEC\(([\s\S]*)\)$/, "$1");
  if (row.default_kind === "MATERIALIZED") column.materialized = row.default_expression;
  if (row.default_kind === "ALIAS") column.alias = row.default_expression;
  return column;
};

/** The `( … )` element list of a CREATE statement, split at top-level commas. */
const createBodyElements = (createQuery: string): string[] => {
  const open = createQuery.indexOf("(");
  if (open < 0) return [];
  const close = scanTopLevel(createQuery, (ch, _i, depth) => ch === ")" && depth === 0, open);
  return close < 0 ? [] : splitTopLevel(createQuery.slice(open + 1, close));
};

/** Position of a keyword at depth 0 outside quotes (` TTL `), or -1. */
const topLevelKeyword = (text: string, keyword: string): number =>
  scanTopLevel(text, (_ch, i, depth) => depth === 0 && text.startsWith(keyword, i));

interface CreateDetails {
  indexes: TableIndex[];
  projections: TableProjection[];
  columnTtl: Map<string, string>;
}

/** Indexes, projections and column TTLs, which only the CREATE statement spells out. */
export const parseCreateDetails = (createQuery: string): CreateDetails => {
  const out: CreateDetails = { indexes: [], projections: [], columnTtl: new Map() };
  for (const element of createBodyElements(createQuery)) {
    const index =
      /^INDEX\s+(`(?:[^`]|``)+`|\S+)\s+([\s\S]+?)\s+TYPE\s+([\s\S]+?)(?:\s+GRANULARITY\s+(\d+))?$/.exec(
        element,
      );
    if (index) {
      const typeCall = /^(\w+)(?:\(([\s\S]*)\))?$/.exec(index[3]!.trim());
      out.indexes.push({
        name: unquoteToken(index[1]!),
        expression: index[2]!.trim(),
        type: typeCall ? typeCall[1]! : index[3]!.trim(),
        arguments: typeCall?.[2] ? splitTopLevel(typeCall[2]) : [],
        granularity: index[4] ? Number(index[4]) : 1,
      });
      continue;
    }
    const projection = /^PROJECTION\s+(`(?:[^`]|``)+`|\S+)\s+\(([\s\S]*)\)$/.exec(element);
    if (projection) {
      out.projections.push({ name: unquoteToken(projection[1]!), body: projection[2]!.trim() });
      continue;
    }
    const column = /^(`(?:[^`]|``)+`|[A-Za-z_][A-Za-z0-9_.]*)\s/.exec(element);
    const ttlAt = topLevelKeyword(element, " TTL ");
    if (column && ttlAt >= 0)
      out.columnTtl.set(unquoteToken(column[1]!), element.slice(ttlAt + 5).trim());
  }
  return out;
};

/** `CREATE MATERIALIZED VIEW db.mv TO db.target (…) AS …` → the target. */
export const materializedViewTarget = (
  createQuery: string,
): { database: string | undefined; table: string } | null => {
  const m =
    /\sTO\s+(?:(`(?:[^`]|``)+`|[A-Za-z_][A-Za-z0-9_]*)\.)?(`(?:[^`]|``)+`|[A-Za-z_][A-Za-z0-9_]*)/.exec(
      createQuery,
    );
  if (!m) return null;
  return { database: m[1] ? unquoteToken(m[1]) : undefined, table: unquoteToken(m[2]!) };
};

/** Builds a Table in Moose's shape from what ClickHouse reports; null with a reason if it cannot. */
export const tableFromRows = (
  t: TableRow,
  columnRows: ColumnRow[],
  defaultDb: string,
): Table | UnsupportedTable => {
  const { engine: engineCall, clauses } = splitEngineFull(t.engine_full);
  const engine = parseEngineCall(engineCall);
  if (!engine)
    return { database: t.database, name: t.name, reason: `engine ${t.engine} is not supported` };
  let columns: Column[];
  try {
    columns = [...columnRows].sort((a, b) => a.position - b.position).map(columnFromRow);
  } catch (e) {
    if (e instanceof UnsupportedClickHouseType)
      return {
        database: t.database,
        name: t.name,
        reason: `column type ${e.message} is not supported`,
      };
    throw e;
  }
  // A one-element key is reported with its parentheses (`(id)`); a longer one without.
  const details = parseCreateDetails(t.create_table_query);
  const sortingKey = stripOuterParens(t.sorting_key);
  const primaryKey = stripOuterParens(t.primary_key);
  const versionColumn = (() => {
    if (typeof engine !== "object") return undefined;
    const params = Object.values(engine)[0] as { version?: string } | undefined;
    return Object.keys(engine)[0]?.endsWith("VersionedCollapsingMergeTree")
      ? params?.version
      : undefined;
  })();
  // A one-column key with an appended column reads `(id), ver`: each element unwrapped.
  const declared = sortingKey === "" ? [] : splitTopLevel(sortingKey).map(stripOuterParens);
  // VersionedCollapsingMergeTree appends its version column to the sorting key by itself.
  const sorting =
    versionColumn !== undefined && declared.length > 1 && declared.at(-1) === versionColumn
      ? declared.slice(0, -1)
      : declared;
  const order_by: string[] | string = sorting.every((s) => IDENT.test(s))
    ? sorting
    : `(${sortingKey})`;
  const pk = primaryKey === "" ? [] : splitTopLevel(primaryKey);
  const table: Table = {
    name: t.name,
    columns,
    order_by,
    engine,
    version: null,
    source_primitive: { name: t.name, primitive_type: "DataModel" },
    metadata: null,
    life_cycle: "FULLY_MANAGED",
    table_settings: parseSettings(clauses.SETTINGS),
    indexes: details.indexes,
    projections: details.projections,
    constraints: [],
  };
  for (const c of columns) {
    const ttl = details.columnTtl.get(c.name);
    if (ttl !== undefined) c.ttl = ttl;
  }
  if (pk.length > 0 && pk.every((s) => IDENT.test(s))) {
    for (const c of table.columns) if (pk.includes(c.name)) c.primary_key = true;
  } else if (pk.length > 0) {
    table.primary_key_expression = `(${primaryKey})`;
  }
  if (t.partition_key) table.partition_by = t.partition_key;
  if (t.sampling_key) table.sample_by = t.sampling_key;
  if (clauses.TTL) table.table_ttl_setting = clauses.TTL;
  if (t.database !== defaultDb) table.database = t.database;
  return withDerivedHashes(table);
};

export const isUnsupported = (x: Table | UnsupportedTable): x is UnsupportedTable => "reason" in x;
