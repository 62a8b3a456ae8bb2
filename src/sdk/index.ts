/**
 * The public model API: a superset of `@514labs/moose-lib` (0.6.533) — its index, `/testing`
 * and `/browserCompatible` entry points all resolve here. User code imports
 * `@514labs/moose-lib`; the model loader resolves that import to this module.
 *
 * Managed resources (OlapTable, Stream, DeadLetterQueue, IngestPipeline, View,
 * MaterializedView) record themselves for the migration plan. Everything else loads and
 * constructs without side effects; what needs a running Moose fails only when called.
 */
export * from "./types";
export * from "./enums";
export type { Column, DataType, JsonSchemaCollection, TypiaValidators } from "./column";
export {
  Sql,
  sql,
  toStaticQuery,
  toQuery,
  toQueryPreview,
  quoteIdentifier,
  createClickhouseParameter,
  getValueFromParameter,
  mapToClickHouseType,
  type SqlTemplateTag,
  type Value,
  type RawValue,
  type IdentifierBrandedString,
  type NonIdentifierBrandedString,
} from "./sql";
export {
  OlapTable,
  type OlapConfig,
  type TableIndexConfig,
  type TableProjection,
  type TableConstraint,
  type S3QueueTableSettings,
  type InsertOptions,
  type InsertResult,
  type FailedRecord,
  type ErrorStrategy,
  type RecordValidationError,
  type ValidationResult,
  type ReadableLike,
} from "./olap-table";
export {
  Stream,
  DeadLetterQueue,
  RoutedMessage,
  type StreamConfig,
  type DeadLetterModel,
  type DeadLetter,
  type TransformConfig,
  type ConsumerConfig,
  type ZeroOrMany,
  type SyncOrAsyncTransform,
  type Consumer,
  type KafkaSchemaConfig,
  type SchemaRegistryEncoding,
  type SchemaRegistryReference,
} from "./stream";
export { IngestApi, IngestPipeline, type IngestConfig, type IngestPipelineConfig } from "./ingest";
export {
  View,
  MaterializedView,
  SqlResource,
  type ViewConfig,
  type MaterializedViewConfig,
  type SelectSource,
  type SqlObject,
} from "./views";
export * from "./dictionaries";
export * from "./row-policies";
export * from "./workflows";
export * from "./apis";
export * from "./clients";
export * from "./utils";
export * from "./query-builder";
export * from "./lookups";
export * from "./testing";
