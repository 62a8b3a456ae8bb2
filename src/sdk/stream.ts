/* eslint-disable @typescript-eslint/no-explicit-any -- moose-lib's routed messages and dead letters carry any record */
import { TypedResource } from "./column";
import type { LifeCycle } from "./enums";
import { rejectNotAvailable } from "./inert";
import type { OlapTable } from "./olap-table";
import { declared, registry, type InjectedColumn, type InjectedSchema } from "./registry";

/** None, one or many values (a transform returning null/undefined/[] drops the record). */
export type ZeroOrMany<T> = T | T[] | undefined | null;
export type SyncOrAsyncTransform<T, U> = (record: T) => ZeroOrMany<U> | Promise<ZeroOrMany<U>>;
export type Consumer<T> = (record: T) => Promise<void> | void;

export interface TransformConfig<T> {
  version?: string;
  metadata?: { description?: string };
  /** Where failed records go; the stream's defaultDeadLetterQueue unless given (null: none). */
  deadLetterQueue?: DeadLetterQueue<T> | null;
  sourceFile?: string;
}

export interface ConsumerConfig<T> {
  version?: string;
  deadLetterQueue?: DeadLetterQueue<T> | null;
  sourceFile?: string;
}

export type SchemaRegistryEncoding = "JSON" | "AVRO" | "PROTOBUF";
export type SchemaRegistryReference =
  { id: number } | { subjectLatest: string } | { subject: string; version: number };
export interface KafkaSchemaConfig {
  kind: SchemaRegistryEncoding;
  reference: SchemaRegistryReference;
}

/** Values routed to one destination by a multi-transform. */
export class RoutedMessage {
  destination: Stream<any>;
  values: ZeroOrMany<any>;
  constructor(destination: Stream<any>, values: ZeroOrMany<any>) {
    this.destination = destination;
    // eslint-disable-next-line @typescript-eslint/no-unsafe-assignment -- routed values are any record
    this.values = values;
  }
}

export interface StreamConfig<T> {
  /** Partitions of the topic. */
  parallelism?: number;
  /** Retention in seconds (Moose's default: 7 days). */
  retentionPeriod?: number;
  /** The table the stream's records are synced into. */
  destination?: OlapTable<T>;
  version?: string;
  metadata?: { description?: string };
  lifeCycle?: LifeCycle;
  /** Where failed transforms and consumers send records unless they name their own. */
  defaultDeadLetterQueue?: DeadLetterQueue<T>;
  /**
   * Accepted for configs written against older SDKs; moose-lib reads defaultDeadLetterQueue
   * (and each transform's or consumer's own deadLetterQueue).
   */
  deadLetterQueue?: DeadLetterQueue<T>;
  /** Schema Registry settings. */
  schemaConfig?: KafkaSchemaConfig;
}

/** A Kafka/Redpanda topic carrying records of type `T`. */
export class Stream<T> extends TypedResource<T, StreamConfig<T>> {
  readonly kind = "Stream";
  defaultDeadLetterQueue?: DeadLetterQueue<T>;
  /** Transforms by destination stream name: [destination, transform, config]. */
  _transformations = new Map<
    string,
    [Stream<any>, SyncOrAsyncTransform<T, any>, TransformConfig<T>][]
  >();
  _multipleTransformations?: (record: T) => [RoutedMessage];
  _consumers: { consumer: Consumer<T>; config: ConsumerConfig<T> }[] = [];
  /** Set on the stream an IngestPipeline creates. */
  declare pipelineParent?: unknown;

  constructor(name: string, config?: StreamConfig<T>, schema?: InjectedSchema) {
    const resolved = config ?? {};
    super(name, resolved, schema);
    registry().resources.push({ kind: "Stream", name, config: { ...resolved }, schema });
    const streams = declared("streams");
    if (!streams.has(name)) streams.set(name, this);
    this.defaultDeadLetterQueue = resolved.defaultDeadLetterQueue;
  }

  /** Adds a transform into `destination` (one per destination and version). */
  addTransform<U>(
    destination: Stream<U>,
    transformation: SyncOrAsyncTransform<T, U>,
    config?: TransformConfig<T>,
  ): void {
    const cfg: TransformConfig<T> = { ...(config ?? {}) };
    if (cfg.deadLetterQueue === undefined) cfg.deadLetterQueue = this.defaultDeadLetterQueue;
    const existing = this._transformations.get(destination.name);
    if (!existing) {
      this._transformations.set(destination.name, [[destination, transformation, cfg]]);
    } else if (!existing.some(([, , c]) => c.version === cfg.version)) {
      existing.push([destination, transformation, cfg]);
    }
  }

