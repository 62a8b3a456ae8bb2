import { recreateReasons } from "./diff";
import {
  tableId,
  topicId,
  viewId,
  type Column,
  type MaterializedView,
  type Table,
  type TableIndex,
  type TableProjection,
  type Topic,
  type View,
} from "./infra-map";

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

export interface ModifyTableSettingsDelta {
  type: "ModifyTableSettings";
  table_id: string;
  before: Record<string, string>;
  after: Record<string, string>;
}
export interface ModifyTableTtlDelta {
  type: "ModifyTableTtl";
  table_id: string;
  before: string | null;
  after: string | null;
}
export interface AddTableIndexDelta {
  type: "AddTableIndex";
  table_id: string;
  index: TableIndex;
}
export interface DropTableIndexDelta {
  type: "DropTableIndex";
  table_id: string;
  index_name: string;
}
export interface AddTableProjectionDelta {
  type: "AddTableProjection";
  table_id: string;
  projection: TableProjection;
}
export interface DropTableProjectionDelta {
  type: "DropTableProjection";
  table_id: string;
  projection_name: string;
}
export interface ModifySampleByDelta {
  type: "ModifySampleBy";
  table_id: string;
  expression: string;
}
export interface RemoveSampleByDelta {
  type: "RemoveSampleBy";
  table_id: string;
}
export interface CreateViewDelta {
  type: "CreateView";
  view: View;
}
export interface DropViewDelta {
  type: "DropView";
  view: View;
}
export interface CreateMaterializedViewDelta {
  type: "CreateMaterializedView";
  mv: MaterializedView;
}
export interface DropMaterializedViewDelta {
  type: "DropMaterializedView";
  mv: MaterializedView;
  policy?: DestructivePolicy;
}
/** Copies rows into a new table version; runs on apply, leaves the state unchanged. */
export interface BackfillTableDelta {
  type: "BackfillTable";
  source_table: string;
  target_table: string;
  columns: string[];
  sql: string;
}
/** Hand-written statements (data fixes, backfills); runs on apply, leaves the state unchanged. */
export interface RawSqlDelta {
  type: "RawSql";
  sql: string[];
  description: string;
}

/** Ours (DESIGN §1.3): a Kafka/Redpanda topic created from a stream. */
export interface CreateTopicDelta {
  type: "CreateTopic";
  topic: Topic;
}
/** Deletes a topic by id (the namespace prefix is configuration, not state). */
export interface DeleteTopicDelta {
  type: "DeleteTopic";
  topic_id: string;
  policy?: DestructivePolicy;
}
/** Partitions grow and managed configs change; a schema-only change touches no broker. */
export interface UpdateTopicDelta {
  type: "UpdateTopic";
  before: Topic;
  after: Topic;
}

export type Delta =
  | CreateTableDelta
  | DropTableDelta
  | RecreateTableDelta
  | AddTableColumnDelta
  | DropTableColumnDelta
  | ModifyTableColumnDelta
  | RenameTableColumnDelta
  | ModifyTableSettingsDelta
  | ModifyTableTtlDelta
  | AddTableIndexDelta
  | DropTableIndexDelta
  | AddTableProjectionDelta
  | DropTableProjectionDelta
  | ModifySampleByDelta
  | RemoveSampleByDelta
  | CreateViewDelta
  | DropViewDelta
  | CreateMaterializedViewDelta
  | DropMaterializedViewDelta
  | BackfillTableDelta
  | RawSqlDelta
  | CreateTopicDelta
  | DeleteTopicDelta
  | UpdateTopicDelta;

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
  "ModifyTableSettings",
  "ModifyTableTtl",
  "AddTableIndex",
  "DropTableIndex",
  "AddTableProjection",
  "DropTableProjection",
  "ModifySampleBy",
  "RemoveSampleBy",
  "CreateView",
  "DropView",
  "CreateMaterializedView",
  "DropMaterializedView",
  "BackfillTable",
  "RawSql",
  "CreateTopic",
  "DeleteTopic",
  "UpdateTopic",
] satisfies DeltaType[];

/** Deltas applied to Kafka rather than ClickHouse. */
export const isTopicDelta = (
  delta: Delta,
): delta is CreateTopicDelta | DeleteTopicDelta | UpdateTopicDelta =>
  delta.type === "CreateTopic" || delta.type === "DeleteTopic" || delta.type === "UpdateTopic";

