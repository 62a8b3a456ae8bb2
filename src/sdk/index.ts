/**
 * The public model API (Moose's TypeScript SDK surface). User code imports
 * `@514labs/moose-lib`; the model loader resolves that import to this module.
 */
import { registry, type InjectedSchema } from "./registry";

export * from "./types";

export enum LifeCycle {
  FULLY_MANAGED = "FULLY_MANAGED",
  DELETION_PROTECTED = "DELETION_PROTECTED",
  EXTERNALLY_MANAGED = "EXTERNALLY_MANAGED",
}

export enum ClickHouseEngines {
  MergeTree = "MergeTree",
  ReplacingMergeTree = "ReplacingMergeTree",
  SummingMergeTree = "SummingMergeTree",
  AggregatingMergeTree = "AggregatingMergeTree",
  CollapsingMergeTree = "CollapsingMergeTree",
  VersionedCollapsingMergeTree = "VersionedCollapsingMergeTree",
  ReplicatedMergeTree = "ReplicatedMergeTree",
  ReplicatedReplacingMergeTree = "ReplicatedReplacingMergeTree",
  ReplicatedSummingMergeTree = "ReplicatedSummingMergeTree",
  ReplicatedAggregatingMergeTree = "ReplicatedAggregatingMergeTree",
  ReplicatedCollapsingMergeTree = "ReplicatedCollapsingMergeTree",
  ReplicatedVersionedCollapsingMergeTree = "ReplicatedVersionedCollapsingMergeTree",
}

export interface TableIndexConfig {
  name: string;
  expression: string;
  type: string;
  arguments?: string[];
  granularity?: number;
}

export interface OlapConfig<T> {
  orderByFields?: (keyof T & string)[];
  orderByExpression?: string;
  partitionBy?: string;
  sampleByExpression?: string;
  primaryKeyExpression?: string;
  engine?: ClickHouseEngines;
  /** ReplacingMergeTree / VersionedCollapsingMergeTree version column. */
  ver?: keyof T & string;
  /** ReplacingMergeTree is-deleted column. */
  isDeleted?: keyof T & string;
  /** SummingMergeTree columns to sum. */
  columns?: (keyof T & string)[];
  /** Collapsing engines' sign column. */
  sign?: keyof T & string;
  /** Replicated engines: Keeper path and replica name (both, or neither on ClickHouse Cloud). */
  keeperPath?: string;
  replicaName?: string;
  settings?: Record<string, string | number>;
  ttl?: string;
  indexes?: TableIndexConfig[];
  projections?: { name: string; body: string }[];
  lifeCycle?: LifeCycle;
  version?: string;
  database?: string;
  cluster?: string;
  metadata?: { description?: string };
  seedFilter?: { limit?: number; where?: string };
}

export class OlapTable<T> {
  readonly name: string;
  readonly config: OlapConfig<T>;

  constructor(name: string, config?: OlapConfig<T>, schema?: InjectedSchema) {
    this.name = name;
    this.config = config ?? {};
    registry().resources.push({ kind: "OlapTable", name, config: { ...this.config }, schema });
  }

  /** The ClickHouse table name: `name`, plus `_<version>` when versioned. */
  get physicalName(): string {
    return this.config.version
      ? `${this.name}_${this.config.version.replace(/\./g, "_")}`
      : this.name;
  }
}

export interface StreamConfig<T> {
  parallelism?: number;
  retentionPeriod?: number;
  destination?: OlapTable<T>;
  version?: string;
  lifeCycle?: LifeCycle;
  metadata?: { description?: string };
}

export class Stream<T> {
  readonly name: string;
  readonly config: StreamConfig<T>;

  constructor(name: string, config?: StreamConfig<T>, schema?: InjectedSchema) {
    this.name = name;
    this.config = config ?? {};
    registry().resources.push({ kind: "Stream", name, config: { ...this.config }, schema });
  }
}

export interface IngestPipelineConfig<T> {
  table?: boolean | OlapConfig<T>;
  stream?: boolean | Omit<StreamConfig<T>, "destination">;
  ingestApi?: boolean | Record<string, unknown>;
  ingest?: boolean | Record<string, unknown>;
  deadLetterQueue?: boolean | Record<string, unknown>;
  version?: string;
  lifeCycle?: LifeCycle;
  metadata?: { description?: string };
}

/** A table plus the stream feeding it; the API part is not a migration concern. */
export class IngestPipeline<T> {
  readonly table?: OlapTable<T>;
  readonly stream?: Stream<T>;

