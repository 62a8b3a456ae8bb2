import { emptyInfraMap, type Column, type InfraMap, type Table } from "../../src/core/infra-map";

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
