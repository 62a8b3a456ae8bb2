/**
 * ClickHouse's HTTP interface rules that `moose dev`'s endpoint follows (pure): which URL
 * parameters are settings, how exception codes map to HTTP statuses, how errors are written.
 * Source of truth: ClickHouse's src/Server/HTTPHandler.cpp, HTTP/exceptionCodeToHTTPStatus.cpp
 * and HTTP/authenticateUserByHTTP.cpp.
 */

import { type StatementShape, statementKind, isTemporaryTable } from "../core/sql-statement";

/** URL parameters the HTTP layer consumes itself: never settings. */
const RESERVED = new Set([
  "query",
  "database",
  "default_format",
  "compress",
  "decompress",
  "user",
  "password",
  "quota_key",
  "query_id",
  "stacktrace",
  "buffer_size",
  "wait_end_of_query",
  "session_id",
  "session_timeout",
  "session_check",
  "client_protocol_version",
  "close_session",
  "role",
  // Response compression is done by the endpoint, not by the engine.
  "enable_http_compression",
  "http_zlib_compression_level",
]);

export interface HttpQuery {
  query: string;
  database?: string;
  defaultFormat?: string;
  queryId?: string;
  settings: Record<string, string>;
  params: Record<string, string>;
  compress: boolean;
  compressionLevel?: number;
}

const truthy = (v: string | null): boolean => v !== null && /^(1|true)$/i.test(v.trim());

/**
 * Splits the URL parameters as ClickHouse does: `param_<name>` are query parameters, reserved
 * names belong to the HTTP layer, everything else is a setting (the engine judges unknown ones).
 * `X-ClickHouse-Database` / `X-ClickHouse-Format` headers win over the parameters, the
 * `query_id` parameter over the `X-ClickHouse-Query-Id` header.
 */
export const httpQuery = (
  sp: URLSearchParams,
  header: (name: string) => string | undefined,
): HttpQuery => {
  const settings: Record<string, string> = {};
  const params: Record<string, string> = {};
  for (const [k, v] of sp) {
    if (k.startsWith("param_")) params[k.slice("param_".length)] = v;
    else if (k !== "" && !RESERVED.has(k)) settings[k] = v;
  }
  const database = header("x-clickhouse-database") || sp.get("database") || undefined;
  const defaultFormat = header("x-clickhouse-format") || sp.get("default_format") || undefined;
  const queryId = sp.get("query_id") || header("x-clickhouse-query-id") || undefined;
  const level = Number(sp.get("http_zlib_compression_level"));
  return {
    query: sp.get("query") ?? "",
    ...(database !== undefined ? { database } : {}),
    ...(defaultFormat !== undefined ? { defaultFormat } : {}),
    ...(queryId !== undefined ? { queryId } : {}),
    settings,
    params,
    compress: truthy(sp.get("enable_http_compression")),
    ...(Number.isInteger(level) && level >= 1 && level <= 9 ? { compressionLevel: level } : {}),
  };
};