  constructor(name: string, config: IngestPipelineConfig<T>, schema?: InjectedSchema) {
    const shared = { version: config.version, lifeCycle: config.lifeCycle };
    if (config.table) {
      const tableConfig = config.table === true ? {} : config.table;
      this.table = new OlapTable<T>(name, { ...clean(shared), ...tableConfig }, schema);
    }
    if (config.stream) {
      const streamConfig = config.stream === true ? {} : config.stream;
      this.stream = new Stream<T>(
        name,
        { ...clean(shared), ...streamConfig, destination: this.table },
        schema,
      );
    }
  }
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- any row type may be read
type AnyTable = OlapTable<any> | View;

/** A table (or view) a SELECT reads, as Moose records it: `` `t` `` or `` `db`.`t` ``. */
const tableReference = (t: AnyTable): string => {
  const database = t instanceof OlapTable ? t.config.database : undefined;
  const name = t instanceof OlapTable ? t.physicalName : t.name;
  return database ? `\`${database}\`.\`${name}\`` : `\`${name}\``;
};

export interface ViewConfig {
  selectStatement: string;
  baseTables: AnyTable[];
  metadata?: { description?: string };
}

/** A plain view: `new View(name, { selectStatement, baseTables })` (or the older positional form). */
export class View {
  readonly name: string;
  constructor(
    name: string,
    selectOrConfig: string | ViewConfig,
    baseTables?: AnyTable[],
    schema?: InjectedSchema,
  ) {
    this.name = name;
    const config: ViewConfig =
      typeof selectOrConfig === "string"
        ? { selectStatement: selectOrConfig, baseTables: baseTables ?? [] }
        : selectOrConfig;
    registry().resources.push({
      kind: "View",
      name,
      selectStatement: String(config.selectStatement),
      sourceTables: (config.baseTables ?? []).map(tableReference),
      metadata: config.metadata,
      sourceFile: schema?.sourceFile,
    });
  }
}

export interface MaterializedViewConfig<T> {
  materializedViewName: string;
  selectStatement: string;
  selectTables: AnyTable[];
  /** The table the view writes into: an OlapTable, or the config of one to create. */
  targetTable?:
    OlapTable<T> | ({ name: string } & Omit<OlapConfig<T>, "lifeCycle" | "version" | "database">);
  /** @deprecated Use targetTable. */
  tableName?: string;
  /** @deprecated Use targetTable. */
  engine?: ClickHouseEngines;
  /** @deprecated Use targetTable. */
  orderByFields?: (keyof T & string)[];
  lifeCycle?: LifeCycle;
  metadata?: { description?: string };
}

/** `CREATE MATERIALIZED VIEW … TO <target> AS <select>`; the target table is a regular OlapTable. */
export class MaterializedView<T> {
  readonly name: string;
  readonly targetTable: OlapTable<T>;
  constructor(options: MaterializedViewConfig<T>, schema?: InjectedSchema) {
    this.name = options.materializedViewName;
    const target = options.targetTable;
    if (target instanceof OlapTable) {
      this.targetTable = target;
    } else {
      const name = target?.name ?? options.tableName;
      if (!name) throw new Error("Name of targetTable is not specified.");
      const config: Record<string, unknown> = { ...(target ?? {}) };
      delete config.name;
      this.targetTable = new OlapTable<T>(
        name,
        {
          ...clean({ engine: options.engine, orderByFields: options.orderByFields }),
          ...config,
        },
        schema,
      );
    }
    if (this.targetTable.name === this.name)
      throw new Error("Materialized view name cannot be the same as the target table name.");
    registry().resources.push({
      kind: "MaterializedView",
      name: this.name,
      selectStatement: String(options.selectStatement),
      sourceTables: (options.selectTables ?? []).map(tableReference),
      targetTable: this.targetTable.physicalName,
      targetDatabase: this.targetTable.config.database,
      lifeCycle: options.lifeCycle,
      metadata: options.metadata,
      sourceFile: schema?.sourceFile,
    });
  }
}

const clean = <O extends object>(o: O): Partial<O> =>
  Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<O>;

/** Resources the migration tool does not manage load quietly and do nothing. */
export class Api<T = unknown, R = unknown> {
  constructor(
    readonly name: string,
    readonly handler?: (params: T) => R,
    readonly config?: unknown,
  ) {}
}
export class ConsumptionApi<T = unknown, R = unknown> extends Api<T, R> {}
export class Workflow {
  constructor(
    readonly name: string,
    readonly config?: unknown,
  ) {}
}
export class Task<I = unknown, O = unknown> {
  constructor(
    readonly name: string,
    readonly config?: { run?: (input: I) => O } & Record<string, unknown>,
  ) {}
}

/** Tagged SQL template (enough for models that build SQL strings). */
export const sql = (strings: TemplateStringsArray, ...values: unknown[]): string =>
  strings.reduce((acc, s, i) => acc + s + (i < values.length ? renderSqlValue(values[i]) : ""), "");

const renderSqlValue = (v: unknown): string => {
  if (v instanceof OlapTable) return `\`${v.physicalName}\``;
  if (v instanceof View) return `\`${v.name}\``;
  if (typeof v === "number") return String(v);
  if (typeof v === "string") return v;
  return String(v);
};
