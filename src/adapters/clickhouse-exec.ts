import { Readable } from "node:stream";
import type { ClickHouseClient, DataFormat } from "@clickhouse/client";
import { MooseError, errorText } from "../errors";
import { maskSecrets, type ClickHouseTarget } from "../config/url";
import { quoteIdent, quoteString } from "../core/sql-quote";
import { isTemporaryTable, statementKind, statementShape } from "../core/sql-statement";

/**
 * One statement as ClickHouse's HTTP interface receives it, for the pass-through `exec` that
 * `moose dev`'s endpoint uses. Values stay in ClickHouse's wire form: settings and query
 * parameters are the URL's text, so the engine parses them exactly as a server would.
 */
export interface ExecRequest {
  /** The `query` URL parameter (may be empty). */
  query: string;
  /** The request body: the statement, or (with `query` holding `INSERT … FORMAT x`) its data. */
  body?: Buffer;
  /** The current database for unqualified names (ClickHouse's `database` parameter). */
  database?: string;
  /** Output format when the statement has no FORMAT clause (default TabSeparated). */
  defaultFormat?: string;
  /** ClickHouse settings for this statement only. */
  settings?: Readonly<Record<string, string>>;
  /** Query parameters (`param_<name>`) in ClickHouse's escaped text form. */
  params?: Readonly<Record<string, string>>;
  queryId?: string;
  /** An HTTP GET: a server runs it read-only (forwarded as GET; see `exec` on chDB). */
  readOnly?: boolean;
}

export interface ExecResult {
  ok: true;
  /** ClickHouse's output bytes, as they would be on the wire (uncompressed). */
  body: Readable;
  queryId: string;
  contentType: string;
  /** The output format (absent for statements without output, e.g. INSERT). */
  format?: string;
  timezone?: string;
  /** ClickHouse's `X-ClickHouse-Summary` JSON. */
  summary?: string;
}

/** ClickHouse's refusal: its exception code, name and text (`Code: 62. DB::Exception: …`). */
export interface ExecFailure {
  ok: false;
  code: number;
  name: string;
  text: string;
  /** The HTTP status the server answered with, when it came from one. */
  status?: number;
}

export type ExecOutcome = ExecResult | ExecFailure;

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** A ClickHouse string literal whose content is exactly `s`. */
const literal = quoteString;

/** ClickHouse joins the `query` parameter and the body with a line break (HTTPHandler's getQuery). */
export const statementText = (req: ExecRequest): string => {
  const body = req.body?.toString("utf8") ?? "";
  return req.query === "" ? body : `${req.query}\n${body}`;
};

const isInsert = (sql: string): boolean =>
  /^\s*(?:(?:--[^\n]*\n|\/\*[\s\S]*?\*\/)\s*)*INSERT\b/i.test(sql);

/** The format ClickHouse answers in: a trailing FORMAT clause wins over the default. */
export const outputFormat = (sql: string, defaultFormat: string): string | undefined => {
  if (isInsert(sql)) return undefined;
  return /\bFORMAT\s+([A-Za-z][A-Za-z0-9_]*)\s*;?\s*$/i.exec(sql)?.[1] ?? defaultFormat;
};

/** Content-Type by output format, as ClickHouse's output formats declare it (common ones). */
export const contentTypeOf = (format: string | undefined): string => {
  const f = (format ?? "").toLowerCase();
  if (f.startsWith("json") || f === "ndjson" || f === "prettyjsoneachrow")
    return "application/json; charset=UTF-8";
  if (f.startsWith("tabseparated") || f.startsWith("tsv"))
    return "text/tab-separated-values; charset=UTF-8";
  if (f.startsWith("csv"))
    return `text/csv; charset=UTF-8; header=${f.includes("withnames") ? "present" : "absent"}`;
  if (
    /^(native|rowbinary|parquet|arrow|arrowstream|orc|avro|msgpack|protobuf|capnproto|bsoneachrow|npy)/.test(
      f,
    )
  )
    return "application/octet-stream";
  return "text/plain; charset=UTF-8";
};

