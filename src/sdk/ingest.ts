import { TypedResource, injectedSchemaOf } from "./column";
import { ClickHouseEngines, type LifeCycle } from "./enums";
import { OlapTable, type OlapConfig } from "./olap-table";
import { declared, type InjectedSchema } from "./registry";
import { DeadLetterQueue, Stream, type DeadLetterModel, type StreamConfig } from "./stream";

export interface IngestConfig<T> {
  /** The stream the API writes to. */
  destination: Stream<T>;
  deadLetterQueue?: DeadLetterQueue<T>;
  version?: string;
  /** A custom HTTP path. */
  path?: string;
  metadata?: { description?: string };
}

/** An HTTP ingest endpoint writing into a stream (served by Moose, inert here). */
export class IngestApi<T> extends TypedResource<T, IngestConfig<T>> {
  /** Set on the API an IngestPipeline creates. */
  declare pipelineParent?: unknown;

  constructor(name: string, config?: IngestConfig<T>, schema?: InjectedSchema) {
    super(name, config as IngestConfig<T>, schema);
    const apis = declared("ingestApis");
    if (!apis.has(name)) apis.set(name, this);
  }
}

export interface IngestPipelineConfig<T> {
  /** The table: `true` (defaults), a config, or `false`. */
  table?: boolean | OlapConfig<T>;
  /** The stream (synced into the table when there is one). */
  stream?: boolean | Omit<StreamConfig<T>, "destination">;
  /** The ingest API (needs the stream). */
  ingestApi?: boolean | Omit<IngestConfig<T>, "destination">;
  /** @deprecated Use ingestApi. */
  ingest?: boolean | Omit<IngestConfig<T>, "destination">;
  /** A dead-letter stream `<name>DeadLetterQueue`: `true` or its config. */
  deadLetterQueue?: boolean | StreamConfig<DeadLetterModel>;
  /** Version of every part (overrides the parts' own). */
  version?: string;
  /** The ingest API's HTTP path. */
  path?: string;
  metadata?: { description?: string };
  /** Lifecycle of every part that does not set its own. */
  lifeCycle?: LifeCycle;
}

/**
 * A table, a stream feeding it, a dead-letter stream and an ingest API under one name, built
 * as moose-lib builds them (same names, configs and order: table, dead-letter queue, stream,
 * API), so the topics Moose creates implicitly are planned too.
 */
export class IngestPipeline<T> extends TypedResource<T, IngestPipelineConfig<T>> {
  table?: OlapTable<T>;
  stream?: Stream<T>;
  ingestApi?: IngestApi<T>;
  deadLetterQueue?: DeadLetterQueue<T>;

  constructor(name: string, config: IngestPipelineConfig<T>, schema?: InjectedSchema) {
    super(name, config, schema);
    const injected = injectedSchemaOf(this);
    const version = config.version ? { version: config.version } : {};
    if (config.ingest !== undefined && config.ingestApi === undefined)
      config.ingestApi = config.ingest;

    if (config.table) {
      if (typeof config.table === "object" && config.table.engine === ClickHouseEngines.Merge)
        throw new Error(
          `IngestPipeline "${name}": Merge engine is read-only and cannot be used as a table destination.`,
        );
      const tableConfig: OlapConfig<T> =
        typeof config.table === "object"
          ? {
              ...config.table,
              lifeCycle: config.table.lifeCycle ?? config.lifeCycle,
              ...version,
            }
          : { lifeCycle: config.lifeCycle, engine: ClickHouseEngines.MergeTree, ...version };
      this.table = new OlapTable<T>(name, tableConfig, injected);
    }

    if (config.deadLetterQueue) {
      // An object is spread as the queue's config (as moose-lib does, even for a queue object).
      const dlq = config.deadLetterQueue;
      const dlqConfig: StreamConfig<DeadLetterModel> = {
        destination: undefined,
        ...(typeof dlq === "object"
          ? { ...dlq, lifeCycle: dlq.lifeCycle ?? config.lifeCycle }
          : { lifeCycle: config.lifeCycle }),
        ...version,
      };
      this.deadLetterQueue = new DeadLetterQueue<T>(`${name}DeadLetterQueue`, dlqConfig, injected);
    }

    if (config.stream) {
      const streamConfig: StreamConfig<T> = {
        destination: this.table,
        defaultDeadLetterQueue: this.deadLetterQueue,
        ...(typeof config.stream === "object"
          ? { ...config.stream, lifeCycle: config.stream.lifeCycle ?? config.lifeCycle }
          : { lifeCycle: config.lifeCycle }),
        ...version,
      };
      this.stream = new Stream<T>(name, streamConfig, injected);
      this.stream.pipelineParent = this;
    }

    const api = config.ingestApi;
    // moose-lib refuses an API without the stream; the API is not part of the migration plan,
    // so here it is just not created.
    if (api && this.stream) {
      const apiConfig: IngestConfig<T> = {
        destination: this.stream,
        deadLetterQueue: this.deadLetterQueue,
        ...(typeof api === "object" ? api : {}),
        ...version,
        ...(config.path ? { path: config.path } : {}),
      };
      this.ingestApi = new IngestApi<T>(name, apiConfig, injected);
      this.ingestApi.pipelineParent = this;
    }
  }
}
