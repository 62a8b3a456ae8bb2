/* eslint-disable @typescript-eslint/no-explicit-any -- vendor clients (ClickHouse, Temporal, Redis) are typed structurally */
/**
 * Clients of a running Moose: ClickHouse queries, Temporal workflows, the Redis cache.
 * They construct without connecting; every call that would reach a server fails with a clear
 * message (async calls reject), because models load without any of them.
 */
import { rejectNotAvailable } from "./inert";
import type { RowPolicyOptions } from "./row-policies";
import { Sql, sql, type RawValue } from "./sql";

/** A `@clickhouse/client` client, structurally (any member is accepted). */
export interface ClickHouseClientLike {
  [member: string]: any;
}

/** A ClickHouse result set (`JSONEachRow`), structurally. */
export interface QueryResultSet<T = any> {
  readonly query_id: string;
  json<U = T>(): Promise<U[]>;
  text(): Promise<string>;
  stream(): any;
  close(): void;
  __query_result_t?: T[];
}

/** A ClickHouse command result, structurally. */
export interface QueryCommandResult {
  query_id: string;
  [member: string]: any;
}

/** Runs `sql` queries against ClickHouse (in a running Moose). */
export class QueryClient {
  client: ClickHouseClientLike;
  query_id_prefix: string;
  private rowPolicyOptions?: RowPolicyOptions;
  private readonlyMode: boolean;

  constructor(
    client: ClickHouseClientLike,
    query_id_prefix: string,
    rowPolicyOptions?: RowPolicyOptions,
    readonlyMode?: boolean,
  ) {
    this.client = client;
    this.query_id_prefix = query_id_prefix;
    this.rowPolicyOptions = rowPolicyOptions;
    this.readonlyMode = readonlyMode ?? false;
  }

  execute<T = any>(_sql: Sql): Promise<QueryResultSet<T>> {
    return rejectNotAvailable("QueryClient.execute");
  }

  command(_sql: Sql): Promise<QueryCommandResult> {
    return rejectNotAvailable("QueryClient.command");
  }
}

/** Starts and stops workflows through Temporal (in a running Moose). */
export class WorkflowClient {
  client: any;
  constructor(temporalClient?: any) {
    // eslint-disable-next-line @typescript-eslint/no-unsafe-assignment -- Temporal's client, untyped here
    this.client = temporalClient;
  }
  execute(_name: string, _input_data: any): Promise<{ status: number; body: string }> {
    return rejectNotAvailable("WorkflowClient.execute");
  }
  terminate(_workflowId: string): Promise<{ status: number; body: string }> {
    return rejectNotAvailable("WorkflowClient.terminate");
  }
}

/** The clients handed to API handlers and returned by getMooseUtils(). */
export class MooseClient {
  query: QueryClient;
  workflow: WorkflowClient;
  constructor(queryClient: QueryClient, temporalClient?: any) {
    this.query = queryClient;
    this.workflow = new WorkflowClient(temporalClient);
  }
}

/** JWT claims (jose's JWTPayload, structurally). */
export interface JwtPayload {
  iss?: string;
  sub?: string;
  aud?: string | string[];
  jti?: string;
  nbf?: number;
  exp?: number;
  iat?: number;
  [claim: string]: unknown;
}

export interface MooseUtils {
  client: MooseClient;
  sql: typeof sql;
  jwt?: JwtPayload;
}
/** @deprecated Use MooseUtils. */
export type ApiUtil = MooseUtils;
/** @deprecated Use MooseUtils. */
export type ConsumptionUtil = MooseUtils;

export interface GetMooseUtilsOptions {
  /** JWT claim name → value, for row-policy scoping. */
  rlsContext?: Record<string, string>;
  /** Run every query in ClickHouse readonly mode. */
  readonly?: boolean;
}

export interface RuntimeClickHouseConfig {
  host: string;
  port: string;
  username: string;
  password: string;
  database: string;
  useSSL: boolean;
  rlsUser?: string;
  rlsPassword?: string;
}

/** Moose's utilities (a legacy request argument is accepted too). */
export function getMooseUtils(_options?: GetMooseUtilsOptions | object): Promise<MooseUtils> {
  return rejectNotAvailable("getMooseUtils");
}

/** @deprecated Use getMooseUtils(). */
export function getMooseClients(
  _config?: Partial<RuntimeClickHouseConfig>,
): Promise<{ client: MooseClient }> {
  return rejectNotAvailable("getMooseClients");
}

/** @deprecated The utilities Moose attached to a request (`req.moose`), if any. */
export function getMooseUtilsFromRequest(req: any): MooseUtils | undefined {
  return (req as { moose?: MooseUtils } | null | undefined)?.moose;
}
/** @deprecated Same as getMooseUtilsFromRequest. */
export const getLegacyMooseUtils: typeof getMooseUtilsFromRequest = getMooseUtilsFromRequest;

/** @deprecated Middleware exposing Moose's utilities as `req.moose`. */
export function expressMiddleware(): (req: any, res: any, next: any) => void {
  return (req: any, _res: any, next: any) => {
    const r = req as { moose?: MooseUtils; raw?: { moose?: MooseUtils } };
    if (!r.moose && r.raw?.moose) r.moose = r.raw.moose;
    (next as () => void)();
  };
}

/** @deprecated Use MooseUtils. */
export interface ExpressRequestWithMoose {
  moose?: MooseUtils;
}

export function getTemporalClient(
  _temporalUrl: string,
  _namespace: string,
  _clientCert: string,
  _clientKey: string,
  _apiKey: string,
): Promise<any> {
  return rejectNotAvailable("getTemporalClient");
}

/** Helpers marking a parameter as an identifier: `sql\`SELECT * FROM ${ApiHelpers.table("t")}\``. */
export const ApiHelpers = {
  column: (value: string): [string, string] => ["Identifier", value],
  table: (value: string): [string, string] => ["Identifier", value],
};
/** @deprecated Use ApiHelpers. */
export const ConsumptionHelpers = ApiHelpers;

/** `prefix v1 sep v2 … suffix`, with each value interpolated as in `sql`. */
export function joinQueries({
  values,
  separator = ",",
  prefix = "",
  suffix = "",
}: {
  values: readonly RawValue[];
  separator?: string;
  prefix?: string;
  suffix?: string;
}): Sql {
  if (values.length === 0)
    throw new TypeError(
      "Expected `join([])` to be called with an array of multiple elements, but got an empty array",
    );
  return new Sql([prefix, ...values.slice(1).map(() => separator), suffix], values);
}

type CacheValue = string | object;

/** Moose's Redis cache (a singleton from MooseCache.get(), in a running Moose). */
export class MooseCache {
  private constructor() {}

  static get(): Promise<MooseCache> {
    return rejectNotAvailable("MooseCache.get");
  }
  set(_key: string, _value: string | object, _ttlSeconds?: number): Promise<string | null> {
    return rejectNotAvailable("MooseCache.set");
  }
  get<T extends CacheValue = string>(_key: string): Promise<T | null> {
    return rejectNotAvailable("MooseCache.get");
  }
  delete(_key: string): Promise<void> {
    return rejectNotAvailable("MooseCache.delete");
  }
  clearKeys(_keyPrefix: string): Promise<void> {
    return rejectNotAvailable("MooseCache.clearKeys");
  }
  clear(): Promise<void> {
    return rejectNotAvailable("MooseCache.clear");
  }
  disconnect(): Promise<void> {
    return rejectNotAvailable("MooseCache.disconnect");
  }
}
