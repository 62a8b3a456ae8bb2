import type { ClickHouseClient, ClickHouseSettings } from "@clickhouse/client";
import { MooseError, errorText } from "../errors";
import { maskSecrets, type ClickHouseTarget } from "../config/url";
import { multiStatementProblem } from "../core/model-sql-guard";
import { connectDeadlineAgent } from "./connect-deadline";
import { chdbSession, httpExec, type ExecOutcome, type ExecRequest } from "./clickhouse-exec";

/**
 * The port every ClickHouse caller uses. The vendor client is constructed here and nowhere
 * else; errors come back as MooseErrors with credentials masked.
 */
export interface ClickHousePort {
  /** Runs a SELECT and returns its rows (`settings`: ClickHouse settings for this query only). */
  query<T>(
    sql: string,
    params?: Record<string, unknown>,
    settings?: Record<string, string | number>,
  ): Promise<T[]>;
  /**
   * Runs DDL/DML, with no client-side deadline. `waitForMutation` makes ALTERs return only when
   * ClickHouse has finished them (runtime/mutations.ts follows them instead where it can);
   * `database` is the current database for unqualified names (view SELECTs are resolved at
   * creation time against it).
   */
  command(sql: string, opts?: CommandOptions): Promise<void>;
  close(): Promise<void>;
  readonly target: ClickHouseTarget;
}

/**
 * The port plus a raw pass-through for `moose dev`'s HTTP endpoint: one statement as ClickHouse's
 * HTTP interface receives it, answered with ClickHouse's own bytes or its exception.
 */
export interface ClickHouseConnection extends ClickHousePort {
  exec(req: ExecRequest): Promise<ExecOutcome>;
}

export interface CommandOptions {
  waitForMutation?: boolean;
  database?: string;
  /** Extra ClickHouse settings for this statement. */
  settings?: Record<string, string | number>;
}

/** ClickHouse's server error, with its numeric code kept for callers that branch on it. */
export class ClickHouseServerError extends MooseError {
  constructor(
    message: string,
    readonly serverCode: string | undefined,
    readonly serverType: string | undefined,
    /** ClickHouse's own text, without the statement (credentials masked). */
    readonly reason: string = message,
    /** The statement ClickHouse rejected (shortened, credentials masked). */
    readonly statement: string = "",
  ) {
    super("CLICKHOUSE_QUERY_FAILED", message, { hint: "See ClickHouse's message above." });
  }
}

/** What ClickHouse said about a failure: its error name and number, and its reason. */
export interface ClickHouseFailure {
  /** e.g. `CANNOT_PARSE_TEXT`; absent when the failure did not come from ClickHouse. */
  type?: string;
  /** e.g. `6`. */
  code?: string;
  /** First line of ClickHouse's message, without the executed-function dump and the name. */
  reason: string;
}

/** ClickHouse's error behind a failure (also when wrapped as another error's `cause`). */
export const serverErrorOf = (e: unknown): ClickHouseServerError | undefined => {
  for (let cur = e, i = 0; cur instanceof Error && i < 5; cur = cur.cause, i++)
    if (cur instanceof ClickHouseServerError) return cur;
  return undefined;
};

