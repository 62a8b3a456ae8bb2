import { describeDelta } from "./deltas";
import { diffTable, tablesSchemaEqual } from "./diff";
import { withDerivedHashes } from "./hash";
import { cloneMap, tableDatabase, tableId, type InfraMap, type Table } from "./infra-map";

/** One way the live database differs from what the applied migrations say it should be. */
export interface DriftEntry {
  tableId: string;
  kind: "missing" | "changed";
  details: string[];
}

export interface Reconciled {
  /** The state the database is in, in Moose's shape (what `parent_state_hash` is computed over). */
  state: InfraMap;
  drift: DriftEntry[];
}

const physical = (t: Table, defaultDb: string) => `${tableDatabase(t, defaultDb)}.${t.name}`;

/** The live schema carrying the fields ClickHouse cannot report (lifecycle, metadata, version). */
const adopt = (live: Table, known: Table): Table =>
  withDerivedHashes({
    ...live,
    name: known.name,
    version: known.version,
    source_primitive: known.source_primitive,
    metadata: known.metadata,
    life_cycle: known.life_cycle,
    ...(known.database !== undefined ? { database: known.database } : {}),
    ...(known.cluster_name !== undefined ? { cluster_name: known.cluster_name } : {}),
  });

/**
 * Moose's reality check. Starting from the state the applied migrations produced:
 * - a table that matches the database keeps its recorded form (so hashes stay stable);
 * - a table changed by hand takes the live schema (drift, answered by the next file);
 * - a table missing from the database leaves the state (drift);
 * - a table only the code declares is adopted if it exists live; everything else in the
 *   database is invisible and never touched.
 */
export const reconcile = (
  applied: InfraMap,
  live: ReadonlyMap<string, Table>,
  code: InfraMap,
): Reconciled => {
  const db = applied.default_database;
  const state = cloneMap(applied);
  const drift: DriftEntry[] = [];
  for (const [id, recorded] of Object.entries(applied.tables)) {
    const actual = live.get(physical(recorded, db));
    if (!actual) {
      delete state.tables[id];
      drift.push({ tableId: id, kind: "missing", details: ["table is missing from the database"] });
    } else if (!tablesSchemaEqual(recorded, actual)) {
      state.tables[id] = adopt(actual, recorded);
      drift.push({
        tableId: id,
        kind: "changed",
        details: diffTable(id, recorded, actual).map(describeDelta),
      });
    }
  }
  for (const [id, declared] of Object.entries(code.tables)) {
    if (state.tables[id] || applied.tables[id]) continue;
    const actual = live.get(physical(declared, db));
    if (actual)
      state.tables[tableId(declared, db)] = tablesSchemaEqual(declared, actual)
        ? structuredClone(declared)
        : adopt(actual, declared);
  }
  return { state, drift };
};
