/**
 * The infrastructure map in Moose's JSON shape (see test/fixtures/moose-golden/*
 * /infrastructure_map.json). Field names and optional-field presence follow Moose exactly,
 * because the state hash is computed over this JSON: absent optional fields stay absent.
 */
export type LifeCycle = "FULLY_MANAGED" | "DELETION_PROTECTED" | "EXTERNALLY_MANAGED";

export interface EnumMember {
  name: string;
  value: { String: string } | { Int: number };
}
export interface EnumType {
  name: string;
  values: EnumMember[];
}
export interface ArrayType {
  elementType: DataType;
  elementNullable: boolean;
}
export interface MapType {
  keyType: DataType;
  valueType: DataType;
}
export interface NestedType {
  name: string;
  columns: Column[];
  jwt: boolean;
}
export interface NamedTupleType {
  fields: [string, DataType][];
}
export interface JsonType {
  typed_paths: [string, DataType][];
  skip_paths: string[];
  skip_regexps: string[];
  max_dynamic_paths?: number;
  max_dynamic_types?: number;
}
export interface NullableType {
  nullable: DataType;
}
/** Scalars are plain strings (`String`, `Int32`, `DateTime(3)`, `Decimal(10, 2)`, ...). */
export type DataType =
  string | EnumType | ArrayType | MapType | NestedType | NamedTupleType | JsonType | NullableType;

export type Annotation = [string, unknown];

export interface Column {
  name: string;
  data_type: DataType;
  required: boolean;
  unique: boolean;
  primary_key: boolean;
  default: string | null;
  annotations: Annotation[];
  comment?: string;
  ttl?: string;
  codec?: string;
  materialized?: string;
  alias?: string;
}

export type EngineName =
  | "MergeTree"
  | "ReplacingMergeTree"
  | "SummingMergeTree"
  | "AggregatingMergeTree"
  | "CollapsingMergeTree"
  | "VersionedCollapsingMergeTree"
  | "ReplicatedMergeTree"
  | "ReplicatedReplacingMergeTree"
  | "ReplicatedSummingMergeTree"
  | "ReplicatedAggregatingMergeTree"
  | "ReplicatedCollapsingMergeTree"
  | "ReplicatedVersionedCollapsingMergeTree";

/** Where replicated engines keep their replica metadata (both unset on ClickHouse Cloud). */
export interface ReplicaParams {
  keeper_path: string | null;
  replica_name: string | null;
}

/**
 * Moose serializes parameterless engines as a bare string and parameterised ones as an
 * externally tagged map (`{ReplacingMergeTree: {ver, is_deleted}}`).
 */
export type Engine =
  | "MergeTree"
  | "AggregatingMergeTree"
  | { ReplacingMergeTree: { ver: string | null; is_deleted: string | null } }
  | { SummingMergeTree: { columns: string[] | null } }
  | { CollapsingMergeTree: { sign: string } }
  | { VersionedCollapsingMergeTree: { sign: string; version: string } }
  | { ReplicatedMergeTree: ReplicaParams }
  | { ReplicatedAggregatingMergeTree: ReplicaParams }
  | {
      ReplicatedReplacingMergeTree: ReplicaParams & {
        ver: string | null;
        is_deleted: string | null;
      };
    }
  | { ReplicatedSummingMergeTree: ReplicaParams & { columns: string[] | null } }
  | { ReplicatedCollapsingMergeTree: ReplicaParams & { sign: string } }
  | { ReplicatedVersionedCollapsingMergeTree: ReplicaParams & { sign: string; version: string } };

export interface TableIndex {
  name: string;
  expression: string;
  type: string;
  arguments: string[];
  granularity: number;
}
export interface TableProjection {
  name: string;
  body: string;
}

export interface Table {
  name: string;
  columns: Column[];
  /** A list of column names, or one ORDER BY expression. */
  order_by: string[] | string;
  partition_by?: string;
  sample_by?: string;
  engine: Engine;
  version: string | null;
  source_primitive: { name: string; primitive_type: string };
  metadata: { description: string | null; source?: { file: string } } | null;
  life_cycle: LifeCycle;
  engine_params_hash?: string;
  table_settings_hash?: string;
  table_settings?: Record<string, string>;
  indexes: TableIndex[];
  projections: TableProjection[];
  constraints: unknown[];
  database?: string;
  table_ttl_setting?: string;
  cluster_name?: string;
  primary_key_expression?: string;
}

