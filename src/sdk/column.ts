/* eslint-disable @typescript-eslint/no-explicit-any -- moose-lib's permissive public shapes (annotations, metadata) */
/**
 * Columns as user code sees them (`table.columns.amount`, `table.columnArray`), and the base
 * every typed resource shares. The columns are the ones the model loader's compile step
 * injects (read from the row type by the type checker), completed with moose-lib's `null`s.
 */
import type { InjectedColumn, InjectedSchema } from "./registry";
import type { IdentifierBrandedString } from "./sql";

type EnumValues =
  { name: string; value: { Int: number } }[] | { name: string; value: { String: string } }[];

/** A column type in Moose's JSON form. */
export type DataType =
  | string
  | { name: string; values: EnumValues }
  | { elementType: DataType; elementNullable: boolean }
  | { name: string; columns: Column[]; jwt: boolean }
  | { fields: Array<[string, DataType]> }
  | { keyType: DataType; valueType: DataType }
  | {
      max_dynamic_paths?: number;
      max_dynamic_types?: number;
      typed_paths?: Array<[string, DataType]>;
      skip_paths?: string[];
      skip_regexps?: string[];
    }
  | { nullable: DataType };

/** One column of a table, stream or API: what the `sql` tag renders as `` `name` ``. */
export interface Column {
  name: IdentifierBrandedString;
  data_type: DataType;
  required: boolean;
  unique: false;
  primary_key: boolean;
  default: string | null;
  materialized: string | null;
  alias: string | null;
  ttl: string | null;
  codec: string | null;
  annotations: [string, any][];
  comment: string | null;
}

/** typia validators moose-lib's compiler plugin injects (never present here). */
export interface TypiaValidators<T> {
  validate?: (data: unknown) => { success: boolean; data?: T; errors?: any[] };
  assert?: (data: unknown) => T;
  is?: (data: unknown) => data is T;
}

/** The JSON-schema collection moose-lib keeps per resource (an empty one here). */
export interface JsonSchemaCollection {
  version: "3.1";
  components: { schemas?: Record<string, any> };
  schemas: any[];
}

const emptySchema = (): JsonSchemaCollection => ({
  version: "3.1",
  components: { schemas: {} },
  schemas: [],
});

/** The optional column fields moose-lib sets to `null` when absent, in its order. */
const NULLABLE_FIELDS = ["materialized", "alias", "ttl", "codec", "comment"] as const;

/**
 * The injected column completed to moose-lib's shape (a copy: the registry keeps its own).
 * Written as assignments to a copy: the equivalent `{ ...c, materialized: …, … }` literal hits a
 * slow path in V8 (about 20 µs per column, a quarter of a warm reload of 200 tables).
 */
export const toColumn = (c: InjectedColumn): Column => {
  const column: Record<string, unknown> = Object.assign({}, c);
  for (const field of NULLABLE_FIELDS) column[field] = c[field] ?? null;
  return column as unknown as Column;
};

/** The injected schema of each resource, kept off the objects so spreading them stays clean. */
const injectedSchemas = new WeakMap<object, InjectedSchema>();

export const injectedSchemaOf = (o: object): InjectedSchema | undefined => injectedSchemas.get(o);

export const isInjectedSchema = (v: unknown): v is InjectedSchema =>
  typeof v === "object" &&
  v !== null &&
  Array.isArray((v as InjectedSchema).columns) &&
  typeof (v as InjectedSchema).sourceFile === "string" &&
  typeof (v as InjectedSchema).typeName === "string";

/**
 * What OlapTable, Stream, IngestApi, IngestPipeline and Api share: a name, a config, the
 * columns of the row type, and metadata (`config.metadata` plus where it was declared).
 */
export class TypedResource<T, C> {
  schema: JsonSchemaCollection;
  name: string;
  columns: { [columnName in keyof Required<T>]: Column };
  columnArray: Column[];
  config: C;
  validators?: TypiaValidators<T>;
  metadata: { [key: string]: any };
  allowExtraFields: boolean;

  constructor(name: string, config: C, injected?: InjectedSchema) {
    this.schema = emptySchema();
    this.name = name;
    this.config = config;
    this.columnArray = (injected?.columns ?? []).map(toColumn);
    const byName: Record<string, Column> = {};
    for (const c of this.columnArray) byName[c.name] = c;
    this.columns = byName as { [columnName in keyof Required<T>]: Column };
    this.validators = undefined;
    this.allowExtraFields = false;
    const meta = (config as { metadata?: Record<string, any> } | undefined)?.metadata;
    this.metadata = meta ? { ...meta } : {};
    if (!this.metadata.source && injected?.sourceFile)
      this.metadata.source = { file: injected.sourceFile };
    if (injected) injectedSchemas.set(this, injected);
  }
}
