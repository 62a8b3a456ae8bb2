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
  if (v instanceof OlapTable) return `\`${v.name}\``;
  if (typeof v === "number") return String(v);
  if (typeof v === "string") return v;
  return String(v);
};
