/* eslint-disable @typescript-eslint/no-explicit-any -- moose-lib's parsing helpers return any rows */
/**
 * moose-lib's utility exports: constants with their real values, pure helpers implemented,
 * logging as no-ops (models load silently), and runtime-only helpers (Kafka, ClickHouse
 * clients, the file system) that fail with a clear message when called.
 */
import { notAvailable, rejectNotAvailable } from "./inert";
import type { ReadableLike } from "./olap-table";

export const MAX_RETRIES = 150;
export const MAX_RETRY_TIME_MS = 1000;
export const RETRY_INITIAL_TIME_MS = 100;
export const MAX_RETRIES_PRODUCER = 150;
export const RETRY_FACTOR_PRODUCER = 0.2;
export const ACKs = -1;

export type CliLogData = {
  message_type?: "Info" | "Success" | "Warning" | "Error" | "Highlight";
  action: string;
  message: string;
};

/** A no-op here (Moose prints it as a structured log line). */
export const cliLog = (_log: CliLogData): void => {};
/** A no-op here (Moose prints it unless MOOSE_DISABLE_COMPILER_LOGS). */
export const compilerLog = (_message: string): void => {};

export interface Logger {
  logPrefix: string;
  log: (message: string) => void;
  error: (message: string) => void;
  warn: (message: string) => void;
}
/** A no-op here (Moose writes the message and stack to the logger). */
export const logError = (_logger: Logger, _e: Error): void => {};

/** `path` with a query string that defeats module caches. */
export const antiCachePath = (path: string): string =>
  `${path}?num=${Math.random().toString()}&time=${Date.now()}`;

/** The base name of a `.ts` path (`/a/b.ts` → `b`), or "". */
export const getFileName = (filePath: string): string => /\/([^/]+)\.ts/.exec(filePath)?.[1] ?? "";

/** `.ts`/`.cts`/`.mts` → `.js`/`.cjs`/`.mjs`. */
export function mapTstoJs(filePath: string): string {
  return filePath
    .replace(/\.ts$/, ".js")
    .replace(/\.cts$/, ".cjs")
    .replace(/\.mts$/, ".mjs");
}

export function rewriteImportExtensions(_outDir: string): void {
  throw notAvailable("rewriteImportExtensions");
}

export const getClickhouseClient = (_config: {
  username: string;
  password: string;
  database: string;
  useSSL: string;
  host: string;
  port: string;
}): any => {
  throw notAvailable("getClickhouseClient");
};

/** Moose's Kafka producer settings (at-least-once, no linger). */
export function createProducerConfig(maxMessageBytes?: number): {
  "message.max.bytes"?: number | undefined;
  kafkaJS: { idempotent: boolean; acks: number; retry: { retries: number; maxRetryTime: number } };
  "linger.ms": number;
} {
  return {
    kafkaJS: {
      idempotent: false,
      acks: ACKs,
      retry: { retries: MAX_RETRIES_PRODUCER, maxRetryTime: MAX_RETRY_TIME_MS },
    },
    "linger.ms": 0,
    ...(maxMessageBytes ? { "message.max.bytes": maxMessageBytes } : {}),
  };
}

export type KafkaClientConfig = {
  clientId: string;
  broker: string;
  securityProtocol?: string;
  saslUsername?: string;
  saslPassword?: string;
  saslMechanism?: string;
};

/** A Kafka producer, structurally. */
export type Producer = {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  send(record: any): Promise<any>;
  [member: string]: any;
};

export function getKafkaProducer(
  _cfg: KafkaClientConfig,
  _logger: Logger,
  _maxMessageBytes?: number,
): Promise<Producer> {
  return rejectNotAvailable("getKafkaProducer");
}

export const getKafkaClient = (_cfg: KafkaClientConfig, _logger: Logger): Promise<any> =>
  rejectNotAvailable("getKafkaClient");

/** Prefix of a value Moose resolves from the environment at run time. */
export const MOOSE_RUNTIME_ENV_PREFIX = "__MOOSE_RUNTIME_ENV__:";

/**
 * Values resolved from the environment when Moose runs. Models load as Moose loads them to
 * build its infrastructure map, so `get` returns the marker Moose resolves later.
 */
export const mooseRuntimeEnv = {
  get(envVarName: string): string {
    if (!envVarName || envVarName.trim() === "")
      throw new Error("Environment variable name cannot be empty");
    return `${MOOSE_RUNTIME_ENV_PREFIX}${envVarName}`;
  },
};
/** @deprecated Use mooseRuntimeEnv. */
export const mooseEnvSecrets = mooseRuntimeEnv;

export interface CSVParsingConfig {
  delimiter: string;
  /** First row as headers (objects per row); default true. */
  columns?: boolean;
  skipEmptyLines?: boolean;
  trim?: boolean;
}

export interface JSONParsingConfig {
  reviver?: (key: string, value: any) => any;
}

