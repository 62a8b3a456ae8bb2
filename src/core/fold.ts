import { MooseError } from "../errors";
import { dispatchDelta, type Delta } from "./deltas";
import { canonicalJson } from "./hash";
import {
  cloneMap,
  emptyInfraMap,
  tableId,
  topicId,
  viewId,
  type InfraMap,
  type Table,
} from "./infra-map";

/** A fold step failed: the file does not apply to the state before it. */
export class FoldError extends Error {}

const requireTable = (map: InfraMap, id: string): Table => {
  const table = map.tables[id];
  if (!table) throw new FoldError(`table '${id}' not found in infrastructure map`);
  return table;
};

const requireColumnIndex = (table: Table, id: string, name: string): number => {
  const i = table.columns.findIndex((c) => c.name === name);
  if (i < 0) throw new FoldError(`column '${name}' not found in table '${id}'`);
  return i;
};

/** Applies one delta to a map in place (Moose's `delta.apply(map)`, same error texts). */
export const applyDelta = (map: InfraMap, delta: Delta): void => {
  const idOf = (t: Table) => tableId(t, map.default_database);
  dispatchDelta<void>(delta, {
    CreateTable: (d) => {
      const id = idOf(d.table);
      if (map.tables[id]) throw new FoldError(`table '${id}' already exists in infrastructure map`);
      map.tables[id] = structuredClone(d.table);
    },
    DropTable: (d) => {
      const id = idOf(d.table);
      requireTable(map, id);
      delete map.tables[id];
    },
    RecreateTable: (d) => {
      const id = idOf(d.before);
      requireTable(map, id);
      delete map.tables[id];
      map.tables[idOf(d.after)] = structuredClone(d.after);
    },
    AddTableColumn: (d) => {
      const table = requireTable(map, d.table_id);
      if (table.columns.some((c) => c.name === d.column.name)) {
        throw new FoldError(`column '${d.column.name}' already exists in table '${d.table_id}'`);
      }
      const after =
        d.after_column === null ? -1 : table.columns.findIndex((c) => c.name === d.after_column);
      const at = d.after_column === null ? 0 : after < 0 ? table.columns.length : after + 1;
      table.columns.splice(at, 0, structuredClone(d.column));
    },
    DropTableColumn: (d) => {
      const table = requireTable(map, d.table_id);
      table.columns.splice(requireColumnIndex(table, d.table_id, d.column_name), 1);
    },
    ModifyTableColumn: (d) => {
      const table = requireTable(map, d.table_id);
      const i = requireColumnIndex(table, d.table_id, d.before_column.name);
      table.columns[i] = structuredClone(d.after_column);
    },
    RenameTableColumn: (d) => {
      const table = requireTable(map, d.table_id);
      const i = requireColumnIndex(table, d.table_id, d.before_name);
      if (table.columns.some((c) => c.name === d.after_name))
        throw new FoldError(`column '${d.after_name}' already exists in table '${d.table_id}'`);
      table.columns[i] = { ...table.columns[i]!, name: d.after_name };
    },
    ModifyTableSettings: (d) => {
      // Moose's fold replaces the settings and leaves `table_settings_hash` as it was (the
      // golden e17 → e18 parent hashes only match this way).
      requireTable(map, d.table_id).table_settings = { ...d.after };
    },
    ModifyTableTtl: (d) => {
      const table = requireTable(map, d.table_id);
      if (d.after === null) delete table.table_ttl_setting;
      else table.table_ttl_setting = d.after;
    },
    AddTableIndex: (d) => {
      const table = requireTable(map, d.table_id);
      if (table.indexes.some((i) => i.name === d.index.name))
        throw new FoldError(`index '${d.index.name}' already exists in table '${d.table_id}'`);
      table.indexes.push(structuredClone(d.index));
    },
    DropTableIndex: (d) => {
      const table = requireTable(map, d.table_id);
      const i = table.indexes.findIndex((x) => x.name === d.index_name);
      if (i < 0) throw new FoldError(`index '${d.index_name}' not found in table '${d.table_id}'`);
      table.indexes.splice(i, 1);
    },
    AddTableProjection: (d) => {
      const table = requireTable(map, d.table_id);
      if (table.projections.some((p) => p.name === d.projection.name))
        throw new FoldError(
          `projection '${d.projection.name}' already exists in table '${d.table_id}'`,
        );
      table.projections.push(structuredClone(d.projection));
    },
    DropTableProjection: (d) => {
      const table = requireTable(map, d.table_id);
      const i = table.projections.findIndex((x) => x.name === d.projection_name);
      if (i < 0)
        throw new FoldError(`projection '${d.projection_name}' not found in table '${d.table_id}'`);
      table.projections.splice(i, 1);
    },
    ModifySampleBy: (d) => {
      requireTable(map, d.table_id).sample_by = d.expression;
    },
    RemoveSampleBy: (d) => {
      delete requireTable(map, d.table_id).sample_by;
    },
    CreateView: (d) => {
      const id = viewId(d.view);
      if (map.views[id]) throw new FoldError(`view '${id}' already exists in infrastructure map`);
      map.views[id] = structuredClone(d.view);
    },
    DropView: (d) => {
      const id = viewId(d.view);
      if (!map.views[id]) throw new FoldError(`view '${id}' not found in infrastructure map`);
      delete map.views[id];
    },
    CreateMaterializedView: (d) => {
      const id = viewId(d.mv);
      if (map.materialized_views[id])
        throw new FoldError(`materialized view '${id}' already exists in infrastructure map`);
      map.materialized_views[id] = structuredClone(d.mv);
    },
    DropMaterializedView: (d) => {
      const id = viewId(d.mv);
      if (!map.materialized_views[id])
        throw new FoldError(`materialized view '${id}' not found in infrastructure map`);
      delete map.materialized_views[id];
    },
    // Data-only deltas: executed on apply, no change to the schema state.
    BackfillTable: () => undefined,
    RawSql: () => undefined,
    CreateTopic: (d) => {
      const id = topicId(d.topic);
      if (map.topics[id]) throw new FoldError(`topic '${id}' already exists in infrastructure map`);
      map.topics[id] = structuredClone(d.topic);
    },
    DeleteTopic: (d) => {
      if (!map.topics[d.topic_id])
        throw new FoldError(`topic '${d.topic_id}' not found in infrastructure map`);
      delete map.topics[d.topic_id];
    },
    UpdateTopic: (d) => {
      const id = topicId(d.before);
      if (!map.topics[id]) throw new FoldError(`topic '${id}' not found in infrastructure map`);
      delete map.topics[id];
      map.topics[topicId(d.after)] = structuredClone(d.after);
    },
  });
};

