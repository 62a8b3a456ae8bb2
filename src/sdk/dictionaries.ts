/* eslint-disable @typescript-eslint/no-explicit-any -- moose-lib's "any row type" tables and metadata */
/**
 * ClickHouse dictionaries. Moose manages them; the migration tool does not plan them yet, so an
 * OlapDictionary is recorded for getOlapDictionaries() (moose-lib's config checks are left to
 * Moose) and usable in `sql` (`dict.get(…)` renders `dictGet(…)`).
 */
import { toColumn, type Column } from "./column";
import type { LifeCycle } from "./enums";
import type { OlapTable } from "./olap-table";
import { declared, type InjectedSchema } from "./registry";
import { sql, toStaticQuery, type Sql } from "./sql";
import type { View } from "./views";

export interface DictionaryColumnConfig {
  defaultValue?: string;
  expression?: string;
  isInjective?: boolean;
  isHierarchical?: boolean;
  isObjectId?: boolean;
  comment?: string;
}

export type DictionaryLayout =
  | { type: "FLAT" }
  | { type: "HASHED"; initialArraySize?: number; maxLoadFactor?: number }
  | { type: "SPARSE_HASHED"; initialArraySize?: number; maxLoadFactor?: number }
  | { type: "HASHED_ARRAY"; shards?: number }
  | { type: "RANGE_HASHED"; rangeLookupStrategy?: string }
  | { type: "CACHE"; sizeInCells: number; maxThreadsForUpdates?: number }
  | {
      type: "SSD_CACHE";
      path: string;
      blockSize?: number;
      fileSize?: number;
      readBufferSize?: number;
      writeBufferSize?: number;
      maxStoredKeys?: number;
    }
  | { type: "DIRECT" }
  | { type: "IP_TRIE"; accessToKeyFromAttributes?: boolean }
  | { type: "COMPLEX_KEY_HASHED"; initialArraySize?: number; maxLoadFactor?: number }
  | { type: "COMPLEX_KEY_SPARSE_HASHED"; initialArraySize?: number; maxLoadFactor?: number }
  | { type: "COMPLEX_KEY_HASHED_ARRAY"; shards?: number }
  | { type: "COMPLEX_KEY_CACHE"; sizeInCells: number; maxThreadsForUpdates?: number }
  | {
      type: "COMPLEX_KEY_SSD_CACHE";
      path: string;
      blockSize?: number;
      fileSize?: number;
      readBufferSize?: number;
      writeBufferSize?: number;
      maxStoredKeys?: number;
    }
  | { type: "COMPLEX_KEY_DIRECT" };

type LayoutType = DictionaryLayout["type"];

/** Layouts whose key may be of any type and span several columns. */
export const COMPLEX_KEY_LAYOUTS: Set<LayoutType> = new Set<LayoutType>([
  "COMPLEX_KEY_HASHED",
  "COMPLEX_KEY_SPARSE_HASHED",
  "COMPLEX_KEY_HASHED_ARRAY",
  "COMPLEX_KEY_CACHE",
  "COMPLEX_KEY_SSD_CACHE",
  "COMPLEX_KEY_DIRECT",
]);

/** `0`: static; `N`: reload every N seconds; `{ min, max }`: reload at a random interval. */
export type DictionaryLifetime = number | { min: number; max: number };

export interface HttpExternalSource {
  type: "http";
  url: string;
  format: string;
  method?: string;
  whereClause?: string;
}
interface DatabaseSource {
  host: string;
  port: number;
  user: string;
  password: string;
  db: string;
  table: string;
  query?: string;
  whereClause?: string;
  invalidateQuery?: string;
}
export interface ClickHouseExternalSource extends DatabaseSource {
  type: "clickhouse";
}
export interface MysqlExternalSource extends DatabaseSource {
  type: "mysql";
}
export interface PostgresqlExternalSource extends DatabaseSource {
  type: "postgresql";
}
export interface RedisExternalSource {
  type: "redis";
  host: string;
  port: number;
  password?: string;
  dbIndex?: number;
  storageType: string;
}
export interface MongodbExternalSource {
  type: "mongodb";
  host: string;
  port: number;
  user: string;
  password: string;
  db: string;
  collection: string;
}
export interface ExecutableExternalSource {
  type: "executable";
  command: string;
  format: string;
  implicitKey?: boolean;
}
export interface S3ExternalSource {
  type: "s3";
  url: string;
  format: string;
  accessKeyId?: string;
  secretAccessKey?: string;
}
export type ExternalSource =
  | HttpExternalSource
  | ClickHouseExternalSource
  | MysqlExternalSource
  | PostgresqlExternalSource
  | RedisExternalSource
  | MongodbExternalSource
  | ExecutableExternalSource
  | S3ExternalSource;