/**
 * Human description printed while applying and in previews (Moose's wording, with tables named
 * as users name them when `nameOf` knows the internal id).
 */
export const describeDelta = (
  delta: Delta,
  nameOf: (tableId: string) => string = (id) => id,
): string => {
  const n = (id: string) => nameOf(id);
  return dispatchDelta<string>(delta, {
    CreateTable: (d) => `Create table '${d.table.name}'`,
    DropTable: (d) => `Drop table '${d.table.name}'`,
    RecreateTable: (d) => `Recreate table '${d.after.name}'`,
    AddTableColumn: (d) => `Add column '${d.column.name}' to '${n(d.table_id)}'`,
    DropTableColumn: (d) => `Drop column '${d.column_name}' from '${n(d.table_id)}'`,
    ModifyTableColumn: (d) =>
      `Modify column '${d.after_column.name}' in '${n(d.table_id)}'${typeChange(d.before_column, d.after_column)}`,
    RenameTableColumn: (d) =>
      `Rename column '${d.before_name}' to '${d.after_name}' in '${n(d.table_id)}'`,
    ModifyTableSettings: (d) => `Modify settings for table '${n(d.table_id)}'`,
    ModifyTableTtl: (d) =>
      d.after === null
        ? `Remove table TTL from '${n(d.table_id)}'`
        : `Modify table TTL for '${n(d.table_id)}'`,
    AddTableIndex: (d) => `Add index '${d.index.name}' to table '${n(d.table_id)}'`,
    DropTableIndex: (d) => `Drop index '${d.index_name}' from table '${n(d.table_id)}'`,
    AddTableProjection: (d) => `Add projection '${d.projection.name}' to table '${n(d.table_id)}'`,
    DropTableProjection: (d) =>
      `Drop projection '${d.projection_name}' from table '${n(d.table_id)}'`,
    ModifySampleBy: (d) => `Modify SAMPLE BY to '${d.expression}' for table '${n(d.table_id)}'`,
    RemoveSampleBy: (d) => `Remove SAMPLE BY from table '${n(d.table_id)}'`,
    CreateView: (d) => `Create view '${d.view.name}'`,
    DropView: (d) => `Drop view '${d.view.name}'`,
    CreateMaterializedView: (d) => `Create materialized view '${d.mv.name}'`,
    DropMaterializedView: (d) => `Drop materialized view '${d.mv.name}'`,
    BackfillTable: (d) => `Backfill '${d.target_table}' from '${d.source_table}'`,
    RawSql: (d) => d.description || `Run ${d.sql.length} SQL statement(s)`,
    CreateTopic: (d) =>
      `Create topic '${topicId(d.topic)}' (${d.topic.partition_count} partition(s))`,
    DeleteTopic: (d) => `Delete topic '${d.topic_id}'`,
    UpdateTopic: (d) => `Update topic '${topicId(d.after)}'${topicChangeText(d)}`,
  });
};

/** ` (Float64 → Int32)` when a modified column's type changes (scalar types only). */
const typeChange = (before: Column, after: Column): string => {
  const text = (c: Column) =>
    typeof c.data_type === "string"
      ? c.required
        ? c.data_type
        : `Nullable(${c.data_type})`
      : undefined;
  const [a, b] = [text(before), text(after)];
  return a !== undefined && b !== undefined && a !== b ? ` (${a} → ${b})` : "";
};

const topicChangeText = (d: UpdateTopicDelta): string => {
  const parts: string[] = [];
  if (d.before.partition_count !== d.after.partition_count)
    parts.push(`partitions ${d.before.partition_count} -> ${d.after.partition_count}`);
  if (d.before.retention_period.secs !== d.after.retention_period.secs)
    parts.push(`retention ${d.before.retention_period.secs}s -> ${d.after.retention_period.secs}s`);
  if (d.before.max_message_bytes !== d.after.max_message_bytes)
    parts.push(`max message bytes ${d.before.max_message_bytes} -> ${d.after.max_message_bytes}`);
  return parts.length === 0 ? " (recorded state only)" : `: ${parts.join(", ")}`;
};

/**
 * Destructive deltas lose data and need an explicit decision. Returns the summary line Moose
 * prints for each (`DROP TABLE \`t\``…), or null when the delta is safe.
 */