export interface ResourceMetadata {
  description: string | null;
  source?: { file: string };
}

/** A plain view (Moose's `View`, camelCase fields). */
export interface View {
  name: string;
  database?: string;
  selectSql: string;
  /** Tables the SELECT reads, as Moose writes them (`` `Sale` `` or `` `db`.`Sale` ``). */
  sourceTables: string[];
  metadata?: ResourceMetadata;
}

/** A materialized view writing into a target table (Moose's `MaterializedView`). */
export interface MaterializedView {
  name: string;
  database?: string;
  selectSql: string;
  sourceTables: string[];
  targetTable: string;
  targetDatabase?: string;
  metadata?: ResourceMetadata;
  lifeCycle: LifeCycle;
}

/** A Kafka/Redpanda topic in Moose's JSON shape (`infrastructure_map.json` → `topics`). */
export interface Topic {
  name: string;
  version: string | null;
  partition_count: number;
  retention_period: { secs: number; nanos: number };
  max_message_bytes: number;
  columns: Column[];
  source_primitive: { name: string; primitive_type: string };
  metadata: ResourceMetadata | null;
  life_cycle: LifeCycle;
  schema_config: unknown;
}

/** Moose's topic id: `name`, plus `_<version>` when versioned. */
export const topicId = (topic: Pick<Topic, "name" | "version">): string =>
  topic.version === null ? topic.name : `${topic.name}_${versionSuffix(topic.version)}`;

/** The OLAP part of the map that the state hash covers, plus what the tool itself needs. */
export interface InfraMap {
  default_database: string;
  tables: Record<string, Table>;
  views: Record<string, View>;
  materialized_views: Record<string, MaterializedView>;
  dmv1_views: Record<string, unknown>;
  sql_resources: Record<string, unknown>;
  select_row_policies: Record<string, unknown>;
  olap_dictionaries: Record<string, unknown>;
  /** Topics keyed by id; outside the OLAP state hash (they have their own stream hash). */
  topics: Record<string, Topic>;
}

export const emptyInfraMap = (defaultDatabase: string): InfraMap => ({
  default_database: defaultDatabase,
  tables: {},
  views: {},
  materialized_views: {},
  dmv1_views: {},
  sql_resources: {},
  select_row_policies: {},
  olap_dictionaries: {},
  topics: {},
});

/** Physical name suffix of a versioned resource: `1.0` -> `1_0`. */
export const versionSuffix = (version: string): string => version.replace(/\./g, "_");

/**
 * Moose's table id: `<database>_<name>`, plus `_<version>` when versioned. `name` already
 * carries the version suffix for versioned tables, so the suffix appears twice
 * (`verdb_Ver_1_0_1_0`): that is the reference tool's key format and our files must match it.
 */
export const tableId = (table: Pick<Table, "name" | "database" | "version">, defaultDb: string) =>
  `${table.database ?? defaultDb}_${table.name}` +
  (table.version === null ? "" : `_${versionSuffix(table.version)}`);

export const tableDatabase = (table: Pick<Table, "database">, defaultDb: string): string =>
  table.database ?? defaultDb;

export const engineName = (engine: Engine): EngineName =>
  typeof engine === "string" ? engine : (Object.keys(engine)[0] as EngineName);

/** Map key of a view or materialized view: its name, prefixed by a non-default database. */
export const viewId = (view: Pick<View, "name" | "database">): string =>
  view.database === undefined ? view.name : `${view.database}_${view.name}`;

export const cloneMap = (map: InfraMap): InfraMap => structuredClone(map);

/** `Bar`, or `db.Bar` for an object outside the default database: how users name objects. */
export const userFacingName = (
  o: { name: string; database?: string | undefined },
  defaultDb: string,
): string => (o.database && o.database !== defaultDb ? `${o.database}.${o.name}` : o.name);

/**
 * Maps internal table ids (`local_Bar`) to the names users write, from the states given (the
 * first that knows the id wins); an unknown id is returned as it is.
 */
export const tableNamer = (...maps: readonly InfraMap[]): ((id: string) => string) => {
  return (id) => {
    for (const m of maps) {
      const t = m.tables[id];
      if (t) return userFacingName(t, m.default_database);
    }
    return id;
  };
};
