import { MooseError } from "../errors";
import {
  ENGINE_NAMES,
  ENGINE_PARAMS,
  isEngineName,
  isReplicated,
  makeEngine,
} from "../core/engines";
import { withDerivedHashes } from "../core/hash";
import { infraMapSqlFindings, MODEL_FIELDS } from "../core/infra-sql-guard";
import { describeFindings, type SqlFinding } from "../core/model-sql-guard";
import {
  emptyInfraMap,
  tableId,
  versionSuffix,
  type Column,
  type Engine,
  type InfraMap,
  topicId,
  viewId,
  type LifeCycle,
  type MaterializedView,
  type ResourceMetadata,
  type Table,
  type Topic,
  type View,
} from "../core/infra-map";
import type {
  RegisteredMaterializedView,
  RegisteredResource,
  RegisteredStream,
  RegisteredTable,
  RegisteredView,
} from "../sdk/registry";

/** Settings Moose adds to every MergeTree-family table so they match what ClickHouse reports. */
const IMPLICIT_SETTINGS: Record<string, string> = {
  index_granularity: "8192",
  index_granularity_bytes: "10485760",
  enable_mixed_granularity_parts: "1",
};

const invalid = (table: string, message: string, hint: string) =>
  new MooseError("MODEL_INVALID", `OlapTable ${table}: ${message}`, { hint });

const str = (v: unknown): string | undefined => (typeof v === "string" && v !== "" ? v : undefined);

/** SDK config key of each engine parameter (Moose's field names are snake_case). */
const CONFIG_KEY: Record<string, string> = {
  keeper_path: "keeperPath",
  replica_name: "replicaName",
  ver: "ver",
  is_deleted: "isDeleted",
  columns: "columns",
  sign: "sign",
  version: "ver",
};