export const destructiveSummary = (
  delta: Delta,
  nameOf: (tableId: string) => string = (id) => id,
): string | null =>
  dispatchDelta<string | null>(delta, {
    CreateTable: () => null,
    DropTable: (d) => `DROP TABLE \`${d.table.name}\``,
    // Moose's line, with why and what happens to the rows (they are copied: runtime/recreate-table.ts).
    RecreateTable: (d) =>
      `DROP + RECREATE \`${d.after.name}\` (schema change requires drop + recreate: ${[...recreateReasons(d.before, d.after), "rows are copied into the new table"].join("; ")})`,
    AddTableColumn: () => null,
    DropTableColumn: (d) => `DROP COLUMN \`${d.column_name}\` FROM \`${nameOf(d.table_id)}\``,
    ModifyTableColumn: () => null,
    RenameTableColumn: () => null,
    ModifyTableSettings: () => null,
    ModifyTableTtl: () => null,
    AddTableIndex: () => null,
    DropTableIndex: () => null,
    AddTableProjection: () => null,
    DropTableProjection: () => null,
    ModifySampleBy: () => null,
    RemoveSampleBy: () => null,
    CreateView: () => null,
    // A plain view holds no data: it is dropped and created again freely.
    DropView: () => null,
    CreateMaterializedView: () => null,
    DropMaterializedView: (d) => `DROP MATERIALIZED VIEW \`${d.mv.name}\``,
    BackfillTable: () => null,
    RawSql: () => null,
    CreateTopic: () => null,
    DeleteTopic: (d) => `DELETE TOPIC \`${d.topic_id}\` (its messages are lost)`,
    UpdateTopic: () => null,
  });

/** The policy Moose records on approved table drops and recreates (other deltas carry none). */
export const withPolicy = (delta: Delta, approvedAt: string): Delta => {
  // A decision already recorded (e.g. a version bump's drop) is kept as it is.
  if ("policy" in delta && delta.policy !== undefined) return delta;
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
    case "DropMaterializedView":
      return {
        ...delta,
        policy: {
          description: `User confirmed: DROP MATERIALIZED VIEW '${delta.mv.name}'`,
          approved_at: approvedAt,
        },
      };
    case "DeleteTopic":
      return {
        ...delta,
        policy: {
          description: `User confirmed: DELETE TOPIC '${delta.topic_id}'`,
          approved_at: approvedAt,
        },
      };
    default:
      return delta;
  }
};

/**
 * The resource a delta touches (used for conflicts, ordering and reports): a table id, a view
 * id, or for RawSql its description.
 */
export const deltaTableId = (delta: Delta, idOf: (t: Table) => string): string =>
  dispatchDelta<string>(delta, {
    CreateTable: (d) => idOf(d.table),
    DropTable: (d) => idOf(d.table),
    RecreateTable: (d) => idOf(d.after),
    AddTableColumn: (d) => d.table_id,
    DropTableColumn: (d) => d.table_id,
    ModifyTableColumn: (d) => d.table_id,
    RenameTableColumn: (d) => d.table_id,
    ModifyTableSettings: (d) => d.table_id,
    ModifyTableTtl: (d) => d.table_id,
    AddTableIndex: (d) => d.table_id,
    DropTableIndex: (d) => d.table_id,
    AddTableProjection: (d) => d.table_id,
    DropTableProjection: (d) => d.table_id,
    ModifySampleBy: (d) => d.table_id,
    RemoveSampleBy: (d) => d.table_id,
    CreateView: (d) => viewId(d.view),
    DropView: (d) => viewId(d.view),
    CreateMaterializedView: (d) => viewId(d.mv),
    DropMaterializedView: (d) => viewId(d.mv),
    BackfillTable: (d) => d.target_table,
    RawSql: (d) => `sql:${d.description}`,
    CreateTopic: (d) => `topic:${topicId(d.topic)}`,
    DeleteTopic: (d) => `topic:${d.topic_id}`,
    UpdateTopic: (d) => `topic:${topicId(d.after)}`,
  });

/** The table id a delta touches, with ids formed in the given default database. */
export const deltaTableIdIn = (delta: Delta, defaultDb: string): string =>
  deltaTableId(delta, (t) => tableId(t, defaultDb));