/** Exactly one of sourceTable, sourceQuery (with sourceTables) or externalSource. */
export interface OlapDictionaryConfig<T> {
  sourceTable?: OlapTable<any> | View;
  sourceQuery?: Sql;
  sourceTables?: (OlapTable<any> | View)[];
  externalSource?: ExternalSource;
  primaryKey: (keyof T & string)[];
  columns?: Partial<Record<keyof T & string, DictionaryColumnConfig>>;
  layout: DictionaryLayout;
  lifetime: DictionaryLifetime;
  database?: string;
  clusterName?: string;
  invalidateQuery?: string;
  settings?: Record<string, string>;
  comment?: string;
  lifeCycle?: LifeCycle;
  metadata?: { description?: string; [key: string]: any };
}

/** One dictionary attribute as moose-lib serializes it. */
export interface DictionaryColumnJson {
  name: string;
  typeString: string;
  defaultValue?: string;
  expression?: string;
  isInjective?: boolean;
  isHierarchical?: boolean;
  isObjectId?: boolean;
  comment?: string;
}

const quoteText = (s: string): string => s.replace(/'/g, "''");

/** A dictionary with columns `T`, for fast key lookups from SQL. */
export class OlapDictionary<T> {
  readonly kind = "OlapDictionary";
  readonly name: string;
  readonly config: OlapDictionaryConfig<T>;
  readonly _columns: Column[];
  readonly serializedColumns: DictionaryColumnJson[];

  constructor(name: string, config: OlapDictionaryConfig<T>, schema?: InjectedSchema) {
    this.name = name;
    this.config = config;
    this._columns = (schema?.columns ?? []).map(toColumn);
    this.serializedColumns = this._columns.map((c) => {
      const over: DictionaryColumnConfig =
        (config.columns as Record<string, DictionaryColumnConfig> | undefined)?.[c.name] ?? {};
      return {
        name: c.name,
        typeString: typeof c.data_type === "string" ? c.data_type : JSON.stringify(c.data_type),
        ...Object.fromEntries(Object.entries(over).filter(([, v]) => v !== undefined)),
      };
    });
    const dictionaries = declared("olapDictionaries");
    if (!dictionaries.has(name)) dictionaries.set(name, this);
  }

  /** `database.name`, or `name`. */
  getQualifiedName(): string {
    return this.config.database ? `${this.config.database}.${this.name}` : this.name;
  }

  /** Key arguments: column names quoted, numbers as literals, `sql` as its static text. */
  private keyArgs(keys: Array<Sql | string | number>): string {
    if (keys.length !== this.config.primaryKey.length)
      throw new Error(
        `OlapDictionary '${this.name}': expected ${this.config.primaryKey.length} key argument(s) but got ${keys.length}.`,
      );
    const parts = keys.map((k) =>
      typeof k === "object"
        ? toStaticQuery(k)
        : typeof k === "string"
          ? `\`${k.replace(/`/g, "``")}\``
          : String(k),
    );
    return parts.length === 1 ? parts[0]! : `(${parts.join(", ")})`;
  }

  /** `dictGet('dict', 'attr', key)`. */
  get(attr: keyof T & string, ...keys: Array<Sql | string | number>): Sql {
    if (!keys.length)
      throw new Error(`OlapDictionary.get('${attr}'): at least one key argument is required.`);
    return sql.raw(
      `dictGet('${quoteText(this.getQualifiedName())}', '${quoteText(attr)}', ${this.keyArgs(keys)})`,
    );
  }

  /** `dictGetOrDefault('dict', 'attr', key, default)`. */
  getOrDefault(
    attr: keyof T & string,
    defaultVal: Sql | string | number,
    ...keys: Array<Sql | string | number>
  ): Sql {
    if (!keys.length)
      throw new Error(
        `OlapDictionary.getOrDefault('${attr}'): at least one key argument is required.`,
      );
    const fallback =
      typeof defaultVal === "object"
        ? toStaticQuery(defaultVal)
        : typeof defaultVal === "string"
          ? `'${quoteText(defaultVal)}'`
          : String(defaultVal);
    return sql.raw(
      `dictGetOrDefault('${quoteText(this.getQualifiedName())}', '${quoteText(attr)}', ${this.keyArgs(keys)}, ${fallback})`,
    );
  }

  /** `dictHas('dict', key)`. */
  has(...keys: Array<Sql | string | number>): Sql {
    if (!keys.length)
      throw new Error(`OlapDictionary.has(): at least one key argument is required.`);
    return sql.raw(`dictHas('${quoteText(this.getQualifiedName())}', ${this.keyArgs(keys)})`);
  }

  /** The dictionary as Moose's CLI reads it (the migration tool does not plan dictionaries). */
  toJson(): Record<string, unknown> {
    return {
      name: this.name,
      primaryKey: this.config.primaryKey,
      columns: this.serializedColumns,
      layout: this.config.layout,
      lifetime: this.config.lifetime,
      settings: this.config.settings ?? {},
      lifeCycle: this.config.lifeCycle ?? "FULLY_MANAGED",
      ...(this.config.database !== undefined ? { database: this.config.database } : {}),
    };
  }
}
