import {
  emptyInfraMap,
  topicId,
  type Column,
  type InfraMap,
  type Table,
  type Topic,
} from "../../src/core/infra-map";

export const col = (name: string, extra: Partial<Column> = {}): Column => ({
  name,
  data_type: "String",
  required: true,
  unique: false,
  primary_key: false,
  default: null,
  annotations: [],
  ...extra,
});

export const table = (name: string, columns: Column[], extra: Partial<Table> = {}): Table => ({
  name,
  columns,
  order_by: [columns[0]!.name],
  engine: "MergeTree",
  version: null,
  source_primitive: { name, primitive_type: "DataModel" },
  metadata: null,
  life_cycle: "FULLY_MANAGED",
  indexes: [],
  projections: [],
  constraints: [],
  ...extra,
});

/** A map in database `db` holding the given tables under Moose's ids (`db_<name>`). */
export const mapOf = (...tables: Table[]): InfraMap => {
  const m = emptyInfraMap("db");
  for (const t of tables) m.tables[`db_${t.name}`] = t;
  return m;
};

/** A topic in Moose's JSON shape (defaults: 1 partition, 7 days, 1 MiB, fully managed). */
export const topic = (name: string, extra: Partial<Topic> = {}): Topic => ({
  name,
  version: null,
  partition_count: 1,
  retention_period: { secs: 604800, nanos: 0 },
  max_message_bytes: 1048576,
  columns: [col("id", { primary_key: true })],
  source_primitive: { name, primitive_type: "DataModel" },
  metadata: null,
  life_cycle: "FULLY_MANAGED",
  schema_config: null,
  ...extra,
});

/** A map in database `db` holding the given topics under their ids. */
export const topicsOf = (...topics: Topic[]): InfraMap => {
  const m = emptyInfraMap("db");
  for (const t of topics) m.topics[topicId(t)] = t;
  return m;
};