const failure = (code: number, name: string, text: string, status?: number): ExecFailure => ({
  ok: false,
  code,
  name,
  text,
  ...(status !== undefined ? { status } : {}),
});

/** ClickHouse's error as the client library parsed it (`code`, `type`, the engine's own text in `cause`). */
const failureOf = (e: unknown, version: string): ExecFailure | undefined => {
  const code = (e as { code?: unknown }).code;
  const type = (e as { type?: unknown }).type;
  if (typeof code !== "string" || !/^\d+$/.test(code) || typeof type !== "string") return undefined;
  const cause = (e as { cause?: unknown }).cause;
  const own = cause instanceof Error && /^Code: \d+\./.test(cause.message) ? cause.message : "";
  const text = unnest(own) || `Code: ${code}. DB::Exception: ${errorText(e)}(${type})`;
  // The embedded engine's text has no version; a server's always ends with it.
  return failure(Number(code), type, `${text.trimEnd()} (version ${version})`);
};

/**
 * The engine wraps an exception raised while applying a SETTINGS clause in a second one
 * (`Code: 115. DB::Exception: Code: 115. DB::Exception: Unknown setting 'x'. (UNKNOWN_SETTING)
 * (version …). (UNKNOWN_SETTING)`); a server says it once.
 */
const unnest = (text: string): string =>
  /^Code: (\d+)\. DB::Exception: (Code: \1\. DB::Exception: [\s\S]*?) \(version [^)]*\)\. \([A-Z0-9_]+\)\s*$/.exec(
    text,
  )?.[2] ?? text;

/**
 * Settings that could shrink or stop the session's own read of `system.settings` (a request's
 * `limit = 1` would hide the other changes, `max_result_rows = 2` refuse the read): that read
 * overrides them in its SETTINGS clause, so they show there with the override, not the
 * session's value. The by-name reset of a request's URL settings covers them; SET statements
 * never reach the session (see `exec`).
 */
const SWEEP_OVERRIDES: Readonly<Record<string, string>> = {
  limit: "0",
  offset: "0",
  max_result_rows: "0",
  max_result_bytes: "0",
  max_rows_to_read: "0",
  max_bytes_to_read: "0",
  max_rows_to_read_leaf: "0",
  max_bytes_to_read_leaf: "0",
  max_execution_time: "0",
  additional_result_filter: "''",
};

/**
 * The embedded engine is one stateful session: the current database, settings and query
 * parameters set for a statement stay for the next one (a server forgets them with the request).
 * Every statement therefore runs with what its caller asked for and the session is put back
 * afterwards, so the dev session's statements and the endpoint's requests never see each
 * other's. The caller serializes: one statement and its set-up at a time.
 */
/**
 * Settings every statement of the tool sets the same way (`flatten_nested = 0`, so Nested
 * columns stay Nested): left applied between the tool's own statements on a chDB session.
 */
const KEEP = new Set(["flatten_nested"]);