/**
 * Whether a delta's effect already holds in the map, so applying it must run nothing: a record
 * of an adopted object or of a hand-made change (see core/plan.ts `records`), or a step a
 * crashed run completed. A drop holds when the object as the delta knew it is gone; a change
 * holds when the object already looks as the delta leaves it.
 */
export const alreadyPresent = (map: InfraMap, delta: Delta): boolean => {
  const same = (a: unknown, b: unknown) => a !== undefined && canonicalJson(a) === canonicalJson(b);
  const table = (id: string) => map.tables[id];
  const column = (id: string, name: string) => table(id)?.columns.find((c) => c.name === name);
  const hasTable = (id: string) => table(id) !== undefined;
  return dispatchDelta<boolean>(delta, {
    CreateTable: (d) => same(table(tableId(d.table, map.default_database)), d.table),
    DropTable: (d) => !hasTable(tableId(d.table, map.default_database)),
    RecreateTable: (d) => same(table(tableId(d.after, map.default_database)), d.after),
    AddTableColumn: (d) => same(column(d.table_id, d.column.name), d.column),
    DropTableColumn: (d) => hasTable(d.table_id) && column(d.table_id, d.column_name) === undefined,
    ModifyTableColumn: (d) => same(column(d.table_id, d.after_column.name), d.after_column),
    RenameTableColumn: (d) =>
      column(d.table_id, d.after_name) !== undefined &&
      column(d.table_id, d.before_name) === undefined,
    ModifyTableSettings: (d) =>
      hasTable(d.table_id) &&
      canonicalJson(table(d.table_id)!.table_settings ?? {}) === canonicalJson(d.after),
    ModifyTableTtl: (d) =>
      hasTable(d.table_id) && (table(d.table_id)!.table_ttl_setting ?? null) === d.after,
    AddTableIndex: (d) =>
      same(
        table(d.table_id)?.indexes.find((i) => i.name === d.index.name),
        d.index,
      ),
    DropTableIndex: (d) =>
      hasTable(d.table_id) && !table(d.table_id)!.indexes.some((i) => i.name === d.index_name),
    AddTableProjection: (d) =>
      same(
        table(d.table_id)?.projections.find((p) => p.name === d.projection.name),
        d.projection,
      ),
    DropTableProjection: (d) =>
      hasTable(d.table_id) &&
      !table(d.table_id)!.projections.some((p) => p.name === d.projection_name),
    ModifySampleBy: (d) => hasTable(d.table_id) && table(d.table_id)!.sample_by === d.expression,
    RemoveSampleBy: (d) => hasTable(d.table_id) && table(d.table_id)!.sample_by === undefined,
    CreateView: (d) => same(map.views[viewId(d.view)], d.view),
    // A view as the delta knew it is gone (absent, or replaced by another definition by hand).
    DropView: (d) => !same(map.views[viewId(d.view)], d.view),
    CreateMaterializedView: (d) => same(map.materialized_views[viewId(d.mv)], d.mv),
    DropMaterializedView: (d) => !same(map.materialized_views[viewId(d.mv)], d.mv),
    // Data steps have no trace in the state: they always run.
    BackfillTable: () => false,
    RawSql: () => false,
    CreateTopic: (d) => same(map.topics[topicId(d.topic)], d.topic),
    DeleteTopic: (d) => map.topics[d.topic_id] === undefined,
    UpdateTopic: (d) => same(map.topics[topicId(d.after)], d.after),
  });
};