/** Splits CSV text into records of fields (quoted fields, doubled quotes, CRLF). */
const csvRecords = (content: string, delimiter: string): string[][] => {
  const records: string[][] = [];
  let record: string[] = [];
  let field = "";
  let quoted = false;
  for (let i = 0; i < content.length; i++) {
    const ch = content[i]!;
    if (quoted) {
      if (ch === '"' && content[i + 1] === '"') {
        field += '"';
        i++;
      } else if (ch === '"') {
        quoted = false;
      } else {
        field += ch;
      }
    } else if (ch === '"' && field.trim() === "") {
      quoted = true;
      field = "";
    } else if (content.startsWith(delimiter, i)) {
      record.push(field);
      field = "";
      i += delimiter.length - 1;
    } else if (ch === "\n" || ch === "\r") {
      if (ch === "\r" && content[i + 1] === "\n") i++;
      record.push(field);
      records.push(record);
      record = [];
      field = "";
    } else {
      field += ch;
    }
  }
  if (field !== "" || record.length > 0) {
    record.push(field);
    records.push(record);
  }
  return records;
};

/** Rows of CSV text: objects keyed by the header row (or arrays with `columns: false`). */
export function parseCSV<T = Record<string, any>>(
  content: string,
  config: CSVParsingConfig,
): Promise<T[]> {
  try {
    const trim = config.trim ?? true;
    let rows = csvRecords(content, config.delimiter).map((r) =>
      trim ? r.map((f) => f.trim()) : r,
    );
    if (config.skipEmptyLines ?? true) rows = rows.filter((r) => !(r.length === 1 && r[0] === ""));
    if (!(config.columns ?? true)) return Promise.resolve(rows as T[]);
    const [header = [], ...body] = rows;
    return Promise.resolve(
      body.map((r) => Object.fromEntries(header.map((h, i) => [h, r[i] ?? ""])) as T),
    );
  } catch (e) {
    return Promise.reject(e instanceof Error ? e : new Error(String(e)));
  }
}

/** JSON text as an array of rows (a single value becomes one row). */
export function parseJSON<T = any>(content: string, config: JSONParsingConfig = {}): T[] {
  try {
    const parsed: unknown = JSON.parse(content, config.reviver);
    return (Array.isArray(parsed) ? parsed : [parsed]) as T[];
  } catch (error) {
    throw new Error(
      `Failed to parse JSON: ${error instanceof Error ? error.message : "Unknown error"}`,
      { cause: error },
    );
  }
}

const ISO_8601 =
  /^([+-]?\d{4}(?!\d{2}\b))((-?)((0[1-9]|1[0-2])(\3([12]\d|0[1-9]|3[01]))?|W([0-4]\d|5[0-2])(-?[1-7])?|(00[1-9]|0[1-9]\d|[12]\d{2}|3([0-5]\d|6[1-6])))([T\s]((([01]\d|2[0-3])((:?)[0-5]\d)?|24:?00)([.,]\d+(?!:))?)?(\17[0-5]\d([.,]\d+)?)?([zZ]|([+-])([01]\d|2[0-3]):?([0-5]\d)?)?)?)$/;

/** JSON reviver turning ISO 8601 strings into Dates. */
const dateReviver = (_key: string, value: any): any =>
  typeof value === "string" && ISO_8601.test(value) ? new Date(value) : value;

/** parseJSON with ISO 8601 strings revived as Dates. */
export function parseJSONWithDates<T = any>(content: string): T[] {
  return parseJSON<T>(content, { reviver: dateReviver });
}

/** One character, not whitespace. */
export function isValidCSVDelimiter(delimiter: string): boolean {
  return delimiter.length === 1 && !/\s/.test(delimiter);
}

export const CSV_DELIMITERS = {
  COMMA: ",",
  TAB: "\t",
  SEMICOLON: ";",
  PIPE: "|",
} as const;

export const DEFAULT_CSV_CONFIG: CSVParsingConfig = {
  delimiter: CSV_DELIMITERS.COMMA,
  columns: true,
  skipEmptyLines: true,
  trim: true,
};

export const DEFAULT_JSON_CONFIG: JSONParsingConfig = { reviver: dateReviver };

export interface DataSourceConfig {
  name: string;
  supportsIncremental?: boolean;
}

/** Base of a connector: extract data and test the connection (implemented by subclasses). */
// eslint-disable-next-line @typescript-eslint/no-unused-vars -- moose-lib's generic arity (T: the row type)
export abstract class DataSource<T = any, ItemType = any> {
  protected name: string;
  protected supportsIncremental: boolean;
  constructor(config: DataSourceConfig) {
    this.name = config.name;
    this.supportsIncremental = config.supportsIncremental ?? false;
  }
  abstract extract(): Promise<ItemType | ReadableLike>;
  abstract testConnection(): Promise<{ success: boolean; message?: string }>;
}

export interface ExtractionResult<T = any> {
  data: T | ReadableLike;
  metadata: Record<string, any>;
}

/** Legacy (dmv1) data model configuration. */
export type DataModelConfig<T> = Partial<{
  ingestion: true;
  storage: {
    enabled?: boolean;
    order_by_fields?: (keyof T)[];
    deduplicate?: boolean;
    name?: string;
  };
  parallelism?: number;
}>;