export const chdbSession = (client: ClickHouseClient) => {
  let current = "default";
  let info: { version: string; timezone: string } | undefined;
  /** Settings the session had changed when it opened; every statement leaves them like this. */
  let baseline: Map<string, string> | undefined;
  /** KEEP settings the tool's statements left applied (name → value), until an outside one. */
  const kept = new Map<string, string>();

  const run = async (sql: string): Promise<void> => {
    await client.command({ query: sql });
  };
  const rows = async <T>(sql: string): Promise<T[]> =>
    (await client.query({ query: sql, format: "JSONEachRow" })).json<T>();

  const serverInfo = async () => {
    info ??= (
      await rows<{ version: string; timezone: string }>(
        "SELECT version() AS version, timezone() AS timezone",
      )
    )[0];
    return info ?? { version: "", timezone: "UTC" };
  };
  const changedSettings = async () =>
    new Map(
      (
        await rows<{ name: string; value: string }>(
          `SELECT name, value FROM system.settings WHERE changed SETTINGS ${Object.entries(
            SWEEP_OVERRIDES,
          )
            .map(([k, v]) => `${k} = ${v}`)
            .join(", ")}`,
        )
      )
        .filter((r) => !Object.hasOwn(SWEEP_OVERRIDES, r.name))
        .map((r) => [r.name, r.value]),
    );
  const resetTo = (base: Map<string, string>, names: Iterable<string>): string[] =>
    [...new Set(names)].map((n) => {
      const v = base.get(n);
      return v === undefined ? `SET ${n} = DEFAULT` : `SET ${n} = ${literal(v)}`;
    });

  const use = async (database: string): Promise<void> => {
    // Every statement that moves the session elsewhere (an endpoint client's) moves it back,
    // so the tracked database is the session's: a USE per DDL statement would cost a round trip.
    if (current === database) return;
    await run(`USE ${quoteIdent(database)}`);
    current = database;
  };

  /**
   * Runs `fn` with the settings applied; afterwards every setting is back at the baseline: the
   * applied ones by name first (a read of `system.settings` could itself be refused by them),
   * then, when `sweep` is on, any other the statement changed.
   * `readonly` is never applied: once set, the session could not change settings back.
   */
  const withSettings = async <T>(
    settings: Readonly<Record<string, unknown>>,
    fn: () => Promise<T>,
    sweep = false,
  ): Promise<T> => {
    const all = Object.entries(settings).filter(([k]) => k !== "readonly");
    const bad = all.find(([k]) => !IDENTIFIER.test(k));
    if (bad) throw new UnknownSetting(bad[0]);
    if (all.length === 0 && !sweep && kept.size === 0) return fn();
    const base = (baseline ??= await changedSettings());
    // A statement from outside (the endpoint's `sweep`) gets the baseline: kept settings go.
    if (sweep && kept.size > 0) {
      await run(resetTo(base, kept.keys()).join("; "));
      kept.clear();
    }
    // The tool's own statements leave KEEP settings applied between them: one SET per session
    // instead of a SET and a reset around every DDL statement.
    const entries = all.filter(([k, v]) => sweep || !KEEP.has(k) || kept.get(k) !== String(v));
    if (entries.length === 0 && !sweep) return fn();
    const restore = async () => {
      const applied = entries.map(([k]) => k).filter((k) => sweep || !KEEP.has(k));
      if (applied.length > 0) await run(resetTo(base, applied).join("; "));
      if (!sweep) return;
      const now = await changedSettings();
      const names = [...now.keys(), ...base.keys()].filter((n) => now.get(n) !== base.get(n));
      if (names.length > 0) await run(resetTo(base, names).join("; "));
    };
    try {
      // One SET: an unknown setting refuses the whole statement, nothing is half applied.
      if (entries.length > 0) {
        await run(`SET ${entries.map(([k, v]) => `${k} = ${literal(String(v))}`).join(", ")}`);
        if (!sweep) for (const [k, v] of entries) if (KEEP.has(k)) kept.set(k, String(v));
      }
      return await fn();
    } finally {
      await restore();
    }
  };

  /** Temporary tables of the session (they live as long as it does: the process). */
  const temporaries = async () =>
    new Set(
      (await rows<{ name: string }>("SELECT name FROM system.tables WHERE is_temporary")).map(
        (r) => r.name,
      ),
    );
  /** The process's insert counters (ProfileEvents): only this session inserts, one at a time. */
  const insertedSoFar = async () => {
    const [r] = await rows<{ rows: string; bytes: string }>(
      "SELECT toString(sumIf(value, event = 'InsertedRows')) AS rows, toString(sumIf(value, event = 'InsertedBytes')) AS bytes FROM system.events",
    );
    return { rows: BigInt(r?.rows ?? "0"), bytes: BigInt(r?.bytes ?? "0") };
  };

  const exec = async (req: ExecRequest): Promise<ExecOutcome> => {
    const { version, timezone } = await serverInfo();
    const sql = statementText(req);
    const syntaxError = (message: string) =>
      failure(
        62,
        "SYNTAX_ERROR",
        `Code: 62. DB::Exception: ${message}. (SYNTAX_ERROR) (version ${version})`,
      );
    // A server refuses an empty query; the embedded engine would answer nothing.
    if (sql.trim() === "") return syntaxError("Empty query");
    const shape = statementShape(sql);
    // The engine would run every statement of the text; a server parses one (and a second one
    // could change the session, or write behind a GET's read-only first statement).
    if (shape.secondAt !== undefined)
      return syntaxError(
        `Syntax error (Multi-statements are not allowed): failed at position ${shape.end + 1}`,
      );
    const kind = statementKind(shape);
    const word2 = (shape.words[1] ?? "").toUpperCase();
    // Over HTTP without a session a SET lasts for its own request, which has nothing else to
    // run: it must not reach the shared session (a `readonly` there could never be undone, a
    // `max_result_rows` would refuse every later query). The engine still judges the
    // assignments (unknown setting, bad value), as a SETTINGS clause of a statement that does
    // nothing. SET ROLE / DEFAULT ROLE / TRANSACTION are other statements and run as they are.
    const query =
      kind === "set" && !["ROLE", "DEFAULT", "TRANSACTION"].includes(word2)
        ? `SELECT 1 FORMAT Null SETTINGS ${sql.slice(shape.afterFirst, shape.end)}`
        : sql;
    const isInsert = kind === "write" && shape.words[0]?.toUpperCase() === "INSERT";
    const previous = current;
    // The parameter's text is kept verbatim: ClickHouse parses it as it parses `param_x=`.
    const params = Object.entries(req.params ?? {}).filter(([k]) => IDENTIFIER.test(k));
    let temporariesBefore: Set<string> | undefined;
    try {
      await run(`USE ${quoteIdent(req.database || "default")}`);
      if (isTemporaryTable(shape)) temporariesBefore = await temporaries();
      if (params.length > 0)
        await run(params.map(([k, v]) => `SET param_${k} = ${literal(v)}`).join("; "));
      const insertedBefore = isInsert ? await insertedSoFar() : undefined;
      const defaultFormat = req.defaultFormat || "TabSeparated";
      const rs = await withSettings(
        req.settings ?? {},
        () =>
          client.exec({
            query,
            ...(req.queryId ? { query_id: req.queryId } : {}),
            // Any format name goes through: the engine is the judge of it.
            clickhouse_settings: { default_format: defaultFormat as DataFormat },
          }),
        true,
      );
      let summary = rs.summary ? JSON.stringify(rs.summary) : undefined;
      if (insertedBefore) {
        // The engine reports no written rows (its summary says 0 for every INSERT); the
        // process's counters do, views' target tables included, as a server counts them. What
        // the INSERT read is not known: those fields are left out rather than guessed.
        const after = await insertedSoFar();
        summary = JSON.stringify({
          written_rows: String(after.rows - insertedBefore.rows),
          written_bytes: String(after.bytes - insertedBefore.bytes),
          ...(rs.summary?.elapsed_ns !== undefined ? { elapsed_ns: rs.summary.elapsed_ns } : {}),
        });
      }
      const format = outputFormat(sql, defaultFormat);
      return {
        ok: true,
        body: rs.stream,
        queryId: rs.query_id,
        contentType: contentTypeOf(format),
        ...(format !== undefined ? { format } : {}),
        timezone,
        ...(summary !== undefined ? { summary } : {}),
      };
    } catch (e) {
      if (e instanceof UnknownSetting)
        return failure(
          115,
          "UNKNOWN_SETTING",
          `Code: 115. DB::Exception: Unknown setting '${e.setting}'. (UNKNOWN_SETTING) (version ${version})`,
        );
      const f = failureOf(e, version);
      if (f) return f;
      throw e;
    } finally {
      // A parameter set on the session would stay for every later statement, and the engine
      // has no statement that unsets one; a statement with bound parameters leaves the
      // session with none (chDB sets and clears them around it), so one runs here.
      if (params.length > 0)
        await client.command({
          query: "SELECT {moose_clear_parameters:UInt8} FORMAT Null",
          query_params: { moose_clear_parameters: 0 },
        });
      // A temporary table lives in its session; without session_id a request is its own.
      if (temporariesBefore) {
        const created = [...(await temporaries())].filter((n) => !temporariesBefore?.has(n));
        for (const n of created) await run(`DROP TEMPORARY TABLE IF EXISTS ${quoteIdent(n)}`);
      }
      // The statement may have dropped the database the session was in, or moved it (USE):
      // whatever it did, the session goes back to where it was.
      current = "";
      await use(previous).catch(() => use("default"));
    }
  };

  return { use, withSettings, exec };
};