export const clickhouseFailure = (failure: unknown): ClickHouseFailure => {
  const e = serverErrorOf(failure);
  if (!e) return { reason: errorText(failure).split("\n")[0] ?? "" };
  const reason = (e.reason.trim().split("\n")[0] ?? "")
    .replace(/:?\s*while executing '[\s\S]*$/i, "")
    .replace(/\s*\(while reading[\s\S]*$/, "")
    .replace(/\s*\([A-Z_]+\)(\s*\(version [^)]*\))?\.?\s*$/, "")
    .trim();
  return {
    reason,
    ...(e.serverType !== undefined ? { type: e.serverType } : {}),
    ...(e.serverCode !== undefined ? { code: e.serverCode } : {}),
  };
};

/** `CANNOT_PARSE_TEXT (code 6): Cannot parse string 'abc' as Int32…` */
export const describeClickHouseFailure = (f: ClickHouseFailure): string =>
  f.type === undefined && f.code === undefined
    ? f.reason
    : `${f.type ?? "error"}${f.code !== undefined ? ` (code ${f.code})` : ""}: ${f.reason}`;

const NETWORK_CODES = new Set([
  "ECONNREFUSED",
  "ENOTFOUND",
  "EHOSTUNREACH",
  "ECONNRESET",
  "ETIMEDOUT",
  "EAI_AGAIN",
]);

const networkCode = (e: unknown): string | undefined => {
  for (let cur: unknown = e, i = 0; cur && i < 5; i++) {
    const code = (cur as { code?: unknown }).code;
    if (typeof code === "string" && NETWORK_CODES.has(code)) return code;
    const nested = (cur as { errors?: unknown[] }).errors?.[0];
    cur = nested ?? (cur as { cause?: unknown }).cause;
  }
  return /ECONNREFUSED|ENOTFOUND|socket hang up|Timeout error/i.test(errorText(e))
    ? "unreachable"
    : undefined;
};

type Connection = Parameters<typeof import("@clickhouse/client").createClient>[0] extends infer O
  ? O extends { connection?: infer C }
    ? C
    : never
  : never;

const chdbConnection = (path: string): Connection => {
  let mod: { createChdbConnection(o: { path: string }): unknown };
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    mod = require("chdb/connection") as typeof mod;
  } catch (e) {
    throw new MooseError(
      "CHDB_MISSING",
      `The embedded ClickHouse engine (npm package chdb) is not installed: ${errorText(e).split("\n")[0]}`,
      {
        hint: "Run `npm install chdb` (an optional dependency), or point --clickhouse-url at a ClickHouse server.",
      },
    );
  }
  try {
    return mod.createChdbConnection({ path }) as Connection;
  } catch (e) {
    // chDB binds a data directory to one process: a second one cannot open it.
    throw new MooseError(
      "CLICKHOUSE_UNREACHABLE",
      `The embedded database at ${path} cannot be opened: ${errorText(e).split("\n")[0]} (most likely another process — a moose command or moose dev — has it open)`,
      {
        hint: "chDB opens a data directory from one process at a time: wait for the other command to finish and run this one again, or use another directory (--clickhouse-url chdb://<dir>).",
      },
    );
  }
};

/**
 * Reads (catalog, system tables, the data-safety counts) wait at most this long for a byte:
 * generous for a count over a large table, finite for a server that accepts and never answers.
 */
const READ_IDLE_TIMEOUT_MS = 300_000;