/** Exception codes by name, for the status mapping (numbers as `errorCodeToName` gives them). */
const STATUS_BY_CODE = new Map<number, number>([
  // 401: REQUIRED_PASSWORD
  [194, 401],
  // 403: UNKNOWN_USER, WRONG_PASSWORD, AUTHENTICATION_FAILED, SET_NON_GRANTED_ROLE, ACCESS_DENIED
  ...[192, 193, 516, 512, 497].map((c) => [c, 403] as [number, number]),
  // 400: BAD_ARGUMENTS, CANNOT_COMPILE_REGEXP, CANNOT_PARSE_* (text, escape sequence, quoted
  // string, date, datetime, number, domain value, IPv4, IPv6, input assertion, UUID),
  // DUPLICATE_COLUMN, ILLEGAL_COLUMN, UNKNOWN_ELEMENT_IN_AST, UNKNOWN_TYPE_OF_AST_NODE,
  // THERE_IS_NO_COLUMN, TOO_DEEP_AST, TOO_BIG_AST, UNEXPECTED_AST_STRUCTURE, SYNTAX_ERROR,
  // INCORRECT_DATA, TYPE_MISMATCH, VALUE_IS_OUT_OF_RANGE_OF_DATA_TYPE
  ...[
    36, 427, 6, 25, 26, 38, 41, 72, 441, 675, 676, 27, 376, 15, 44, 37, 123, 8, 167, 168, 223, 62,
    117, 53, 321,
  ].map((c) => [c, 400] as [number, number]),
  // 404: UNKNOWN_TABLE, UNKNOWN_FUNCTION, UNKNOWN_IDENTIFIER, UNKNOWN_TYPE, UNKNOWN_STORAGE,
  // UNKNOWN_DATABASE, UNKNOWN_SETTING, UNKNOWN_DIRECTION_OF_SORTING, UNKNOWN_AGGREGATE_FUNCTION,
  // UNKNOWN_FORMAT, UNKNOWN_DATABASE_ENGINE, UNKNOWN_TYPE_OF_QUERY, UNKNOWN_ROLE
  ...[60, 46, 47, 50, 56, 81, 115, 152, 63, 73, 336, 78, 511].map(
    (c) => [c, 404] as [number, number],
  ),
  [229, 413], // QUERY_IS_TOO_LARGE
  [48, 501], // NOT_IMPLEMENTED
  [209, 503], // SOCKET_TIMEOUT
  [76, 503], // CANNOT_OPEN_FILE
  [381, 411], // HTTP_LENGTH_REQUIRED
  [159, 408], // TIMEOUT_EXCEEDED
  [439, 503], // CANNOT_SCHEDULE_TASK
  [779, 415], // UNSUPPORTED_MEDIA_TYPE
]);

/** ClickHouse's `exceptionCodeToHTTPStatus`: everything unlisted is 500. */
export const httpStatusOf = (code: number): number => STATUS_BY_CODE.get(code) ?? 500;

/** An exception as ClickHouse writes it in a response body (without the trailing newline). */
export const exceptionText = (code: number, name: string, message: string, version: string) =>
  `Code: ${code}. DB::Exception: ${message}. (${name})${version ? ` (version ${version})` : ""}`;

export type Encoding = "br" | "gzip" | "deflate";

/** The response encoding for an `Accept-Encoding` list (ClickHouse prefers br over gzip over deflate). */
export const chooseEncoding = (accept: string | undefined): Encoding | undefined => {
  const offered = new Set(
    (accept ?? "")
      .toLowerCase()
      .split(",")
      .map((e) => e.split(";")[0]!.trim()),
  );
  return (["br", "gzip", "deflate"] as const).find((e) => offered.has(e));
};

/**
 * The request's readonly level (HTTPHandler): the `readonly` setting, else 2 for GET (which
 * may still change settings and create temporary tables, but not write).
 */
export const readonlyLevel = (method: string, settings: Readonly<Record<string, string>>) => {
  const set = Number(settings["readonly"] ?? "0");
  if (Number.isInteger(set) && set > 0) return set;
  return method === "GET" ? 2 : 0;
};

/**
 * ClickHouse's refusal of a statement at a readonly level (ContextAccess: INSERT, OPTIMIZE,
 * DDL, access management, SYSTEM and KILL need readonly = 0; temporary tables and SET need
 * readonly ≠ 1, SettingsConstraints), as the exception's message; undefined when allowed.
 */
export const readonlyRefusal = (
  shape: StatementShape,
  level: number,
  viaGet: boolean,
  user: string,
): string | undefined => {
  if (level === 0) return undefined;
  const kind = statementKind(shape);
  if (kind === "read" || kind === "use") return undefined;
  if (kind === "set" || isTemporaryTable(shape)) {
    if (level !== 1) return undefined;
    if (kind === "set") return `Cannot modify '${shape.words[1] ?? ""}' setting in readonly mode`;
  }
  return viaGet
    ? `${user}: Cannot execute query in readonly mode. For queries over HTTP, method GET implies readonly. You should use method POST for modifying queries`
    : `${user}: Cannot execute query in readonly mode`;
};
