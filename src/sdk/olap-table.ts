/* eslint-disable @typescript-eslint/no-explicit-any -- moose-lib's permissive record and settings shapes */
import { TypedResource } from "./column";
import { ClickHouseEngines, type LifeCycle } from "./enums";
import { notAvailable, rejectNotAvailable } from "./inert";
import { declared, registry, type InjectedSchema } from "./registry";
import type { Insertable } from "./types";

export interface TableIndexConfig {
  name: string;
  expression: string;
  type: string;
  arguments?: string[];
  granularity?: number;
}

export interface TableProjection {
  name: string;
  body: string;
}

/** A table constraint: CHECK (validated on insert) or ASSUME (an optimizer hint). */
export interface TableConstraint {
  name: string;
  expression: string;
  type: "CHECK" | "ASSUME";
}

/** S3Queue settings (alterable with MODIFY SETTING). */
export interface S3QueueTableSettings {
  mode?: "ordered" | "unordered";
  after_processing?: "keep" | "delete";
  keeper_path?: string;
  loading_retries?: string;
  processing_threads_num?: string;
  parallel_inserts?: string;
  enable_logging_to_queue_log?: string;
  last_processed_path?: string;
  tracked_files_limit?: string;
  tracked_file_ttl_sec?: string;
  polling_min_timeout_ms?: string;
  polling_max_timeout_ms?: string;
  polling_backoff_ms?: string;
  cleanup_interval_min_ms?: string;
  cleanup_interval_max_ms?: string;
  buckets?: string;
  list_objects_batch_size?: string;
  enable_hash_ring_filtering?: string;
  max_processed_files_before_commit?: string;
  max_processed_rows_before_commit?: string;
  max_processed_bytes_before_commit?: string;
  max_processing_time_sec_before_commit?: string;
  use_persistent_processing_nodes?: string;
  persistent_processing_nodes_ttl_seconds?: string;
  [key: string]: string | undefined;
}

/**
 * An OlapTable's configuration. moose-lib types it as a union of per-engine configs; this is
 * the union of all their fields (every engine's options accepted, none required), which
 * every correct moose-lib config satisfies. The migration tool plans the MergeTree family.
 */
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
  columns?: string[];
  /** Collapsing engines' sign column. */
  sign?: keyof T & string;
  /** Replicated engines: Keeper path and replica name (both, or neither on ClickHouse Cloud). */
  keeperPath?: string;
  replicaName?: string;
  settings?: { [key: string]: string | number | undefined };
  ttl?: string;
  indexes?: TableIndexConfig[];
  projections?: TableProjection[];
  constraints?: TableConstraint[];
  lifeCycle?: LifeCycle;
  version?: string;
  database?: string;
  cluster?: string;
  metadata?: { description?: string; [key: string]: any };
  seedFilter?: { limit?: number; where?: string };
  // S3Queue / S3 / IcebergS3
  s3Path?: string;
  path?: string;
  format?: string;
  awsAccessKeyId?: string;
  awsSecretAccessKey?: string;
  compression?: string;
  headers?: { [key: string]: string };
  partitionStrategy?: string;
  partitionColumnsInDataFile?: string;
  // Buffer / Distributed
  targetDatabase?: string;
  targetTable?: string;
  numLayers?: number;
  minTime?: number;
  maxTime?: number;
  minRows?: number;
  maxRows?: number;
  minBytes?: number;
  maxBytes?: number;
  flushTime?: number;
  flushRows?: number;
  flushBytes?: number;
  shardingKey?: string;
  policyName?: string;
  // Kafka
  brokerList?: string;
  topicList?: string;
  groupName?: string;
  // Merge
  sourceDatabase?: string;
  tablesRegexp?: string;
}

export interface FailedRecord<T> {
  record: T;
  error: string;
  index?: number;
}
export interface InsertResult<T> {
  successful: number;
  failed: number;
  total: number;
  failedRecords?: FailedRecord<T>[];
}
export type ErrorStrategy = "fail-fast" | "discard" | "isolate";
export interface InsertOptions {
  allowErrors?: number;
  allowErrorsRatio?: number;
  strategy?: ErrorStrategy;
  deadLetterQueue?: boolean;
  validate?: boolean;
  skipValidationOnRetry?: boolean;
}
export interface RecordValidationError {
  record: any;
  error: string;
  index?: number;
  path?: string;
}
export interface ValidationResult<T> {
  valid: T[];
  invalid: RecordValidationError[];
  total: number;
}

/** A readable stream of rows (structural; `node:stream` Readable satisfies it). */
export interface ReadableLike {
  pipe: (...args: any[]) => any;
  on: (...args: any[]) => any;
}

/** `name`, plus `_<version>` with dots as underscores when versioned. */
export const versionedName = (name: string, version: string | undefined): string =>
  version ? `${name}_${version.replace(/\./g, "_")}` : name;

/** A ClickHouse table whose columns are the properties of `T`. */
export class OlapTable<T> extends TypedResource<T, OlapConfig<T>> {
  readonly kind = "OlapTable";

  constructor(name: string, config?: OlapConfig<T>, schema?: InjectedSchema) {
    // moose-lib fills in the MergeTree engine when none is given.
    const resolved: OlapConfig<T> =
      config && "engine" in config ? config : { ...config, engine: ClickHouseEngines.MergeTree };
    super(name, resolved, schema);
    registry().resources.push({ kind: "OlapTable", name, config: { ...resolved }, schema });
    const key = resolved.version ? `${name}_${resolved.version}` : name;
    const tables = declared("tables");
    if (!tables.has(key)) tables.set(key, this);
  }

  /** The ClickHouse table name: `name`, plus `_<version>` when versioned. */
  generateTableName(): string {
    return versionedName(this.name, this.config.version);
  }

  /** Same as generateTableName(). */
  get physicalName(): string {
    return this.generateTableName();
  }

  /** No client is ever opened while models load, so there is nothing to close. */
  closeClient(): Promise<void> {
    return Promise.resolve();
  }

  validateRecord(_record: unknown): { success: boolean; data?: T; errors?: string[] } {
    throw notAvailable("OlapTable.validateRecord");
  }

  isValidRecord(_record: unknown): _record is T {
    throw notAvailable("OlapTable.isValidRecord");
  }

  assertValidRecord(_record: unknown): T {
    throw notAvailable("OlapTable.assertValidRecord");
  }

  validateRecords(_data: unknown[]): Promise<ValidationResult<T>> {
    return rejectNotAvailable("OlapTable.validateRecords");
  }

  insert(
    _data: Insertable<T>[] | ReadableLike,
    _options?: InsertOptions,
  ): Promise<InsertResult<T>> {
    return rejectNotAvailable("OlapTable.insert");
  }
}