export interface FoldInput {
  id: string;
  deltas: Delta[];
}

/**
 * Folds files in order from a starting map (the empty state by default). A failing step is
 * reported with the file id and delta position.
 */
export const foldFiles = (
  files: readonly FoldInput[],
  defaultDatabase: string,
  start: InfraMap = emptyInfraMap(defaultDatabase),
): InfraMap => {
  const map = cloneMap(start);
  for (const file of files) foldFileInPlace(map, file, defaultDatabase);
  return map;
};

/**
 * The keys (`tables\0<id>`) of the tables a file's deltas change in place (every delta naming a
 * `table_id`); the others replace or delete whole objects.
 */
export const changedInPlaceBy = (file: FoldInput): Set<string> => {
  const keys = new Set<string>();
  for (const delta of file.deltas) {
    const id = (delta as { table_id?: unknown }).table_id;
    if (typeof id === "string") keys.add(`tables\0${id}`);
  }
  return keys;
};

/**
 * Applies one file's deltas to `map` itself (a walk over many files clones once, not once per
 * file). `changedInPlace` collects the keys (`tables\0<id>`) of tables changed without being
 * replaced, for an incremental state hash (core/hash.ts createStateHasher).
 */
export const foldFileInPlace = (
  map: InfraMap,
  file: FoldInput,
  defaultDatabase: string,
  changedInPlace?: Set<string>,
): void => {
  if (changedInPlace !== undefined)
    for (const key of changedInPlaceBy(file)) changedInPlace.add(key);
  file.deltas.forEach((delta, i) => {
    try {
      applyDelta(map, delta);
    } catch (e) {
      if (!(e instanceof FoldError)) throw e;
      throw new MooseError(
        "MIGRATION_FOLD_FAILED",
        `Migration '${file.id}' does not apply to the state before it: delta ${i + 1} (${delta.type}): ${e.message}`,
        {
          hint: `A committed file was edited or files were merged out of order: restore it from version control, or fix or regenerate it (\`moose migrate --validate\` lists every problem). If [clickhouse_config] db_name changed since the files were written (it is '${defaultDatabase}' now), set it back: the files name each table with its database.`,
        },
      );
    }
  });
};
