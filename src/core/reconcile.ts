import { describeDelta } from "./deltas";
import { diffTable, tablesSchemaEqual, type IgnoredOperation } from "./diff";
import { withDerivedHashes } from "./hash";
import {
  userFacingName,
  cloneMap,
  tableDatabase,
  tableId,
  type InfraMap,
  type MaterializedView,
  type Table,
  type View,
} from "./infra-map";
import { sqlKeyOffline } from "./normalize";

/** One way the live database differs from what the applied migrations say it should be. */
export interface DriftEntry {
  tableId: string;
  /** The object as the user names it: `Bar`, or `db.Bar` outside the default database. */
  name: string;
  kind: "missing" | "changed";
  details: string[];
}

export { userFacingName };

/** One drift line as messages print it: `  - Bar: <what differs>`. */
export const describeDrift = (d: DriftEntry): string => `  - ${d.name}: ${d.details.join("; ")}`;

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

const physicalView = (v: View | MaterializedView, defaultDb: string) =>
  `${v.database ?? defaultDb}.${v.name}`;

/** The same reality check for views and materialized views: their SELECT and target. */
const reconcileViews = (
  applied: InfraMap,
  live: LiveObjects,
  code: InfraMap,
  sqlKey: (sql: string) => string,
  state: InfraMap,
  drift: DriftEntry[],
): void => {
  const db = applied.default_database;
  const sameView = (recorded: View, actual: View) =>
    sqlKey(recorded.selectSql) === sqlKey(actual.selectSql);
  const sameMv = (recorded: MaterializedView, actual: MaterializedView) =>
    sameView(recorded, actual) &&
    recorded.targetTable === actual.targetTable &&
    (recorded.targetDatabase ?? recorded.database ?? db) ===
      (actual.targetDatabase ?? actual.database ?? db);
  for (const [id, recorded] of Object.entries(applied.views)) {
    const actual = live.views.get(physicalView(recorded, db));
    if (!actual) {
      delete state.views[id];
      drift.push({
        tableId: id,
        name: userFacingName(recorded, db),
        kind: "missing",
        details: ["view is missing from the database"],
      });
    } else if (!sameView(recorded, actual)) {
      state.views[id] = { ...recorded, selectSql: actual.selectSql };
      drift.push({
        tableId: id,
        name: userFacingName(recorded, db),
        kind: "changed",
        details: ["view SELECT changed"],
      });
    }
  }
  for (const [id, recorded] of Object.entries(applied.materialized_views)) {
    const actual = live.materializedViews.get(physicalView(recorded, db));
    if (!actual) {
      delete state.materialized_views[id];
      drift.push({
        tableId: id,
        name: userFacingName(recorded, db),
        kind: "missing",
        details: ["materialized view is missing from the database"],
      });
    } else if (!sameMv(recorded, actual)) {
      state.materialized_views[id] = {
        ...recorded,
        selectSql: actual.selectSql,
        targetTable: actual.targetTable,
      };
      drift.push({
        tableId: id,
        name: userFacingName(recorded, db),
        kind: "changed",
        details: ["materialized view changed"],
      });
    }
  }
  // Views the code declares that already exist are adopted, as tables are.
  for (const [id, declared] of Object.entries(code.views)) {
    if (applied.views[id]) continue;
    const actual = live.views.get(physicalView(declared, db));
    if (actual)
      state.views[id] = sameView(declared, actual)
        ? structuredClone(declared)
        : { ...declared, selectSql: actual.selectSql };
  }
  for (const [id, declared] of Object.entries(code.materialized_views)) {
    if (applied.materialized_views[id]) continue;
    const actual = live.materializedViews.get(physicalView(declared, db));
    if (actual)
      state.materialized_views[id] = sameMv(declared, actual)
        ? structuredClone(declared)
        : { ...declared, selectSql: actual.selectSql, targetTable: actual.targetTable };
  }
};

/** The OLAP objects a state can adopt. */
export type AdoptedObjects = Pick<InfraMap, "tables" | "views" | "materialized_views">;

/**
 * Objects of the reconciled live state that neither the applied files nor the committed ones
 * created: the ones the reality check adopted because the code declares them.
 */
export const adoptedObjects = (
  live: InfraMap,
  applied: InfraMap,
  committed: InfraMap,
): AdoptedObjects => {
  const pick = <K extends keyof AdoptedObjects>(key: K): AdoptedObjects[K] =>
    Object.fromEntries(
      Object.entries(live[key]).filter(([id]) => !(id in applied[key]) && !(id in committed[key])),
    );
  return {
    tables: pick("tables"),
    views: pick("views"),
    materialized_views: pick("materialized_views"),
  };
};

/**
 * Moose's reality check. Starting from the state the applied migrations produced:
 * - a table that matches the database keeps its recorded form (so hashes stay stable);
 * - a table changed by hand takes the live schema (drift, answered by the next file);
 * - a table missing from the database leaves the state (drift);
 * - a table only the code declares is adopted if it exists live; everything else in the
 *   database is invisible and never touched.
 */
export interface LiveObjects {
  tables: ReadonlyMap<string, Table>;
  views: ReadonlyMap<string, View>;
  materializedViews: ReadonlyMap<string, MaterializedView>;
}

export const reconcile = (
  applied: InfraMap,
  liveObjects: LiveObjects,
  code: InfraMap,
  sqlKey: (sql: string) => string = sqlKeyOffline,
  ignore: readonly IgnoredOperation[] = [],
): Reconciled => {
  const db = applied.default_database;
  const state = cloneMap(applied);
  const drift: DriftEntry[] = [];
  const live = liveObjects.tables;
  reconcileViews(applied, liveObjects, code, sqlKey, state, drift);
  for (const [id, recorded] of Object.entries(applied.tables)) {
    const actual = live.get(physical(recorded, db));
    if (!actual) {
      delete state.tables[id];
      drift.push({
        tableId: id,
        name: userFacingName(recorded, db),
        kind: "missing",
        details: ["table is missing from the database"],
      });
    } else if (!tablesSchemaEqual(recorded, actual, ignore)) {
      state.tables[id] = adopt(actual, recorded);
      drift.push({
        tableId: id,
        name: userFacingName(recorded, db),
        kind: "changed",
        details: diffTable(id, recorded, actual).map((d) =>
          describeDelta(d, () => userFacingName(recorded, db)),
        ),
      });
    }
  }
  for (const [id, declared] of Object.entries(code.tables)) {
    if (state.tables[id] || applied.tables[id]) continue;
    const actual = live.get(physical(declared, db));
    if (actual)
      state.tables[tableId(declared, db)] = tablesSchemaEqual(declared, actual, ignore)
        ? structuredClone(declared)
        : adopt(actual, declared);
  }
  return { state, drift };
};