export const connectClickHouse = (target: ClickHouseTarget): ClickHouseConnection => {
  // Connecting is bounded (CONNECT_TIMEOUT_MS), so an unreachable server is reported quickly
  // even where statements have no deadline. One agent per client: each client expires the idle
  // sockets it released, and would destroy a socket another client had picked up meanwhile.
  const agents: { destroy(): void }[] = [];
  const agentFor = (url: string) => {
    const a = connectDeadlineAgent(url);
    agents.push(a);
    return a;
  };
  /**
   * `timeoutMs` 0: no client-side deadline. DDL/DML run as long as ClickHouse takes (a row copy,
   * a backfill); ALTERs that start mutations return at once and are followed in
   * system.mutations (runtime/mutations.ts), never cut short by a request timeout.
   */
  // The vendor client is loaded when a command first connects: offline commands never do.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const vendor = require("@clickhouse/client") as typeof import("@clickhouse/client");
  const httpClient = (timeoutMs: number, database?: string): ClickHouseClient =>
    target.kind === "chdb"
      ? vendor.createClient({ connection: chdbConnection(target.path) })
      : vendor.createClient({
          url: target.url,
          username: target.username,
          password: target.password,
          ...(database !== undefined ? { database } : {}),
          request_timeout: timeoutMs,
          http_agent: agentFor(target.url),
          // Failures surface as MooseErrors; the client's own logger would print stacks.
          log: { level: vendor.ClickHouseLogLevel.OFF },
        });
  const client = httpClient(READ_IDLE_TIMEOUT_MS);
  // The embedded engine is one session: its statements share the one client.
  const writer = target.kind === "chdb" ? client : httpClient(0);
  // HTTP is stateless: statements that need a current database get a client bound to it.
  const byDatabase = new Map<string, ClickHouseClient>();
  const clientFor = (database: string | undefined): ClickHouseClient => {
    if (database === undefined) return writer;
    let c = byDatabase.get(database);
    if (!c) byDatabase.set(database, (c = httpClient(0, database)));
    return c;
  };
  // The embedded engine is one stateful session (current database, settings) that `moose dev`'s
  // endpoint shares with the dev session: one statement, with its USE/SET around it, at a time.
  const session = target.kind === "chdb" ? chdbSession(client) : undefined;
  const serial = session ? queue() : <T>(fn: () => Promise<T>) => fn();
  const secrets = target.kind === "http" ? [target.password] : [];

  const wrap = async <T>(sql: string, run: () => Promise<T>): Promise<T> => {
    try {
      return await run();
    } catch (e) {
      if (e instanceof MooseError) throw e;
      const net = networkCode(e);
      if (net) {
        throw new MooseError(
          "CLICKHOUSE_UNREACHABLE",
          `Cannot reach ClickHouse at ${target.display}${target.kind === "http" && target.via ? ` through ${target.via}` : ""} (${net})`,
          {
            hint: "Check that the server is running and the URL (host, port, scheme) is right.",
          },
        );
      }
      const code = (e as { code?: unknown }).code;
      const type = (e as { type?: unknown }).type;
      const statement = sql.length > 300 ? `${sql.slice(0, 300)}…` : sql;
      throw new ClickHouseServerError(
        maskSecrets(
          `ClickHouse rejected: ${statement}\n  ${errorText(e).trim()}${typeof type === "string" ? ` (${type})` : ""}`,
          secrets,
        ),
        typeof code === "string" ? code : undefined,
        typeof type === "string" ? type : undefined,
        maskSecrets(errorText(e), secrets),
        maskSecrets(statement, secrets),
      );
    }
  };

  /**
   * Every statement the tool sends is exactly one statement: the embedded engine runs a
   * `;`-separated text as several, and the tool never means to. Refused before sending.
   */
  const oneStatement = (sql: string): void => {
    const problem = multiStatementProblem(sql);
    if (problem === undefined) return;
    const shown = maskSecrets(sql.length > 300 ? `${sql.slice(0, 300)}…` : sql, secrets);
    throw new MooseError(
      "SQL_MULTI_STATEMENT",
      `Refused to send a statement to ClickHouse at ${target.display}: ${problem}:\n  ${shown}`,
      {
        hint: "Nothing was sent. The text comes from the model or a migration file (a default, TTL, key, index, projection, view SELECT or RawSql item): keep each to one expression or statement, without `;`.",
      },
    );
  };

  return {
    target,
    query: async <T>(
      sql: string,
      params?: Record<string, unknown>,
      settings?: Record<string, string | number>,
    ) => {
      oneStatement(sql);
      const run = async () => {
        const rs = await client.query({
          query: sql,
          format: "JSONEachRow",
          ...(params ? { query_params: params } : {}),
          ...(settings && !session ? { clickhouse_settings: settings } : {}),
        });
        return rs.json<T>();
      };
      return wrap(sql, () =>
        serial(() => (session && settings ? session.withSettings(settings, run) : run())),
      );
    },
    command: async (sql, opts) => {
      oneStatement(sql);
      return wrap(sql, () =>
        serial(async () => {
          const settings: ClickHouseSettings = {
            // Nested columns stay Nested (not flattened to arrays), as Moose creates them.
            flatten_nested: 0,
            ...(opts?.waitForMutation ? { mutations_sync: "2", alter_sync: "2" } : {}),
            ...opts?.settings,
          };
          if (!session) {
            await clientFor(opts?.database).command({ query: sql, clickhouse_settings: settings });
            return;
          }
          // The current database stays switched (statements without one run where the last did).
          if (opts?.database !== undefined) await session.use(opts.database);
          await session.withSettings(settings, () => client.command({ query: sql }));
        }),
      );
    },
    exec: async (req) => {
      if (session) return serial(() => session.exec(req));
      if (target.kind === "http") return httpExec(target, req);
      throw new MooseError("INTERNAL", `No ClickHouse connection for ${target.display}`);
    },
    close: () =>
      serial(async () => {
        for (const c of byDatabase.values()) await c.close();
        if (writer !== client) await writer.close();
        await client.close();
        for (const a of agents) a.destroy();
      }),
  };
};

/** Runs tasks one after another, whatever their callers' timing (a failure does not stop the line). */
const queue = () => {
  let tail: Promise<unknown> = Promise.resolve();
  return <T>(fn: () => Promise<T>): Promise<T> => {
    const run = tail.then(fn, fn);
    tail = run.catch(() => undefined);
    return run;
  };
};

/** Wraps a port to count statements (tests and benchmarks check introspection stays O(1) in queries). */
export const countingPort = (
  inner: ClickHousePort,
): ClickHousePort & { counts: { query: number; command: number } } => {
  const counts = { query: 0, command: 0 };
  return {
    target: inner.target,
    counts,
    query: (sql, params, settings) => {
      counts.query++;
      return inner.query(sql, params, settings);
    },
    command: (sql, opts) => {
      counts.command++;
      return inner.command(sql, opts);
    },
    close: () => inner.close(),
  };
};
