import { MooseError } from "../errors";
import { withDerivedHashes } from "../core/hash";
import {
  emptyInfraMap,
  tableId,
  versionSuffix,
  type Column,
  type Engine,
  type InfraMap,
  type LifeCycle,
  type Table,
} from "../core/infra-map";
import type { RegisteredResource, RegisteredTable } from "../sdk/registry";

/** Settings Moose adds to every MergeTree-family table so they match what ClickHouse reports. */
const IMPLICIT_SETTINGS: Record<string, string> = {
  index_granularity: "8192",
  index_granularity_bytes: "10485760",
  enable_mixed_granularity_parts: "1",
};

const invalid = (table: string, message: string, hint: string) =>
  new MooseError("MODEL_INVALID", `OlapTable ${table}: ${message}`, { hint });

const str = (v: unknown): string | undefined => (typeof v === "string" && v !== "" ? v : undefined);

const engineOf = (r: RegisteredTable, columns: Column[]): Engine => {
  const c = r.config;
  const engine = str(c.engine) ?? "MergeTree";
  const column = (key: string, required: boolean): string | null => {
    const name = str(c[key]);
    if (name === undefined) {
      if (required)
        throw invalid(
          r.name,
          `engine ${engine} needs '${key}'`,
          `Set ${key}: "<column>" in the table config.`,
        );
      return null;
    }
    if (!columns.some((col) => col.name === name)) {
      throw invalid(
        r.name,
        `${key} '${name}' is not a column`,
        `Columns: ${columns.map((col) => col.name).join(", ")}`,
      );
    }
    return name;
  };
  switch (engine) {
    case "MergeTree":
    case "AggregatingMergeTree":
      return engine;
    case "ReplacingMergeTree":
      return {
        ReplacingMergeTree: { ver: column("ver", false), is_deleted: column("isDeleted", false) },
      };
    case "SummingMergeTree": {
      const cols = Array.isArray(c.columns) ? (c.columns as string[]) : null;
      return { SummingMergeTree: { columns: cols && cols.length > 0 ? cols : null } };
    }
    case "CollapsingMergeTree":
      return { CollapsingMergeTree: { sign: column("sign", true)! } };
    case "VersionedCollapsingMergeTree":
      return {
        VersionedCollapsingMergeTree: { sign: column("sign", true)!, ver: column("ver", true)! },
      };
    default:
      throw invalid(
        r.name,
        `engine '${engine}' is not supported yet`,
        "Supported: MergeTree, ReplacingMergeTree, SummingMergeTree, AggregatingMergeTree, CollapsingMergeTree, VersionedCollapsingMergeTree.",
      );
  }
};

const LIFECYCLES: readonly LifeCycle[] = [
  "FULLY_MANAGED",
  "DELETION_PROTECTED",
  "EXTERNALLY_MANAGED",
];

export const tableFromRegistration = (r: RegisteredTable): Table => {
  if (!r.schema)
    throw invalid(
      r.name,
      "was created without a row type",
      "Declare it as new OlapTable<Row>(name, config).",
    );
  const c = r.config;
  const columns = r.schema.columns as unknown as Column[];
  const version = str(c.version) ?? null;
  if (c.orderByFields !== undefined && c.orderByExpression !== undefined) {
    throw invalid(
      r.name,
      "Provide either orderByFields or orderByExpression, not both.",
      "Remove one of the two.",
    );
  }
  let order_by: string[] | string = [];
  if (Array.isArray(c.orderByFields)) {
    const names = c.orderByFields as string[];
    const unknown = names.filter((n) => !columns.some((col) => col.name === n));
    if (unknown.length > 0)
      throw invalid(
        r.name,
        `orderByFields names unknown column(s) ${unknown.join(", ")}`,
        `Columns: ${columns.map((col) => col.name).join(", ")}`,
      );
    order_by = names;
  } else if (str(c.orderByExpression) !== undefined) {
    order_by = str(c.orderByExpression)!;
  }
  const lifeCycle = (str(c.lifeCycle) ?? "FULLY_MANAGED") as LifeCycle;
  if (!LIFECYCLES.includes(lifeCycle))
    throw invalid(
      r.name,
      `unknown lifeCycle '${lifeCycle}'`,
      `Use LifeCycle.${LIFECYCLES.join(" / LifeCycle.")}.`,
    );
  const settings: Record<string, string> = { ...IMPLICIT_SETTINGS };
  for (const [k, v] of Object.entries((c.settings as Record<string, unknown> | undefined) ?? {}))
    settings[k] = String(v);
  const indexes = ((c.indexes as Record<string, unknown>[] | undefined) ?? []).map((i) => ({
    name: String(i.name),
    expression: String(i.expression),
    type: String(i.type),
    arguments: ((i.arguments as unknown[] | undefined) ?? []).map(String),
    granularity: typeof i.granularity === "number" ? i.granularity : 1,
  }));
  const projections = ((c.projections as Record<string, unknown>[] | undefined) ?? []).map((p) => ({
    name: String(p.name),
    body: String(p.body),
  }));
  const description =
    str((c.metadata as { description?: unknown } | undefined)?.description) ?? null;
  const table: Table = {
    name: version === null ? r.name : `${r.name}_${versionSuffix(version)}`,
    columns,
    order_by,
    engine: engineOf(r, columns),
    version,
    source_primitive: { name: r.name, primitive_type: "DataModel" },
    metadata: { description, source: { file: r.schema.sourceFile } },
    life_cycle: lifeCycle,
    table_settings: settings,
    indexes,
    projections,
    constraints: [],
  };
  if (str(c.partitionBy)) table.partition_by = str(c.partitionBy)!;
  if (str(c.sampleByExpression)) table.sample_by = str(c.sampleByExpression)!;
  if (str(c.database)) table.database = str(c.database)!;
  if (str(c.ttl)) table.table_ttl_setting = str(c.ttl)!;
  if (str(c.cluster)) table.cluster_name = str(c.cluster)!;
  if (str(c.primaryKeyExpression)) table.primary_key_expression = str(c.primaryKeyExpression)!;
  return withDerivedHashes(table);
};

/** The desired state declared by the code. */
export const infraMapFromResources = (
  resources: readonly RegisteredResource[],
  defaultDatabase: string,
): InfraMap => {
  const map = emptyInfraMap(defaultDatabase);
  for (const r of resources) {
    if (r.kind !== "OlapTable") continue;
    const table = tableFromRegistration(r);
    const id = tableId(table, defaultDatabase);
    if (map.tables[id]) {
      throw new MooseError(
        "MODEL_INVALID",
        `OlapTable with name ${r.name}${table.version ? ` and version ${table.version}` : ""} already exists`,
        {
          hint: "Each table name (and version) may be declared once.",
        },
      );
    }
    map.tables[id] = table;
  }
  return map;
};