const engineFromConfig = (r: RegisteredTable, columns: Column[]): Engine => {
  const c = r.config;
  const engine = str(c.engine) ?? "MergeTree";
  if (!isEngineName(engine))
    throw invalid(
      r.name,
      `engine '${engine}' is not supported`,
      `Supported: ${ENGINE_NAMES.join(", ")}.`,
    );
  const known = (name: string, key: string): string => {
    if (!columns.some((col) => col.name === name))
      throw invalid(
        r.name,
        `${key} '${name}' is not a column`,
        `Columns: ${columns.map((col) => col.name).join(", ")}`,
      );
    return name;
  };
  const params: Record<string, string | string[] | null> = {};
  for (const p of ENGINE_PARAMS[engine]) {
    const key = CONFIG_KEY[p.field] ?? p.field;
    const value = c[key];
    if (p.kind === "columns") {
      const cols = Array.isArray(value) ? (value as unknown[]).map(String) : [];
      params[p.field] = cols.length > 0 ? cols.map((n) => known(n, key)) : null;
    } else if (str(value) === undefined) {
      if (!p.optional)
        throw invalid(
          r.name,
          `engine ${engine} needs '${key}'`,
          `Set ${key}: "<column>" in the table config.`,
        );
      params[p.field] = null;
    } else {
      params[p.field] = p.kind === "column" ? known(str(value)!, key) : str(value)!;
    }
  }
  if (isReplicated(engine) && (params.keeper_path === null) !== (params.replica_name === null))
    throw invalid(
      r.name,
      "keeperPath and replicaName must be given together",
      "Set both (self-managed ClickHouse) or neither (ClickHouse Cloud).",
    );
  if (isReplicated(engine) && str(c.cluster) !== undefined && params.keeper_path !== null)
    throw invalid(
      r.name,
      "cannot combine cluster with keeperPath/replicaName",
      "With ON CLUSTER, leave keeperPath and replicaName unset so ClickHouse uses its defaults.",
    );
  return makeEngine(engine, params);
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
    // ClickHouse requires the primary key (the Key<> columns) to be a prefix of ORDER BY;
    // caught here, it is a model error at generate instead of a failed CREATE at migrate.
    const keys = columns.filter((col) => col.primary_key).map((col) => col.name);
    if (
      str(c.primaryKeyExpression) === undefined &&
      names.length > 0 &&
      keys.length > 0 &&
      keys.some((k, i) => names[i] !== k)
    )
      throw invalid(
        r.name,
        `the primary key (Key<> columns: ${keys.join(", ")}) must be a prefix of orderByFields (${names.join(", ")})`,
        `Start orderByFields with ${keys.join(", ")} (e.g. orderByFields: [${[...keys, ...names.filter((n) => !keys.includes(n))].map((n) => JSON.stringify(n)).join(", ")}]), or drop Key<> from the columns that should not lead the sorting key.`,
      );
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
    engine: engineFromConfig(r, columns),
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

const metadataOf = (
  description: string | undefined,
  sourceFile: string | undefined,
): ResourceMetadata => ({
  description: str(description) ?? null,
  ...(sourceFile !== undefined ? { source: { file: sourceFile } } : {}),
});

const addView = (map: InfraMap, r: RegisteredView | RegisteredMaterializedView): void => {
  const duplicate = () =>
    new MooseError("MODEL_INVALID", `${r.kind} with name ${r.name} already exists`, {
      hint: "Each view and materialized view name may be declared once.",
    });
  if (r.selectStatement.trim() === "")
    throw new MooseError("MODEL_INVALID", `${r.kind} ${r.name}: selectStatement is empty`, {
      hint: "Give the SELECT the view runs.",
    });
  if (r.kind === "View") {
    const view: View = {
      name: r.name,
      ...(r.database !== undefined ? { database: r.database } : {}),
      selectSql: r.selectStatement,
      sourceTables: r.sourceTables,
      metadata: metadataOf(r.metadata?.description, r.sourceFile),
    };
    if (map.views[viewId(view)] || map.materialized_views[viewId(view)]) throw duplicate();
    map.views[viewId(view)] = view;
    return;
  }
  const lifeCycle = (str(r.lifeCycle) ?? "FULLY_MANAGED") as LifeCycle;
  if (!LIFECYCLES.includes(lifeCycle))
    throw new MooseError(
      "MODEL_INVALID",
      `MaterializedView ${r.name}: unknown lifeCycle '${lifeCycle}'`,
      {
        hint: `Use LifeCycle.${LIFECYCLES.join(" / LifeCycle.")}.`,
      },
    );
  const mv: MaterializedView = {
    name: r.name,
    selectSql: r.selectStatement,
    sourceTables: r.sourceTables,
    targetTable: r.targetTable,
    ...(r.targetDatabase !== undefined ? { targetDatabase: r.targetDatabase } : {}),
    metadata: metadataOf(r.metadata?.description, r.sourceFile),
    lifeCycle,
  };
  if (map.materialized_views[viewId(mv)] || map.views[viewId(mv)]) throw duplicate();
  map.materialized_views[viewId(mv)] = mv;
};

/** Moose's default retention: 7 days. */
const DEFAULT_RETENTION_SECS = 604_800;
/** Moose fixes `max.message.bytes` at 1 MiB. */
const MAX_MESSAGE_BYTES = 1_048_576;

const addTopic = (map: InfraMap, r: RegisteredStream): void => {
  const c = r.config;
  const invalidStream = (message: string, hint: string) =>
    new MooseError("MODEL_INVALID", `Stream ${r.name}: ${message}`, { hint });
  const partitions = c.parallelism ?? 1;
  if (typeof partitions !== "number" || !Number.isInteger(partitions) || partitions < 1)
    throw invalidStream(
      `parallelism must be a whole number of partitions, at least 1; found ${JSON.stringify(partitions)}`,
      "Partition count cannot be 0. Set parallelism: 1 or more.",
    );
  const retention = c.retentionPeriod ?? DEFAULT_RETENTION_SECS;
  if (typeof retention !== "number" || !Number.isInteger(retention) || retention < 0)
    throw invalidStream(
      `retentionPeriod must be whole seconds; found ${JSON.stringify(retention)}`,
      "Example: retentionPeriod: 3 * 24 * 3600 (3 days).",
    );
  const lifeCycle = (str(c.lifeCycle) ?? "FULLY_MANAGED") as LifeCycle;
  if (!LIFECYCLES.includes(lifeCycle))
    throw invalidStream(
      `unknown lifeCycle '${lifeCycle}'`,
      `Use LifeCycle.${LIFECYCLES.join(" / LifeCycle.")}.`,
    );
  const topic: Topic = {
    name: r.name,
    version: str(c.version) ?? null,
    partition_count: partitions,
    retention_period: { secs: retention, nanos: 0 },
    max_message_bytes: MAX_MESSAGE_BYTES,
    columns: (r.schema?.columns ?? []) as unknown as Column[],
    source_primitive: { name: r.name, primitive_type: "DataModel" },
    metadata: metadataOf(
      (c.metadata as { description?: string } | undefined)?.description,
      r.schema?.sourceFile,
    ),
    life_cycle: lifeCycle,
    schema_config: null,
  };
  const id = topicId(topic);
  if (map.topics[id])
    throw invalidStream(
      `a stream with id ${id} already exists`,
      "Each stream name (and version) may be declared once.",
    );
  map.topics[id] = topic;
};

/** The desired state declared by the code. */
/**
 * Moose's engines outside the MergeTree family. The tool does not manage them yet: a table using
 * one is left out of planning (and reported), so the rest of the project still migrates.
 */
const UNMANAGED_ENGINES = new Set([
  "S3Queue",
  "S3",
  "Buffer",
  "Distributed",
  "IcebergS3",
  "Kafka",
  "Merge",
]);

/** A declared resource the tool leaves out of planning, and why. */
export interface SkippedResource {
  name: string;
  reason: string;
}

export const infraMapFromResources = (
  resources: readonly RegisteredResource[],
  defaultDatabase: string,
  onSkip: (s: SkippedResource) => void = () => undefined,
): InfraMap => {
  const map = emptyInfraMap(defaultDatabase);
  for (const r of resources) {
    if (r.kind === "OlapTable" && UNMANAGED_ENGINES.has(String(r.config.engine))) {
      onSkip({
        name: r.name,
        reason: `engine ${String(r.config.engine)} is not managed by this tool yet: the table is left out of migrations (create and change it by hand)`,
      });
      continue;
    }
    if (r.kind === "View" || r.kind === "MaterializedView") {
      addView(map, r);
      continue;
    }
    if (r.kind === "Stream") {
      addTopic(map, r);
      continue;
    }
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
  const findings = infraMapSqlFindings(map, MODEL_FIELDS);
  if (findings.length > 0) throw modelSqlError(findings);
  return map;
};

/**
 * The model's SQL text that cannot be spliced into a statement safely (a second statement, a
 * comment, a clause of its own): refused before anything is planned, checked or run.
 */
export const modelSqlError = (findings: readonly SqlFinding[]): MooseError =>
  new MooseError(
    "MODEL_SQL_INVALID",
    `The model's SQL text must be exactly one expression (or one SELECT) where it is used:\n${describeFindings(findings)}`,
    {
      hint: "Fix the text in the model: one expression per field, no `;`, no comments (-- # // /* */), balanced parentheses; a view's selectStatement is one SELECT without `;`, FORMAT or INTO OUTFILE; setting names are plain identifiers. Quote a column whose name is a keyword with backticks.",
      details: { findings },
    },
  );
