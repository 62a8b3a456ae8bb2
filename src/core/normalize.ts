import { viewDataType } from "./data-type";
import type { Column, DataType, JsonType, Table, TableIndex, TableProjection } from "./infra-map";

/**
 * Normalization rules applied to both sides before comparing, so ClickHouse's own spelling of
 * what the code declared never shows up as a change. Never stored: only compared.
 */

/** Whitespace and backtick-insensitive form of an SQL expression. */
export const normalizeExpr = (expr: string): string =>
  expr
    .replace(/`/g, "")
    .replace(/\s+/g, " ")
    .replace(/\(\s+/g, "(")
    .replace(/\s+\)/g, ")")
    .replace(/\s*,\s*/g, ", ")
    .trim();

/** Removes one pair of parentheses wrapping the whole expression (`(a, b)` -> `a, b`). */
export const stripOuterParens = (expr: string): string => {
  const t = expr.trim();
  if (!t.startsWith("(") || !t.endsWith(")")) return t;
  let depth = 0;
  for (let i = 0; i < t.length; i++) {
    if (t[i] === "(") depth++;
    else if (t[i] === ")") depth--;
    if (depth === 0 && i < t.length - 1) return t;
  }
  return t.slice(1, -1).trim();
};

const INTERVAL_UNITS: Record<string, string> = {
  Second: "SECOND",
  Minute: "MINUTE",
  Hour: "HOUR",
  Day: "DAY",
  Week: "WEEK",
  Month: "MONTH",
  Quarter: "QUARTER",
  Year: "YEAR",
};

/** ClickHouse reports `INTERVAL 30 DAY` as `toIntervalDay(30)`. */
export const normalizeTtl = (ttl: string | undefined): string | undefined => {
  if (ttl === undefined || ttl.trim() === "") return undefined;
  const unified = ttl.replace(
    /toInterval(Second|Minute|Hour|Day|Week|Month|Quarter|Year)\(\s*(-?\d+)\s*\)/g,
    (_m, unit: string, n: string) => `INTERVAL ${n} ${INTERVAL_UNITS[unit]}`,
  );
  return (
    normalizeExpr(unified)
      .replace(
        /INTERVAL (\d+) (\w+)/gi,
        (_m, n: string, u: string) => `INTERVAL ${n} ${u.toUpperCase().replace(/S$/, "")}`,
      )
      // DELETE is the default action: ClickHouse reads `… DELETE` back without it.
      .replace(/\s+DELETE\s*(?=,|$)/gi, "")
  );
};

/** ClickHouse spells a default codec level out (`ZSTD` -> `ZSTD(1)`, `Delta` -> `Delta(…)`). */
export const normalizeCodec = (codec: string | undefined): string | undefined => {
  if (codec === undefined || codec.trim() === "") return undefined;
  const inner = codec.trim().replace(/^CODEC\(([\s\S]*)\)$/, "$1");
  return (
    normalizeExpr(inner)
      .replace(/\bZSTD\b(?!\()/g, "ZSTD(1)")
      .replace(/\bLZ4HC\b(?!\()/g, "LZ4HC(9)")
      // Delta, DoubleDelta and Gorilla get their width from the column type (`Delta` -> `Delta(4)`):
      // compared without it.
      .replace(/\b(Delta|DoubleDelta|Gorilla)\(\s*\d+\s*\)/g, "$1")
  );
};

const optionalText = (s: string | null | undefined): string | undefined =>
  s === null || s === undefined || s.trim() === "" ? undefined : normalizeExpr(s);

/** Semantic equality of data types: enum names and nested names are not part of the schema. */
export const dataTypesEqual = (a: DataType, b: DataType): boolean => {
  const va = viewDataType(a);
  const vb = viewDataType(b);
  if (va.kind !== vb.kind) return false;
  switch (va.kind) {
    case "scalar":
      return va.name === (vb as typeof va).name;
    case "enum": {
      const x = va.type.values;
      const y = (vb as typeof va).type.values;
      const label = (m: (typeof x)[number]) =>
        "String" in m.value ? m.value.String : `${m.name}=${m.value.Int}`;
      return x.length === y.length && x.every((m, i) => label(m) === label(y[i]!));
    }
    case "array": {
      const o = (vb as typeof va).type;
      return (
        va.type.elementNullable === o.elementNullable &&
        dataTypesEqual(va.type.elementType, o.elementType)
      );
    }
    case "map": {
      const o = (vb as typeof va).type;
      return (
        dataTypesEqual(va.type.keyType, o.keyType) && dataTypesEqual(va.type.valueType, o.valueType)
      );
    }
    case "nested": {
      const o = (vb as typeof va).type;
      return (
        va.type.columns.length === o.columns.length &&
        va.type.columns.every((c, i) => columnsEquivalent(c, o.columns[i]!))
      );
    }
    case "tuple": {
      const o = (vb as typeof va).type;
      return (
        va.type.fields.length === o.fields.length &&
        va.type.fields.every(
          ([n, t], i) => n === o.fields[i]![0] && dataTypesEqual(t, o.fields[i]![1]),
        )
      );
    }
    case "json":
      return jsonKey(va.type) === jsonKey((vb as typeof va).type);
    case "nullable":
      return dataTypesEqual(va.type.nullable, (vb as typeof va).type.nullable);
  }
};

/** JSON options: typed paths are order-insensitive. */
const jsonKey = (j: JsonType): string =>
  JSON.stringify([
    j.max_dynamic_paths ?? null,
    j.max_dynamic_types ?? null,
    [...j.typed_paths].map(([p, t]) => `${p} ${JSON.stringify(t)}`).sort(),
    [...j.skip_paths].sort(),
    [...j.skip_regexps].sort(),
  ]);

/** Annotations for Moose's runtime only (how a value is read), with no trace in ClickHouse's DDL. */
const CLIENT_ONLY_ANNOTATIONS = new Set(["stringDate"]);

const annotationKey = (annotations: Column["annotations"]): string =>
  JSON.stringify(
    annotations
      .filter(([k, v]) => !(k === "LowCardinality" && v !== true))
      .filter(([k]) => !CLIENT_ONLY_ANNOTATIONS.has(String(k)))
      .map(([k, v]) => [k, v])
      .sort(([a], [b]) => String(a).localeCompare(String(b))),
  );

const isAggregate = (c: Column): boolean =>
  c.annotations.some(([k]) => k === "aggregationFunction" || k === "simpleAggregationFunction");

/** Arrays, maps and nested columns are never Nullable in ClickHouse: `required` is moot there. */
const effectiveRequired = (c: Column): boolean => {
  const kind = viewDataType(c.data_type).kind;
  return kind === "array" || kind === "nested" || kind === "map" || kind === "json"
    ? true
    : c.required;
};

/** Column equivalence (Moose's rules: `primary_key` and position are table-level, not compared). */
export const columnsEquivalent = (a: Column, b: Column): boolean =>
  a.name === b.name &&
  effectiveRequired(a) === effectiveRequired(b) &&
  // An aggregate column's type is its aggregate function (compared with the annotations).
  (dataTypesEqual(a.data_type, b.data_type) || (isAggregate(a) && isAggregate(b))) &&
  optionalText(a.default) === optionalText(b.default) &&
  optionalText(a.materialized) === optionalText(b.materialized) &&
  optionalText(a.alias) === optionalText(b.alias) &&
  (a.comment ?? "") === (b.comment ?? "") &&
  normalizeTtl(a.ttl) === normalizeTtl(b.ttl) &&
  normalizeCodec(a.codec) === normalizeCodec(b.codec) &&
  annotationKey(a.annotations) === annotationKey(b.annotations);

/**
 * The `Key<>` (primary key) columns in key order. A primary key is a prefix of the ORDER BY, so
 * flagged columns take their ORDER BY positions; declaration order would turn `ORDER BY (b, a)`
 * read back from ClickHouse (both flagged) into a different key `a, b`.
 */
export const keyColumnNames = (table: Table): string[] => {
  const flagged = table.columns.filter((c) => c.primary_key).map((c) => c.name);
  if (!Array.isArray(table.order_by)) return flagged;
  const order = table.order_by;
  const at = (name: string) => {
    const i = order.indexOf(name);
    return i < 0 ? order.length : i;
  };
  return flagged
    .map((name, i) => ({ name, i }))
    .sort((x, y) => at(x.name) - at(y.name) || x.i - y.i)
    .map((x) => x.name);
};

/** The ORDER BY of a table as one normalized expression list (`a, b`). */
export const orderByKey = (table: Table): string => {
  const raw = Array.isArray(table.order_by)
    ? table.order_by.join(", ")
    : stripOuterParens(table.order_by);
  const key = normalizeExpr(raw);
  if (key === "" || key === "tuple()") {
    const pk = keyColumnNames(table);
    if (pk.length > 0) return pk.join(", ");
    if (table.primary_key_expression)
      return normalizeExpr(stripOuterParens(table.primary_key_expression));
    return "tuple()";
  }
  return key;
};

/** The effective primary key: the explicit expression, the `Key<>` columns, else the ORDER BY. */
export const primaryKeyKey = (table: Table): string => {
  if (table.primary_key_expression)
    return normalizeExpr(stripOuterParens(table.primary_key_expression));
  const pk = keyColumnNames(table);
  if (pk.length > 0) return pk.join(", ");
  return orderByKey(table);
};

export const partitionKey = (table: Table): string | undefined => optionalText(table.partition_by);

export { engineKey } from "./engines";

/**
 * MergeTree settings that cannot be altered after creation, with ClickHouse's defaults (a
 * missing key on either side means the default).
 */
export const READONLY_SETTINGS: Readonly<Record<string, string>> = {
  index_granularity: "8192",
  index_granularity_bytes: "10485760",
  enable_mixed_granularity_parts: "1",
  add_minmax_index_for_numeric_columns: "0",
  add_minmax_index_for_string_columns: "0",
  table_disk: "0",
};

export const readonlySettingsKey = (table: Table): string =>
  Object.keys(READONLY_SETTINGS)
    .map((k) => `${k}=${table.table_settings?.[k] ?? READONLY_SETTINGS[k]}`)
    .join(";");

/** The settings that can be changed with ALTER (every key that is not read-only), normalized. */
export const alterableSettingsKey = (table: Table): string =>
  Object.entries(table.table_settings ?? {})
    .filter(([k]) => !(k in READONLY_SETTINGS))
    .map(([k, v]) => `${k}=${v.trim().replace(/^'(.*)'$/, "$1")}`)
    .sort()
    .join(";");

/** A skip index as ClickHouse would report it (`bloom_filter(0.01)`, lower-case type). */
export const indexKey = (i: TableIndex): string =>
  [
    normalizeExpr(stripOuterParens(i.expression)),
    i.type.trim().toLowerCase(),
    i.arguments.map((a) => normalizeExpr(a).replace(/^'(.*)'$/, "$1")).join(","),
    String(i.granularity),
  ].join("|");

/** Projection bodies compared with whitespace collapsed (Moose's rule). */
export const projectionKey = (p: TableProjection): string => normalizeSql(p.body);

/** Lower-cases SQL outside string literals and backticks; collapses whitespace. */
const normalizeSql = (sql: string): string => {
  let out = "";
  let quote: string | null = null;
  for (let i = 0; i < sql.length; i++) {
    const ch = sql[i]!;
    if (quote) {
      out += ch;
      if (ch === "\\") out += sql[++i] ?? "";
      else if (ch === quote) quote = null;
      continue;
    }
    if (ch === "'") {
      quote = ch;
      out += ch;
    } else out += ch.toLowerCase();
  }
  return out
    .replace(/`/g, "")
    .replace(/\s+/g, " ")
    .replace(/\s*([(),=<>+*/-])\s*/g, "$1")
    .replace(/;\s*$/, "")
    .trim();
};

