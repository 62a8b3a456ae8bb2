import type { Delta } from "./deltas";
import { diffTopics } from "./topics";
import {
  type Column,
  type InfraMap,
  type MaterializedView,
  type Table,
  type TableIndex,
  type View,
} from "./infra-map";
import { columnRecreateReason } from "./key-columns";
import {
  alterableSettingsKey,
  columnsEquivalent,
  engineKey,
  indexKey,
  normalizeExpr,
  normalizeTtl,
  orderByKey,
  partitionKey,
  primaryKeyKey,
  projectionKey,
  readonlySettingsKey,
  sqlKeyOffline,
} from "./normalize";

/** Moose's `migration_config.ignore_operations`: differences left out of table comparisons. */
export type IgnoredOperation =
  | "ModifyTableTtl"
  | "ModifyColumnTtl"
  | "ModifyPartitionBy"
  | "IgnoreStringLowCardinalityDifferences";

export const IGNORABLE_OPERATIONS: readonly IgnoredOperation[] = [
  "ModifyTableTtl",
  "ModifyColumnTtl",
  "ModifyPartitionBy",
  "IgnoreStringLowCardinalityDifferences",
];

export interface DiffOptions {
  /** How SELECT texts are compared; the command layer supplies ClickHouse's own formatting. */
  sqlKey?: (sql: string) => string;
  ignore?: readonly IgnoredOperation[];
}

/** A column with the ignored differences taken out (deltas still carry full columns). */
const stripIgnored =
  (ignore: readonly IgnoredOperation[]) =>
  (c: Column): Column => {
    let out = c;
    if (ignore.includes("ModifyColumnTtl") && out.ttl !== undefined) {
      out = { ...out };
      delete out.ttl;
    }
    if (ignore.includes("IgnoreStringLowCardinalityDifferences") && out.data_type === "String")
      out = { ...out, annotations: out.annotations.filter(([k]) => k !== "LowCardinality") };
    return out;
  };

/** Column equivalence with the ignored differences taken out. */
const columnsEqualUnder = (ignore: readonly IgnoredOperation[]) => {
  const strip = stripIgnored(ignore);
  return ignore.length === 0
    ? columnsEquivalent
    : (a: Column, b: Column) => columnsEquivalent(strip(a), strip(b));
};

/**
 * Why a table must be created again (rows copied) instead of altered: every reason, empty when
 * ClickHouse can ALTER it into the new form.
 */
export const recreateReasons = (
  before: Table,
  after: Table,
  ignore: readonly IgnoredOperation[] = [],
): string[] => {
  const reasons: string[] = [];
  if (orderByKey(before) !== orderByKey(after)) reasons.push("ORDER BY changed");
  if (!ignore.includes("ModifyPartitionBy") && partitionKey(before) !== partitionKey(after))
    reasons.push("PARTITION BY changed");
  // A primary key that is the ORDER BY on both sides changed with it: said once.
  const pkIsOrderBy = (t: Table) => primaryKeyKey(t) === orderByKey(t);
  if (
    primaryKeyKey(before) !== primaryKeyKey(after) &&
    !(reasons.includes("ORDER BY changed") && pkIsOrderBy(before) && pkIsOrderBy(after))
  )
    reasons.push("PRIMARY KEY changed");
  if (engineKey(before.engine) !== engineKey(after.engine)) reasons.push("engine changed");
  if (readonlySettingsKey(before) !== readonlySettingsKey(after))
    reasons.push("a read-only setting changed");
  // Column changes ClickHouse cannot ALTER (type of a key column, …: see core/key-columns.ts).
  const strip = stripIgnored(ignore);
  const beforeByName = new Map(before.columns.map((c) => [c.name, c]));
  for (const column of after.columns) {
    const existing = beforeByName.get(column.name);
    const reason = existing && columnRecreateReason(before, strip(existing), strip(column));
    if (reason) reasons.push(reason);
  }
  return reasons;
};