  /** Adds a consumer (one per version). */
  addConsumer(consumer: Consumer<T>, config?: ConsumerConfig<T>): void {
    const cfg: ConsumerConfig<T> = { ...(config ?? {}) };
    if (cfg.deadLetterQueue === undefined) cfg.deadLetterQueue = this.defaultDeadLetterQueue;
    if (!this._consumers.some((c) => c.config.version === cfg.version))
      this._consumers.push({ consumer, config: cfg });
  }

  /** Values for this stream, returned from a multi-transform. */
  routed = (values: ZeroOrMany<T>): RoutedMessage => new RoutedMessage(this, values);

  /** One transform routing each record to several streams (replaces a previous one). */
  addMultiTransform(transformation: (record: T) => [RoutedMessage]): void {
    this._multipleTransformations = transformation;
  }

  send(_values: ZeroOrMany<T>): Promise<void> {
    return rejectNotAvailable("Stream.send");
  }

  /** No producer is ever opened while models load, so there is nothing to close. */
  closeProducer(): Promise<void> {
    return Promise.resolve();
  }
}

/** A record that failed in an ingest API, a transform or a table insert. */
/*
 * The field comments below become ClickHouse column comments of an `OlapTable<DeadLetterModel>`,
 * so they are worded exactly as Moose's, which keeps such a table's state hash equal to Moose's.
 */
export interface DeadLetterModel {
  /** The original record that failed processing */
  originalRecord: Record<string, any>;
  /** Human-readable error message describing the failure */
  errorMessage: string;
  /** Classification of the error type (e.g., "ValidationError", "TransformError") */
  errorType: string;
  /** Timestamp when the failure occurred */
  failedAt: Date;
  /** The source component where the failure occurred */
  source: "api" | "transform" | "table";
}

/** A dead letter whose original record can be read back as `T`. */
export interface DeadLetter<T> extends DeadLetterModel {
  asTyped: () => T;
}

const dlqColumn = (name: string, data_type: string): InjectedColumn => ({
  name,
  data_type,
  required: true,
  unique: false,
  primary_key: false,
  default: null,
  annotations: [],
});

/** The columns Moose gives every dead-letter topic, whatever the queue's record type. */
export const DEAD_LETTER_COLUMNS: readonly InjectedColumn[] = [
  dlqColumn("originalRecord", "Json"),
  dlqColumn("errorMessage", "String"),
  dlqColumn("errorType", "String"),
  dlqColumn("failedAt", "DateTime"),
  dlqColumn("source", "String"),
];

/** The schema a dead-letter stream registers: fixed columns, declared where `schema` says. */
const deadLetterSchema = (schema: InjectedSchema | undefined): InjectedSchema =>
  ({
    columns: DEAD_LETTER_COLUMNS.map((c) => ({ ...c })),
    // Without the compile step's schema (not injected), where it is declared is unknown.
    sourceFile: schema?.sourceFile,
    typeName: "DeadLetterModel",
  }) as InjectedSchema;

const withAsTyped = <T>(record: DeadLetterModel): DeadLetter<T> =>
  Object.assign(record, { asTyped: () => record.originalRecord as T });

/** A stream of dead letters: a topic named `name` with Moose's dead-letter columns. */
export class DeadLetterQueue<T> extends Stream<DeadLetterModel> {
  constructor(name: string, config?: StreamConfig<DeadLetterModel>, schema?: InjectedSchema) {
    super(name, config ?? {}, deadLetterSchema(schema));
  }

  override addTransform<U>(
    destination: Stream<U>,
    transformation: SyncOrAsyncTransform<DeadLetter<T>, U>,
    config?: TransformConfig<DeadLetterModel>,
  ): void {
    super.addTransform(destination, (r) => transformation(withAsTyped<T>(r)), config);
  }

  override addConsumer(
    consumer: Consumer<DeadLetter<T>>,
    config?: ConsumerConfig<DeadLetterModel>,
  ): void {
    super.addConsumer((r) => consumer(withAsTyped<T>(r)), config);
  }

  override addMultiTransform(transformation: (record: DeadLetter<T>) => [RoutedMessage]): void {
    super.addMultiTransform((r) => transformation(withAsTyped<T>(r)));
  }
}