class UnknownSetting extends Error {
  constructor(readonly setting: string) {
    super(`Unknown setting '${setting}'`);
  }
}

const headerText = (h: Headers, name: string): string | undefined => h.get(name) ?? undefined;

/**
 * Forwards one request to a ClickHouse server with the target's own credentials, keeping the
 * request's parameters as they came (a server parses them itself) and answering with its bytes.
 */
export const httpExec = async (
  target: Extract<ClickHouseTarget, { kind: "http" }>,
  req: ExecRequest,
): Promise<ExecOutcome> => {
  const url = new URL(target.url);
  const sp = url.searchParams;
  if (req.query !== "") sp.set("query", req.query);
  if (req.database !== undefined) sp.set("database", req.database);
  if (req.defaultFormat) sp.set("default_format", req.defaultFormat);
  if (req.queryId) sp.set("query_id", req.queryId);
  for (const [k, v] of Object.entries(req.settings ?? {})) sp.set(k, v);
  for (const [k, v] of Object.entries(req.params ?? {})) sp.set(`param_${k}`, v);
  const auth = Buffer.from(`${target.username}:${target.password}`).toString("base64");
  let res: Response;
  try {
    res = await fetch(url, {
      method: req.readOnly ? "GET" : "POST",
      headers: { Authorization: `Basic ${auth}` },
      ...(req.readOnly ? {} : { body: req.body ?? Buffer.alloc(0) }),
    });
  } catch (e) {
    throw new MooseError(
      "CLICKHOUSE_UNREACHABLE",
      maskSecrets(`Cannot reach ClickHouse at ${target.display} (${errorText(e)})`, [
        target.password,
      ]),
      { hint: "Check that the server is running and the URL (host, port, scheme) is right." },
    );
  }
  const exceptionCode = headerText(res.headers, "x-clickhouse-exception-code");
  if (!res.ok || exceptionCode !== undefined) {
    const text = maskSecrets((await res.text()).trimEnd(), [target.password]);
    const code = Number(exceptionCode ?? /Code: (\d+)\./.exec(text)?.[1] ?? 1002);
    const names = [...text.matchAll(/\(([A-Z][A-Z0-9_]{2,})\)/g)];
    return failure(code, names.at(-1)?.[1] ?? "UNKNOWN_EXCEPTION", text, res.status);
  }
  const format = headerText(res.headers, "x-clickhouse-format");
  const timezone = headerText(res.headers, "x-clickhouse-timezone");
  const summary = headerText(res.headers, "x-clickhouse-summary");
  return {
    ok: true,
    body: res.body ? Readable.fromWeb(res.body) : Readable.from([]),
    queryId: headerText(res.headers, "x-clickhouse-query-id") ?? req.queryId ?? "",
    contentType: headerText(res.headers, "content-type") ?? "text/plain; charset=UTF-8",
    ...(format !== undefined ? { format } : {}),
    ...(timezone !== undefined ? { timezone } : {}),
    ...(summary !== undefined ? { summary } : {}),
  };
};