/**
 * Comparison key of a view's SELECT when no ClickHouse is at hand: case outside literals,
 * quoting and whitespace do not count. With a connection, the command layer first runs the
 * text through ClickHouse's own formatter and then applies this.
 */
export const sqlKeyOffline = (sql: string): string => normalizeSql(sql);

/** Drops `db.` qualifiers ClickHouse adds to table names in a stored view SELECT. */
export const unqualify = (sql: string, databases: readonly string[]): string =>
  databases.reduce(
    (acc, db) =>
      acc
        .split(`\`${db}\`.`)
        .join("")
        .replace(
          new RegExp(`(^|[^A-Za-z0-9_.])${db.replace(/[^A-Za-z0-9_]/g, "\\$&")}\\.`, "g"),
          "$1",
        ),
    sql,
  );

/**
 * Points `db.` qualifiers (quoted or bare) of the given databases at other databases: a view's
 * SELECT checked in a scratch database reads the scratch copies of its tables.
 */
export const requalify = (sql: string, databases: ReadonlyMap<string, string>): string => {
  let out = sql;
  for (const [from, to] of databases) {
    const escaped = from.replace(/[^A-Za-z0-9_]/g, "\\$&");
    out = out
      .split(`\`${from}\`.`)
      .join(`\`${to}\`.`)
      .replace(new RegExp(`(^|[^A-Za-z0-9_.\`])${escaped}\\.`, "g"), `$1\`${to}\`.`);
  }
  return out;
};
