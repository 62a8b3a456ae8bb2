import { deltaTableIdIn, type Delta } from "./deltas";
import type { InfraMap, Table } from "./infra-map";
import {
  columnsEquivalent,
  engineKey,
  orderByKey,
  partitionKey,
  primaryKeyKey,
  readonlySettingsKey,
} from "./normalize";

/** Why a table must be dropped and created again instead of altered, or null if it can be altered. */
export const recreateReason = (before: Table, after: Table): string | null => {
  if (orderByKey(before) !== orderByKey(after)) return "ORDER BY changed";
  if (partitionKey(before) !== partitionKey(after)) return "PARTITION BY changed";
  if (primaryKeyKey(before) !== primaryKeyKey(after)) return "PRIMARY KEY changed";
  if (engineKey(before.engine) !== engineKey(after.engine)) return "engine changed";
  if (readonlySettingsKey(before) !== readonlySettingsKey(after))
    return "a read-only setting changed";
  return null;
};

/** Column-level deltas for a table that can be altered, in target column order, then removals. */
const diffColumns = (id: string, before: Table, after: Table): Delta[] => {
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
    } else if (!columnsEquivalent(existing, column)) {
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

/** Deltas turning one table into another (empty when they are schema-equal). */
export const diffTable = (id: string, before: Table, after: Table): Delta[] =>
  recreateReason(before, after) !== null
    ? [{ type: "RecreateTable", before, after }]
    : diffColumns(id, before, after);

/** Whether two tables are equal for every purpose the tool migrates. */
export const tablesSchemaEqual = (a: Table, b: Table): boolean => diffTable("", a, b).length === 0;

/**
 * The raw diff between a base state and the desired state, before lifecycle filtering and
 * ordering. Both maps must use the same default database.
 */
export const diffMaps = (base: InfraMap, target: InfraMap): Delta[] => {
  const deltas: Delta[] = [];
  const ids = new Set([...Object.keys(base.tables), ...Object.keys(target.tables)]);
  for (const id of [...ids].sort()) {
    const before = base.tables[id];
    const after = target.tables[id];
    if (before && !after) deltas.push({ type: "DropTable", table: before });
    else if (!before && after) deltas.push({ type: "CreateTable", table: after });
    else if (before && after) deltas.push(...diffTable(id, before, after));
  }
  return deltas;
};

/** Phase of a delta in a file: drops first, then recreates, creates, and in-place alters. */
const PHASE: Record<Delta["type"], number> = {
  DropTableColumn: 0,
  DropTable: 0,
  RecreateTable: 1,
  CreateTable: 2,
  RenameTableColumn: 3,
  AddTableColumn: 3,
  ModifyTableColumn: 3,
};

/**
 * Deterministic order: by phase, then table id; deltas of one table in one phase keep their
 * relative order (column order matters for `after_column`).
 */
export const orderDeltas = (deltas: readonly Delta[], defaultDb: string): Delta[] => {
  return deltas
    .map((delta, index) => ({
      delta,
      index,
      phase: PHASE[delta.type],
      id: deltaTableIdIn(delta, defaultDb),
    }))
    .sort(
      (a, b) => a.phase - b.phase || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0) || a.index - b.index,
    )
    .map((x) => x.delta);
};