/** The first reason a table must be recreated, or null if it can be altered. */
export const recreateReason = (
  before: Table,
  after: Table,
  ignore: readonly IgnoredOperation[] = [],
): string | null => recreateReasons(before, after, ignore)[0] ?? null;

/** Column-level deltas for a table that can be altered, in target column order, then removals. */
const diffColumns = (
  id: string,
  before: Table,
  after: Table,
  equivalent: (a: Column, b: Column) => boolean,
): Delta[] => {
  const deltas: Delta[] = [];
  const beforeByName = new Map(before.columns.map((c) => [c.name, c]));
  after.columns.forEach((column, i) => {
    const existing = beforeByName.get(column.name);
    if (!existing) {
      deltas.push({
        type: "AddTableColumn",
        table_id: id,
        column,
        after_column: i === 0 ? null : after.columns[i - 1]!.name,
      });
    } else if (!equivalent(existing, column)) {
      deltas.push({
        type: "ModifyTableColumn",
        table_id: id,
        before_column: existing,
        after_column: column,
      });
    }
  });
  const afterNames = new Set(after.columns.map((c) => c.name));
  for (const column of before.columns) {
    if (!afterNames.has(column.name))
      deltas.push({ type: "DropTableColumn", table_id: id, column_name: column.name });
  }
  return deltas;
};

/** Named items (indexes, projections): new ⇒ add, gone ⇒ drop, changed ⇒ drop + add. */
const diffNamed = <T extends { name: string }>(
  before: readonly T[],
  after: readonly T[],
  key: (x: T) => string,
  drop: (name: string) => Delta,
  add: (x: T) => Delta,
): Delta[] => {
  const out: Delta[] = [];
  const afterByName = new Map(after.map((x) => [x.name, x]));
  const beforeByName = new Map(before.map((x) => [x.name, x]));
  for (const b of before) {
    const a = afterByName.get(b.name);
    if (!a || key(a) !== key(b)) out.push(drop(b.name));
  }
  for (const a of after) {
    const b = beforeByName.get(a.name);
    if (!b || key(a) !== key(b)) out.push(add(a));
  }
  return out;
};

/** Deltas turning one table into another that can be altered in place. */
const alterTable = (
  id: string,
  before: Table,
  after: Table,
  ignore: readonly IgnoredOperation[],
): Delta[] => {
  const indexes = diffNamed<TableIndex>(
    before.indexes,
    after.indexes,
    indexKey,
    (index_name) => ({ type: "DropTableIndex", table_id: id, index_name }),
    (index) => ({ type: "AddTableIndex", table_id: id, index }),
  );
  const projections = diffNamed(
    before.projections,
    after.projections,
    projectionKey,
    (projection_name) => ({ type: "DropTableProjection", table_id: id, projection_name }),
    (projection) => ({ type: "AddTableProjection", table_id: id, projection }),
  );
  const isDrop = (d: Delta) => d.type === "DropTableIndex" || d.type === "DropTableProjection";
  // Index and projection drops come before the column changes: ClickHouse refuses to drop (or
  // rename) a column an index or projection still reads ("breaks skip index").
  const deltas = [
    ...indexes.filter(isDrop),
    ...projections.filter(isDrop),
    ...diffColumns(id, before, after, columnsEqualUnder(ignore)),
  ];
  if (alterableSettingsKey(before) !== alterableSettingsKey(after)) {
    deltas.push({
      type: "ModifyTableSettings",
      table_id: id,
      before: { ...(before.table_settings ?? {}) },
      after: { ...(after.table_settings ?? {}) },
    });
  }
  if (
    !ignore.includes("ModifyTableTtl") &&
    normalizeTtl(before.table_ttl_setting) !== normalizeTtl(after.table_ttl_setting)
  ) {
    deltas.push({
      type: "ModifyTableTtl",
      table_id: id,
      before: before.table_ttl_setting ?? null,
      after: after.table_ttl_setting ?? null,
    });
  }
  deltas.push(...indexes.filter((d) => !isDrop(d)), ...projections.filter((d) => !isDrop(d)));
  const sampleBefore = before.sample_by ? normalizeExpr(before.sample_by) : undefined;
  const sampleAfter = after.sample_by ? normalizeExpr(after.sample_by) : undefined;
  if (sampleBefore !== sampleAfter) {
    deltas.push(
      after.sample_by
        ? { type: "ModifySampleBy", table_id: id, expression: after.sample_by }
        : { type: "RemoveSampleBy", table_id: id },
    );
  }
  return deltas;
};

