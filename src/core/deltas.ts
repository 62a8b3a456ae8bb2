import { tableId, type Column, type Table } from "./infra-map";

/** Recorded approval of a destructive delta, so applying a file never prompts. */
export interface DestructivePolicy {
  description: string;
  approved_at: string;
}

export interface CreateTableDelta {
  type: "CreateTable";
  table: Table;
}
export interface DropTableDelta {
  type: "DropTable";
  table: Table;
  policy?: DestructivePolicy;
}
export interface RecreateTableDelta {
  type: "RecreateTable";
  before: Table;
  after: Table;
  policy?: DestructivePolicy;
}
export interface AddTableColumnDelta {
  type: "AddTableColumn";
  table_id: string;
  column: Column;
  after_column: string | null;
}
export interface DropTableColumnDelta {
  type: "DropTableColumn";
  table_id: string;
  column_name: string;
}
export interface ModifyTableColumnDelta {
  type: "ModifyTableColumn";
  table_id: string;
  before_column: Column;
  after_column: Column;
}
export interface RenameTableColumnDelta {
  type: "RenameTableColumn";
  table_id: string;
  before_name: string;
  after_name: string;
}

export type Delta =
  | CreateTableDelta
  | DropTableDelta
  | RecreateTableDelta
  | AddTableColumnDelta
  | DropTableColumnDelta
  | ModifyTableColumnDelta
  | RenameTableColumnDelta;

export type DeltaType = Delta["type"];
export type DeltaOf<K extends DeltaType> = Extract<Delta, { type: K }>;

/**
 * Exhaustive dispatch over delta kinds: adding a kind to `Delta` fails to compile until every
 * `Record<DeltaType, …>` handler map in the pipeline handles it.
 */
export type DeltaHandlers<R> = { [K in DeltaType]: (delta: DeltaOf<K>) => R };

export const dispatchDelta = <R>(delta: Delta, handlers: DeltaHandlers<R>): R =>
  (handlers[delta.type] as (d: Delta) => R)(delta);

export const DELTA_TYPES: readonly DeltaType[] = [
  "CreateTable",
  "DropTable",
  "RecreateTable",
  "AddTableColumn",
  "DropTableColumn",
  "ModifyTableColumn",
  "RenameTableColumn",
] satisfies DeltaType[];

/** Human description printed while applying and in previews (Moose's wording). */
export const describeDelta = (delta: Delta): string =>
  dispatchDelta<string>(delta, {
    CreateTable: (d) => `Create table '${d.table.name}'`,
    DropTable: (d) => `Drop table '${d.table.name}'`,
    RecreateTable: (d) => `Recreate table '${d.after.name}'`,
    AddTableColumn: (d) => `Add column '${d.column.name}' to '${d.table_id}'`,
    DropTableColumn: (d) => `Drop column '${d.column_name}' from '${d.table_id}'`,
    ModifyTableColumn: (d) => `Modify column '${d.after_column.name}' in '${d.table_id}'`,
    RenameTableColumn: (d) =>
      `Rename column '${d.before_name}' to '${d.after_name}' in '${d.table_id}'`,
  });

/**
 * Destructive deltas lose data and need an explicit decision. Returns the summary line Moose
 * prints for each (`DROP TABLE \`t\``…), or null when the delta is safe.
 */
export const destructiveSummary = (delta: Delta): string | null =>
  dispatchDelta<string | null>(delta, {
    CreateTable: () => null,
    DropTable: (d) => `DROP TABLE \`${d.table.name}\``,
    RecreateTable: (d) =>
      `DROP + RECREATE \`${d.after.name}\` (schema change requires drop + recreate)`,
    AddTableColumn: () => null,
    DropTableColumn: (d) => `DROP COLUMN \`${d.column_name}\` FROM \`${d.table_id}\``,
    ModifyTableColumn: () => null,
    RenameTableColumn: () => null,
  });

/** The policy Moose records on approved table drops and recreates (other deltas carry none). */
export const withPolicy = (delta: Delta, approvedAt: string): Delta => {
  switch (delta.type) {
    case "DropTable":
      return {
        ...delta,
        policy: {
          description: `User confirmed: DROP TABLE '${delta.table.name}'`,
          approved_at: approvedAt,
        },
      };
    case "RecreateTable":
      return {
        ...delta,
        policy: {
          description: `User confirmed: DROP + RECREATE table '${delta.after.name}' (schema change requires drop + recreate)`,
          approved_at: approvedAt,
        },
      };
    default:
      return delta;
  }
};

/** The table id a delta touches (used for conflicts, ordering and reports). */
export const deltaTableId = (delta: Delta, idOf: (t: Table) => string): string =>
  dispatchDelta<string>(delta, {
    CreateTable: (d) => idOf(d.table),
    DropTable: (d) => idOf(d.table),
    RecreateTable: (d) => idOf(d.after),
    AddTableColumn: (d) => d.table_id,
    DropTableColumn: (d) => d.table_id,
    ModifyTableColumn: (d) => d.table_id,
    RenameTableColumn: (d) => d.table_id,
  });

/** The table id a delta touches, with ids formed in the given default database. */
export const deltaTableIdIn = (delta: Delta, defaultDb: string): string =>
  deltaTableId(delta, (t) => tableId(t, defaultDb));
