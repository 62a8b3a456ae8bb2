import { createHash, timingSafeEqual } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import type { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import zlib from "node:zlib";
import { statementText, type ExecOutcome, type ExecRequest } from "../adapters/clickhouse-exec";
import { MooseError, errorText } from "../errors";
import { changesSchema, statementShape } from "../core/sql-statement";
import {
  chooseEncoding,
  exceptionText,
  httpQuery,
  httpStatusOf,
  readonlyLevel,
  readonlyRefusal,
  type Encoding,
} from "./clickhouse-http";

/** What the endpoint needs of the database: the dev session's own connection (`connectClickHouse`). */
export interface EndpointEngine {
  exec(req: ExecRequest): Promise<ExecOutcome>;
}

export interface EndpointOptions {
  /** Shared with the dev session: the endpoint never opens the database a second time. */
  engine: EndpointEngine;
  /** Default 18123; 0 takes a free port. */
  port?: number;
  /** Default 127.0.0.1 (local development only). */
  host?: string;
  /** The credentials clients must present (`[clickhouse_config] user`, `password`). */
  user: string;
  password: string;
  /** Failures that are not ClickHouse's answer (upstream unreachable, a broken response). */
  onError?: (e: unknown) => void;
  /**
   * Called after a request's DDL statement (CREATE, ALTER, DROP, RENAME, TRUNCATE, EXCHANGE,
   * ATTACH, DETACH; not a temporary table) succeeded: the schema the owner knows is stale.
   */
  onSchemaChange?: () => void;
}

export interface Endpoint {
  /** `http://127.0.0.1:<port>` */
  url: string;
  port: number;
  /** Stops accepting, drops open connections; resolves within a second. */
  close(): Promise<void>;
}

export const DEFAULT_ENDPOINT_PORT = 18123;

/** A refusal in ClickHouse's words; `status` defaults to ClickHouse's mapping of the code. */
class HttpFailure extends Error {
  constructor(
    readonly code: number,
    /** ClickHouse's exception name, e.g. AUTHENTICATION_FAILED. */
    readonly exception: string,
    readonly reason: string,
  ) {
    super(reason);
  }
}

const digest = (s: string) => createHash("sha256").update(s).digest();
const same = (a: string, b: string) => timingSafeEqual(digest(a), digest(b));

/**
 * The user and password of a request, by ClickHouse's rules (authenticateUserByHTTP): the
 * X-ClickHouse-User/Key headers, or Basic auth, or the `user`/`password` parameters (default
 * user `default`, empty password); mixing two ways is refused.
 */
const credentialsOf = (req: http.IncomingMessage, sp: URLSearchParams) => {
  const header = (n: string) => {
    const v = req.headers[n];
    return Array.isArray(v) ? v[0] : v;
  };
  const hUser = header("x-clickhouse-user") ?? "";
  const hKey = header("x-clickhouse-key") ?? "";
  const authorization = header("authorization");
  const inParams = sp.has("user") || sp.has("password");
  const mixed = (a: string, b: string) =>
    new HttpFailure(
      516,
      "AUTHENTICATION_FAILED",
      `Invalid authentication: it is not allowed to use ${a} and ${b} simultaneously`,
    );
  const emptyUser = (from: string) =>
    new HttpFailure(516, "AUTHENTICATION_FAILED", `Got an empty user name from ${from}`);
  if (hUser !== "" || hKey !== "") {
    if (authorization !== undefined)
      throw mixed("X-ClickHouse HTTP headers", "Authorization HTTP header");
    if (inParams) throw mixed("X-ClickHouse HTTP headers", "authentication via parameters");
    if (hUser === "") throw emptyUser("X-ClickHouse HTTP headers");
    return { user: hUser, password: hKey };
  }
  if (authorization !== undefined) {
    if (inParams) throw mixed("Authorization HTTP header", "authentication via parameters");
    const [scheme = "", info = ""] = authorization.trim().split(/\s+/, 2);
    if (scheme.toLowerCase() !== "basic")
      throw new HttpFailure(
        516,
        "AUTHENTICATION_FAILED",
        `Invalid authentication: '${scheme}' HTTP Authorization scheme is not supported`,
      );
    const decoded = Buffer.from(info, "base64").toString("utf8");
    const colon = decoded.indexOf(":");
    const user = colon < 0 ? decoded : decoded.slice(0, colon);
    if (user === "") throw emptyUser("Authorization HTTP header");
    return { user, password: colon < 0 ? "" : decoded.slice(colon + 1) };
  }
  const user = sp.get("user") ?? "default";
  if (user === "") throw emptyUser("authentication via parameters");
  return { user, password: sp.get("password") ?? "" };
};

const readBody = async (req: http.IncomingMessage): Promise<Buffer> => {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
};

/** A request body sent with Content-Encoding (clients compress INSERT data this way). */
const decodeBody = async (raw: Buffer, encoding: string | undefined): Promise<Buffer> => {
  const e = (encoding ?? "").trim().toLowerCase();
  const inflate = (fn: (b: Buffer, cb: (err: Error | null, out: Buffer) => void) => void) =>
    new Promise<Buffer>((resolve, reject) =>
      fn(raw, (err, out) => (err ? reject(err) : resolve(out))),
    );
  try {
    if (e === "" || e === "identity" || e === "none") return raw;
    if (e === "gzip" || e === "x-gzip") return await inflate(zlib.gunzip);
    if (e === "deflate") return await inflate(zlib.inflate);
    if (e === "br") return await inflate(zlib.brotliDecompress);
  } catch (err) {
    throw new HttpFailure(
      e === "br" ? 448 : 354,
      e === "br" ? "BROTLI_READ_FAILED" : "ZLIB_INFLATE_FAILED",
      `Cannot decompress the request body (${e}): ${errorText(err)}`,
    );
  }
  throw new HttpFailure(
    48,
    "NOT_IMPLEMENTED",
    `Request body compression '${e}' is not supported by moose dev's endpoint (use gzip, deflate or br)`,
  );
};

const compressor = (encoding: Encoding, level: number | undefined) =>
  encoding === "br"
    ? zlib.createBrotliCompress()
    : encoding === "gzip"
      ? zlib.createGzip(level !== undefined ? { level } : {})
      : zlib.createDeflate(level !== undefined ? { level } : {});

const OK = "Ok.\n";

/**
 * Serves the dev database over ClickHouse's HTTP interface on 127.0.0.1, so
 * `@clickhouse/client`, curl, the user's app and other `moose` processes use it unchanged.
 * Every statement goes through `engine.exec` (the dev session's connection, which serializes
 * them on the embedded engine or forwards them to a server).
 */
export const startEndpoint = async (opts: EndpointOptions): Promise<Endpoint> => {
  const host = opts.host ?? "127.0.0.1";
  const wanted = opts.port ?? DEFAULT_ENDPOINT_PORT;
  let version: Promise<string> | undefined;
  // The engine's version, for the endpoint's own exceptions (ClickHouse ends each with it).
  const engineVersion = () =>
    (version ??= opts.engine
      .exec({ query: "SELECT version()", defaultFormat: "TabSeparated" })
      .then(async (o) => (o.ok ? (await readAll(o.body)).toString("utf8").trim() : ""))
      .catch(() => ""));

  const sendException = (
    res: http.ServerResponse,
    code: number,
    text: string,
    status = httpStatusOf(code),
  ): void => {
    if (res.headersSent) return void res.destroy();
    res.writeHead(status, {
      "Content-Type": "text/plain; charset=UTF-8",
      "X-ClickHouse-Exception-Code": String(code),
    });
    res.end(`${text}\n`);
  };

  const answer = async (
    res: http.ServerResponse,
    outcome: ExecOutcome,
    encoding?: Encoding,
    level?: number,
  ) => {
    if (!outcome.ok) return sendException(res, outcome.code, outcome.text, outcome.status);
    const headers: http.OutgoingHttpHeaders = {
      "Content-Type": outcome.contentType,
      "X-ClickHouse-Query-Id": outcome.queryId,
      ...(outcome.format !== undefined ? { "X-ClickHouse-Format": outcome.format } : {}),
      ...(outcome.timezone !== undefined ? { "X-ClickHouse-Timezone": outcome.timezone } : {}),
      ...(outcome.summary !== undefined ? { "X-ClickHouse-Summary": outcome.summary } : {}),
      ...(encoding ? { "Content-Encoding": encoding } : {}),
    };
    res.writeHead(200, headers);
    try {
      await (encoding
        ? pipeline(outcome.body, compressor(encoding, level), res)
        : pipeline(outcome.body, res));
    } catch (e) {
      // A client that went away mid-answer is not a failure worth reporting.
      if ((e as { code?: unknown }).code !== "ERR_STREAM_PREMATURE_CLOSE") opts.onError?.(e);
      res.destroy();
    }
  };

  const handleQuery = async (req: http.IncomingMessage, res: http.ServerResponse, url: URL) => {
    const header = (n: string) => {
      const v = req.headers[n];
      return Array.isArray(v) ? v[0] : v;
    };
    const { user, password } = credentialsOf(req, url.searchParams);
    if (!(same(user, opts.user) && same(password, opts.password)))
      throw new HttpFailure(
        516,
        "AUTHENTICATION_FAILED",
        `${user}: Authentication failed: password is incorrect, or there is no user with such name`,
      );
    if ((header("content-type") ?? "").startsWith("multipart/form-data"))
      throw new HttpFailure(
        48,
        "NOT_IMPLEMENTED",
        "multipart/form-data requests (external tables, multipart query parameters) are not supported by moose dev's endpoint",
      );
    const q = httpQuery(url.searchParams, header);
    const body =
      req.method === "POST"
        ? await decodeBody(await readBody(req), header("content-encoding"))
        : undefined;
    const shape = statementShape(statementText({ query: q.query, ...(body ? { body } : {}) }));
    // Refused here rather than by a `readonly` setting: on the embedded engine that setting
    // would stay on the session the dev session shares, and could never be changed back.
    const refusal = readonlyRefusal(
      shape,
      readonlyLevel(req.method ?? "GET", q.settings),
      req.method === "GET",
      user,
    );
    if (refusal !== undefined) throw new HttpFailure(164, "READONLY", refusal);
    const outcome = await opts.engine.exec({
      query: q.query,
      ...(body ? { body } : {}),
      ...(q.database !== undefined ? { database: q.database } : {}),
      ...(q.defaultFormat !== undefined ? { defaultFormat: q.defaultFormat } : {}),
      ...(q.queryId !== undefined ? { queryId: q.queryId } : {}),
      settings: q.settings,
      params: q.params,
      readOnly: req.method === "GET",
    });
    const encoding = q.compress ? chooseEncoding(header("accept-encoding")) : undefined;
    // Before the answer: a client that reads the schema right after its DDL finds it known.
    if (outcome.ok && changesSchema(shape)) {
      try {
        opts.onSchemaChange?.();
      } catch (e) {
        opts.onError?.(e);
      }
    }
    await answer(res, outcome, encoding, q.compressionLevel);
  };

  const handle = async (req: http.IncomingMessage, res: http.ServerResponse) => {
    const url = new URL(req.url ?? "/", "http://localhost");
    const method = req.method ?? "GET";
    const health =
      url.pathname === "/ping" ||
      url.pathname === "/replicas_status" ||
      (url.pathname === "/" && url.search === "");
    if (health && (method === "GET" || method === "HEAD")) {
      res.writeHead(200, { "Content-Type": "text/html; charset=UTF-8" });
      res.end(method === "HEAD" ? undefined : OK);
      return;
    }
    if (method !== "GET" && method !== "POST") {
      res.writeHead(404, { "Content-Type": "text/plain; charset=UTF-8" });
      res.end(`There is no handle ${url.pathname}\n\nUse / or /ping for health checks.\n`);
      return;
    }
    try {
      await handleQuery(req, res, url);
    } catch (e) {
      // A refused request's unread body must not be taken for the next request on the socket.
      req.resume();
      if (e instanceof HttpFailure) {
        sendException(
          res,
          e.code,
          exceptionText(e.code, e.exception, e.reason, await engineVersion()),
        );
        return;
      }
      opts.onError?.(e);
      if (res.headersSent) return void res.destroy();
      // Not ClickHouse's answer (e.g. the upstream server is unreachable): no exception code.
      res.writeHead(e instanceof MooseError && e.code === "CLICKHOUSE_UNREACHABLE" ? 502 : 500, {
        "Content-Type": "text/plain; charset=UTF-8",
      });
      res.end(`${errorText(e)}\n`);
    }
  };

  const server = http.createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      opts.onError?.(e);
      res.destroy();
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(wanted, host, () => {
      server.off("error", reject);
      resolve();
    });
  }).catch((e: unknown) => {
    throw portError(e, wanted, host);
  });

  const port = (server.address() as AddressInfo).port;
  let closing: Promise<void> | undefined;
  return {
    url: `http://${host}:${port}`,
    port,
    close: () =>
      (closing ??= new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 1000);
        timer.unref();
        server.close(() => {
          clearTimeout(timer);
          resolve();
        });
        // Keep-alive sockets (clients' pools) would hold the server open.
        server.closeAllConnections();
      })),
  };
};

const readAll = async (s: Readable): Promise<Buffer> => {
  const chunks: Buffer[] = [];
  for await (const c of s) chunks.push(Buffer.isBuffer(c) ? c : Buffer.from(c as Uint8Array));
  return Buffer.concat(chunks);
};

const portError = (e: unknown, port: number, host: string): MooseError => {
  const code = (e as { code?: unknown }).code;
  if (code === "EADDRINUSE")
    return new MooseError(
      "DEV_PORT_IN_USE",
      `Port ${port} on ${host} is already in use: moose dev cannot serve its database there`,
      {
        hint: `Stop the other process using port ${port} (another moose dev?), or run moose dev --port <other>.`,
        cause: e,
      },
    );
  return new MooseError(
    "DEV_PORT_UNAVAILABLE",
    `moose dev cannot listen on ${host}:${port}: ${errorText(e)}`,
    { hint: "Choose another port with moose dev --port <port>.", cause: e },
  );
};