/** Deltas turning one table into another (empty when they are schema-equal). */
export const diffTable = (
  id: string,
  before: Table,
  after: Table,
  ignore: readonly IgnoredOperation[] = [],
): Delta[] =>
  recreateReason(before, after, ignore) !== null
    ? [{ type: "RecreateTable", before, after }]
    : alterTable(id, before, after, ignore);

/** Whether two tables are equal for every purpose the tool migrates. */
export const tablesSchemaEqual = (
  a: Table,
  b: Table,
  ignore: readonly IgnoredOperation[] = [],
): boolean => diffTable("", a, b, ignore).length === 0;

const sourcesKey = (sources: readonly string[]): string =>
  [...sources]
    .map((s) => s.replace(/`/g, ""))
    .sort()
    .join(",");

export const viewsEqual = (a: View, b: View, sqlKey: (sql: string) => string): boolean =>
  a.name === b.name &&
  a.database === b.database &&
  sqlKey(a.selectSql) === sqlKey(b.selectSql) &&
  sourcesKey(a.sourceTables) === sourcesKey(b.sourceTables);

export const materializedViewsEqual = (
  a: MaterializedView,
  b: MaterializedView,
  sqlKey: (sql: string) => string,
  defaultDb: string,
): boolean =>
  viewsEqual(a, b, sqlKey) &&
  a.targetTable === b.targetTable &&
  (a.targetDatabase ?? a.database ?? defaultDb) === (b.targetDatabase ?? b.database ?? defaultDb);

/** Views and materialized views have no ALTER: a change is a drop and a create. */
const diffViews = (base: InfraMap, target: InfraMap, sqlKey: (sql: string) => string): Delta[] => {
  const deltas: Delta[] = [];
  const ids = new Set([...Object.keys(base.views), ...Object.keys(target.views)]);
  for (const id of [...ids].sort()) {
    const before = base.views[id];
    const after = target.views[id];
    if (before && (!after || !viewsEqual(before, after, sqlKey)))
      deltas.push({ type: "DropView", view: before });
    if (after && (!before || !viewsEqual(before, after, sqlKey)))
      deltas.push({ type: "CreateView", view: after });
  }
  const mvIds = new Set([
    ...Object.keys(base.materialized_views),
    ...Object.keys(target.materialized_views),
  ]);
  for (const id of [...mvIds].sort()) {
    const before = base.materialized_views[id];
    const after = target.materialized_views[id];
    const same =
      before && after && materializedViewsEqual(before, after, sqlKey, base.default_database);
    if (before && !same) deltas.push({ type: "DropMaterializedView", mv: before });
    if (after && !same) deltas.push({ type: "CreateMaterializedView", mv: after });
  }
  return deltas;
};

/**
 * The raw diff between a base state and the desired state, before lifecycle filtering, rename
 * and version-bump decisions, and ordering. Both maps must use the same default database.
 */
export const diffMaps = (base: InfraMap, target: InfraMap, opts: DiffOptions = {}): Delta[] => {
  const deltas: Delta[] = [];
  const ids = new Set([...Object.keys(base.tables), ...Object.keys(target.tables)]);
  for (const id of [...ids].sort()) {
    const before = base.tables[id];
    const after = target.tables[id];
    if (before && !after) deltas.push({ type: "DropTable", table: before });
    else if (!before && after) deltas.push({ type: "CreateTable", table: after });
    else if (before && after) deltas.push(...diffTable(id, before, after, opts.ignore ?? []));
  }
  deltas.push(...diffViews(base, target, opts.sqlKey ?? sqlKeyOffline));
  deltas.push(...diffTopics(base, target));
  return deltas;
};
