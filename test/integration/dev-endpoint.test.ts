import { spawn } from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import zlib from "node:zlib";
import { ClickHouseLogLevel, createClient, type ClickHouseClient } from "@clickhouse/client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectClickHouse, type ClickHouseConnection } from "../../src/adapters/clickhouse";
import { startEndpoint, type Endpoint } from "../../src/dev/endpoint";
import { MooseError } from "../../src/errors";

// One engine directory per test file: chDB binds one directory per process.
const DIR = path.join(os.tmpdir(), `moose-dev-endpoint-${process.pid}`);
const USER = "panda";
const PASSWORD = "pandapass";

let conn: ClickHouseConnection;
let ep: Endpoint;
let client: ClickHouseClient;
const clients: ClickHouseClient[] = [];

const clientFor = (url: string, extra: Parameters<typeof createClient>[0] = {}) => {
  // Refusals are expected here; the client's logger would print each one.
  const c = createClient({
    url,
    username: USER,
    password: PASSWORD,
    log: { level: ClickHouseLogLevel.OFF },
    ...extra,
  });
  clients.push(c);
  return c;
};

/** The client library's error for a failing promise. */
const failure = async (p: Promise<unknown>) =>
  p.then(
    () => {
      throw new Error("expected a failure");
    },
    (e: unknown) => e as Error & { code?: string; type?: string },
  );

const basic = (user: string, password: string) =>
  `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}`;

/** A raw request (no transparent decompression), for headers and bytes as sent. */
const raw = (url: string, headers: Record<string, string>, body?: string) =>
  new Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }>(
    (resolve, reject) => {
      const req = http.request(url, { method: body ? "POST" : "GET", headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks),
          }),
        );
      });
      req.on("error", reject);
      req.end(body);
    },
  );

beforeAll(async () => {
  fs.rmSync(DIR, { recursive: true, force: true });
  conn = connectClickHouse({
    kind: "chdb",
    path: DIR,
    database: "default",
    display: "chdb://test",
  });
  ep = await startEndpoint({ engine: conn, port: 0, user: USER, password: PASSWORD });
  client = clientFor(ep.url);
  await conn.command("CREATE DATABASE IF NOT EXISTS ep_a");
  await conn.command("CREATE DATABASE IF NOT EXISTS ep_b");
});

afterAll(async () => {
  for (const c of clients) await c.close();
  await ep?.close();
  await conn?.close();
  fs.rmSync(DIR, { recursive: true, force: true });
});

describe("moose dev's ClickHouse HTTP endpoint on the embedded engine", () => {
  it("answers health checks like ClickHouse", async () => {
    expect((await client.ping()).success).toBe(true);
    for (const p of ["/ping", "/", "/replicas_status"]) {
      const r = await fetch(`${ep.url}${p}`);
      expect(r.status).toBe(200);
      expect(await r.text()).toBe("Ok.\n");
    }
  });

  it("creates, inserts and selects through @clickhouse/client", async () => {
    await client.command({
      query:
        "CREATE TABLE ep_a.events (id UInt32, name String, at DateTime) ENGINE = MergeTree ORDER BY id",
    });
    await client.insert({
      table: "ep_a.events",
      values: [
        { id: 1, name: "one", at: "2026-01-01 00:00:00" },
        { id: 2, name: "two\tthree 'q' \\", at: "2026-01-02 00:00:00" },
        { id: 3, name: "ü", at: "2026-01-03 00:00:00" },
      ],
      format: "JSONEachRow",
    });
    const rs = await client.query({ query: "SELECT id, name FROM ep_a.events ORDER BY id" });
    expect(await rs.json<{ id: number; name: string }>()).toMatchObject({
      data: [
        { id: 1, name: "one" },
        { id: 2, name: "two\tthree 'q' \\" },
        { id: 3, name: "ü" },
      ],
      rows: 3,
    });
  });

  it("binds query parameters exactly as a server does", async () => {
    const rs = await client.query({
      query: "SELECT {x:UInt32} + 1 AS y, {s:String} AS s, {a:Array(String)} AS a",
      query_params: { x: 41, s: "tab\there 'quote' back\\slash\nline", a: ["it's", "b\\c"] },
      format: "JSONEachRow",
    });
    expect(await rs.json()).toEqual([
      { y: 42, s: "tab\there 'quote' back\\slash\nline", a: ["it's", "b\\c"] },
    ]);
  });

  it("resolves unqualified names in the client's database", async () => {
    const b = clientFor(ep.url, { database: "ep_b" });
    await b.command({ query: "CREATE TABLE kv (k String, v UInt8) ENGINE = MergeTree ORDER BY k" });
    await b.insert({ table: "kv", values: [{ k: "a", v: 1 }], format: "JSONEachRow" });
    const rs = await b.query({
      query: "SELECT currentDatabase() AS db, * FROM kv",
      format: "JSONEachRow",
    });
    expect(await rs.json()).toEqual([{ db: "ep_b", k: "a", v: 1 }]);
    // The dev session's own connection is not moved to the request's database.
    expect(await conn.query("SELECT currentDatabase() AS db")).toEqual([{ db: "default" }]);
  });

  it("reports ClickHouse's errors with their code, name and HTTP status", async () => {
    const syntax = await failure(client.query({ query: "SELEC 1" }));
    expect(syntax.code).toBe("62");
    expect(syntax.type).toBe("SYNTAX_ERROR");

    const unknown = await failure(client.query({ query: "SELECT * FROM ep_a.nope" }));
    expect(unknown.code).toBe("60");
    expect(unknown.type).toBe("UNKNOWN_TABLE");

    const r = await fetch(`${ep.url}/?user=${USER}&password=${PASSWORD}`, {
      method: "POST",
      body: "SELECT * FROM ep_a.nope",
    });
    expect(r.status).toBe(404);
    expect(r.headers.get("x-clickhouse-exception-code")).toBe("60");
    expect(await r.text()).toMatch(
      /^Code: 60\. DB::Exception: .*\(UNKNOWN_TABLE\) \(version \d+\.\d+[\d.]*\)\n$/s,
    );

    const bad = await fetch(`${ep.url}/?user=${USER}&password=${PASSWORD}`, {
      method: "POST",
      body: "SELEC 1",
    });
    expect(bad.status).toBe(400);
  });

  it("refuses wrong credentials and accepts every way ClickHouse takes them", async () => {
    const wrong = clientFor(ep.url, { password: "nope" });
    const e = await failure(wrong.query({ query: "SELECT 1" }));
    expect(e.code).toBe("516");
    expect(e.type).toBe("AUTHENTICATION_FAILED");

    const anonymous = await fetch(`${ep.url}/?query=SELECT%201`);
    expect(anonymous.status).toBe(403);
    const text = await anonymous.text();
    expect(text).toMatch(/^Code: 516\. DB::Exception: default: Authentication failed/);
    expect(text).not.toContain(PASSWORD);

    const headers = await fetch(`${ep.url}/?query=SELECT%201`, {
      headers: { "X-ClickHouse-User": USER, "X-ClickHouse-Key": PASSWORD },
    });
    expect([headers.status, await headers.text()]).toEqual([200, "1\n"]);

    const params = await fetch(`${ep.url}/?query=SELECT%202&user=${USER}&password=${PASSWORD}`);
    expect([params.status, await params.text()]).toEqual([200, "2\n"]);

    const mixed = await fetch(`${ep.url}/?query=SELECT%201&user=${USER}`, {
      headers: { Authorization: basic(USER, PASSWORD) },
    });
    expect(mixed.status).toBe(403);
    expect(mixed.headers.get("x-clickhouse-exception-code")).toBe("516");
  });

  it("answers in TabSeparated by default, in default_format when given, and GET ?query=", async () => {
    const auth = { Authorization: basic(USER, PASSWORD) };
    const tsv = await fetch(ep.url, { method: "POST", headers: auth, body: "SELECT 1, 'a'" });
    expect(await tsv.text()).toBe("1\ta\n");
    expect(tsv.headers.get("x-clickhouse-format")).toBe("TabSeparated");

    const json = await fetch(`${ep.url}/?default_format=JSONEachRow`, {
      method: "POST",
      headers: auth,
      body: "SELECT 1 AS n",
    });
    expect(await json.text()).toBe('{"n":1}\n');
    expect(json.headers.get("x-clickhouse-format")).toBe("JSONEachRow");

    const get = await fetch(
      `${ep.url}/?query=${encodeURIComponent("SELECT count() FROM ep_a.events")}`,
      {
        headers: auth,
      },
    );
    expect(await get.text()).toBe("3\n");
    expect(get.headers.get("x-clickhouse-query-id")).toBeTruthy();
    expect(JSON.parse(get.headers.get("x-clickhouse-summary") ?? "{}")).toHaveProperty("read_rows");

    // INSERT … FORMAT in the query parameter, the rows in the body.
    const insert = await fetch(
      `${ep.url}/?query=${encodeURIComponent("INSERT INTO ep_a.events FORMAT CSV")}`,
      { method: "POST", headers: auth, body: '4,"four","2026-01-04 00:00:00"\n' },
    );
    expect(insert.status).toBe(200);
  });

  it("compresses the response when asked and reads compressed request bodies", async () => {
    const r = await raw(
      `${ep.url}/?enable_http_compression=1&query=${encodeURIComponent("SELECT number FROM numbers(1000)")}`,
      { Authorization: basic(USER, PASSWORD), "Accept-Encoding": "gzip" },
    );
    expect(r.headers["content-encoding"]).toBe("gzip");
    const lines = zlib.gunzipSync(r.body).toString("utf8").trim().split("\n");
    expect(lines).toHaveLength(1000);

    const plain = await raw(`${ep.url}/?query=SELECT%201`, {
      Authorization: basic(USER, PASSWORD),
      "Accept-Encoding": "gzip",
    });
    expect(plain.headers["content-encoding"]).toBeUndefined();

    const zipped = clientFor(ep.url, { compression: { request: true, response: true } });
    await zipped.insert({
      table: "ep_a.events",
      values: [{ id: 5, name: "five", at: "2026-01-05 00:00:00" }],
      format: "JSONEachRow",
    });
    const rs = await zipped.query({
      query: "SELECT name FROM ep_a.events WHERE id = 5",
      format: "JSONEachRow",
    });
    expect(await rs.json()).toEqual([{ name: "five" }]);
  });

  it("keeps a request's settings and SET statements out of the session", async () => {
    const auth = { Authorization: basic(USER, PASSWORD) };
    const r = await fetch(`${ep.url}/?max_result_rows=7&database=ep_b`, {
      method: "POST",
      headers: auth,
      body: "SELECT getSetting('max_result_rows'), currentDatabase()",
    });
    expect(await r.text()).toBe("7\tep_b\n");
    await fetch(ep.url, { method: "POST", headers: auth, body: "SET max_threads = 3" });
    expect(
      await conn.query(
        "SELECT toString(getSetting('max_result_rows')) AS r, toString(getSetting('max_threads')) != '3' AS t, currentDatabase() AS db",
      ),
    ).toEqual([{ r: "0", t: 1, db: "default" }]);
    // readonly is not applied on the embedded engine: it would lock the shared session.
    const ro = await fetch(`${ep.url}/?readonly=1&query=SELECT%201`, { headers: auth });
    expect(await ro.text()).toBe("1\n");
    // A request may drop the database the session was in: the session falls back to default.
    await conn.command("CREATE DATABASE ep_gone");
    await conn.command("CREATE TABLE t (x UInt8) ENGINE = Memory", { database: "ep_gone" });
    const drop = await fetch(ep.url, {
      method: "POST",
      headers: auth,
      body: "DROP DATABASE ep_gone",
    });
    expect(drop.status).toBe(200);
    await conn.command("CREATE TABLE IF NOT EXISTS ep_a.after_drop (x UInt8) ENGINE = Memory", {
      waitForMutation: true,
    });
    const unknown = await fetch(`${ep.url}/?no_such_setting=1&query=SELECT%201`, { headers: auth });
    expect([unknown.status, unknown.headers.get("x-clickhouse-exception-code")]).toEqual([
      404,
      "115",
    ]);
  });

  it("starts every request from the session's baseline, whatever the previous one did", async () => {
    const post = (body: string, search = "") =>
      fetch(`${ep.url}/${search}`, {
        method: "POST",
        headers: { Authorization: basic(USER, PASSWORD) },
        body,
      });
    const five = async () =>
      (await (await post("SELECT number FROM numbers(5)")).text()).trim().split("\n").length;

    // A SET statement lasts for its own request (no session_id), as on a server.
    const set = await post("SET max_result_rows=2, result_overflow_mode='throw'");
    expect(set.status).toBe(200);
    expect(await (await post("SELECT 1")).text()).toBe("1\n");
    expect(await five()).toBe(5);
    expect(await conn.query("SELECT number FROM numbers(5)")).toHaveLength(5);
    // `readonly` would lock the shared session for good.
    expect((await post("SET readonly = 1")).status).toBe(200);
    expect((await post("CREATE TABLE ep_a.after_ro (x UInt8) ENGINE = Memory")).status).toBe(200);
    // The engine still judges a SET, in ClickHouse's words (said once).
    const unknown = await post("SET no_such_setting = 1");
    expect([unknown.status, unknown.headers.get("x-clickhouse-exception-code")]).toEqual([
      404,
      "115",
    ]);
    expect(await unknown.text()).toMatch(
      /^Code: 115\. DB::Exception: Unknown setting 'no_such_setting'\. \(UNKNOWN_SETTING\) \(version [\d.]+\)\n$/,
    );

    // URL settings that would refuse (or cut) the session's own read of system.settings.
    const limited = await post(
      "SELECT number FROM numbers(5)",
      "?max_result_rows=2&result_overflow_mode=throw",
    );
    expect(limited.headers.get("x-clickhouse-exception-code")).toBe("396");
    await limited.text();
    expect(await (await post("SELECT number FROM numbers(5)", "?limit=1")).text()).toBe("0\n");
    expect(await five()).toBe(5);

    // Query parameters: from the URL or a SET, gone with the request.
    expect(await (await post("SELECT {x:String}", "?param_x=abc")).text()).toBe("abc\n");
    const unbound = await post("SELECT {x:String}");
    expect(unbound.headers.get("x-clickhouse-exception-code")).toBe("456");
    await unbound.text();
    expect((await post("SET param_y = 'v'")).status).toBe(200);
    const unboundY = await post("SELECT {y:String}");
    expect(unboundY.headers.get("x-clickhouse-exception-code")).toBe("456");
    await unboundY.text();

    // USE moves only its own request.
    expect((await post("USE system")).status).toBe(200);
    expect(await (await post("SELECT currentDatabase()")).text()).toBe("default\n");

    // A temporary table lives in its request's session, which ends with the request.
    expect((await post("CREATE TEMPORARY TABLE ep_tmp (a UInt8) ENGINE = Memory")).status).toBe(
      200,
    );
    expect(await (await post("EXISTS TEMPORARY TABLE ep_tmp")).text()).toBe("0\n");

    // One statement per request, as a server parses it (a second could change the session).
    const multi = await post("SELECT 1; SET max_result_rows = 1");
    expect([multi.status, multi.headers.get("x-clickhouse-exception-code")]).toEqual([400, "62"]);
    expect(await multi.text()).toContain("Multi-statements are not allowed");
    expect(await (await post("SELECT ';' AS `;` /* ; */ ; -- ;\n")).text()).toBe(";\n");
    expect(await five()).toBe(5);
  });

  it("runs GET requests and readonly=1 read-only, refusing writes as ClickHouse does", async () => {
    await conn.command("CREATE TABLE IF NOT EXISTS ep_a.keep (x UInt8) ENGINE = Memory");
    const get = (query: string, extra = "") =>
      fetch(`${ep.url}/?query=${encodeURIComponent(query)}${extra}`, {
        headers: { Authorization: basic(USER, PASSWORD) },
      });
    for (const write of [
      "DROP TABLE ep_a.keep",
      "  /* why */ -- not\n INSERT INTO ep_a.keep VALUES (1)",
      "CREATE TABLE ep_a.made (x UInt8) ENGINE = Memory",
      "ALTER TABLE ep_a.keep ADD COLUMN y UInt8",
      "TRUNCATE TABLE ep_a.keep",
      "OPTIMIZE TABLE ep_a.keep",
      "SYSTEM DROP DNS CACHE",
    ]) {
      const r = await get(write);
      expect([r.status, r.headers.get("x-clickhouse-exception-code")], write).toEqual([500, "164"]);
      expect(await r.text()).toMatch(
        /^Code: 164\. DB::Exception: panda: Cannot execute query in readonly mode\. For queries over HTTP, method GET implies readonly\. You should use method POST for modifying queries\. \(READONLY\) \(version [\d.]+\)\n$/,
      );
    }
    expect(
      await conn.query(
        "SELECT name FROM system.tables WHERE database = 'ep_a' AND name IN ('keep', 'made')",
      ),
    ).toEqual([{ name: "keep" }]);
    // Reads, and what readonly = 2 allows (a SET, USE).
    for (const [read, out] of [
      ["SELECT 1", "1\n"],
      ["(SELECT 2)", "2\n"],
      ["WITH 3 AS x SELECT x", "3\n"],
      ["EXISTS TABLE ep_a.keep", "1\n"],
      ["DESCRIBE TABLE ep_a.keep", "x\tUInt8\t\t\t\t\t\n"],
      ["SET max_threads = 1", ""],
      ["USE ep_a", ""],
    ]) {
      const r = await get(read!);
      expect([r.status, await r.text()], read).toEqual([200, out]);
    }
    // A GET cannot write behind a read.
    const behind = await get("SELECT 1; DROP TABLE ep_a.keep");
    expect(behind.headers.get("x-clickhouse-exception-code")).toBe("62");
    await behind.text();

    // readonly=1 in the URL: the same refusal without the GET advice, and no SET.
    const post = (body: string) =>
      fetch(`${ep.url}/?readonly=1`, {
        method: "POST",
        headers: { Authorization: basic(USER, PASSWORD) },
        body,
      });
    const drop = await post("DROP TABLE ep_a.keep");
    expect([drop.status, drop.headers.get("x-clickhouse-exception-code")]).toEqual([500, "164"]);
    expect(await drop.text()).toMatch(
      /^Code: 164\. DB::Exception: panda: Cannot execute query in readonly mode\. \(READONLY\)/,
    );
    const set = await post("SET max_threads = 1");
    expect(await set.text()).toMatch(/Cannot modify 'max_threads' setting in readonly mode/);
    expect(await (await post("SELECT count() FROM ep_a.keep")).text()).toBe("0\n");
  });

  it("reports the rows an INSERT wrote in X-ClickHouse-Summary", async () => {
    await client.command({
      query: "CREATE TABLE ep_a.written (id UInt32) ENGINE = MergeTree ORDER BY id",
    });
    const inserted = await client.insert({
      table: "ep_a.written",
      values: Array.from({ length: 1000 }, (_, id) => ({ id })),
      format: "JSONEachRow",
    });
    expect(inserted.summary?.written_rows).toBe("1000");
    expect(Number(inserted.summary?.written_bytes)).toBeGreaterThan(0);
    const selected = await client.command({
      query: "INSERT INTO ep_a.written SELECT number FROM numbers(10)",
    });
    expect(selected.summary?.written_rows).toBe("10");
    // What the engine cannot tell is left out, not reported as 0.
    expect(selected.summary).not.toHaveProperty("read_rows");
  });

  it("tells its owner when a request changed the schema", async () => {
    let changes = 0;
    const own = await startEndpoint({
      engine: conn,
      port: 0,
      user: USER,
      password: PASSWORD,
      onSchemaChange: () => changes++,
    });
    const c = clientFor(own.url);
    try {
      await c.command({ query: "CREATE TABLE ep_a.watched (x UInt8) ENGINE = Memory" });
      expect(changes).toBe(1);
      await c.command({ query: "ALTER TABLE ep_a.watched ADD COLUMN y UInt8" });
      await c.command({ query: "RENAME TABLE ep_a.watched TO ep_a.watched2" });
      expect(changes).toBe(3);
      await c.insert({ table: "ep_a.watched2", values: [{ x: 1, y: 2 }], format: "JSONEachRow" });
      await c.query({ query: "SELECT * FROM ep_a.watched2" });
      await c.command({ query: "CREATE TEMPORARY TABLE t_own (a UInt8) ENGINE = Memory" });
      await failure(c.command({ query: "DROP TABLE ep_a.no_such_table" }));
      expect(changes).toBe(3);
      await c.command({ query: "/* bye */ DROP TABLE ep_a.watched2" });
      expect(changes).toBe(4);
    } finally {
      await own.close();
    }
  });

  it("serves concurrent requests, each with its own database and parameters", async () => {
    const a = clientFor(ep.url, { database: "ep_a" });
    const b = clientFor(ep.url, { database: "ep_b" });
    const requests = Array.from({ length: 20 }, async (_, i) => {
      const c = i % 2 === 0 ? a : b;
      const rs = await c.query({
        query: "SELECT currentDatabase() AS db, {i:UInt32} AS i",
        query_params: { i },
        format: "JSONEachRow",
      });
      return rs.json<{ db: string; i: number }>();
    });
    // The dev session's own statements in between, each in its database (USE + statement).
    const session = Array.from({ length: 5 }, (_, i) =>
      conn.command(`CREATE TABLE IF NOT EXISTS s${i} (x UInt8) ENGINE = Memory`, {
        database: "ep_b",
      }),
    );
    const [results] = await Promise.all([Promise.all(requests), Promise.all(session)]);
    results.forEach((rows, i) => expect(rows).toEqual([{ db: i % 2 === 0 ? "ep_a" : "ep_b", i }]));
    expect(
      await conn.query(
        "SELECT database, count() AS n FROM system.tables WHERE name LIKE 's_' GROUP BY database",
      ),
    ).toEqual([{ database: "ep_b", n: 5 }]);
  });

  it("streams a large result", async () => {
    const r = await fetch(
      `${ep.url}/?query=${encodeURIComponent("SELECT number FROM numbers(1000000)")}`,
      {
        headers: { Authorization: basic(USER, PASSWORD) },
      },
    );
    const text = await r.text();
    expect(text.length).toBe(6_888_890);
    expect(text.endsWith("999999\n")).toBe(true);
  });

  it("serves another process (the multi-process guarantee)", async () => {
    const script = `
const { createClient } = require(${JSON.stringify(require.resolve("@clickhouse/client"))});
(async () => {
  const c = createClient({ url: process.argv[1], username: ${JSON.stringify(USER)}, password: ${JSON.stringify(PASSWORD)} });
  const rs = await c.query({ query: "SELECT count() AS n FROM ep_a.events", format: "JSONEachRow" });
  process.stdout.write(JSON.stringify(await rs.json()));
  await c.close();
})().catch((e) => { process.stderr.write(String(e)); process.exit(1); });
`;
    // Asynchronous: this process serves the endpoint while the child runs.
    const out = await new Promise<string>((resolve, reject) => {
      const child = spawn(process.execPath, ["-e", script, ep.url]);
      let stdout = "";
      let stderr = "";
      child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
      child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
      child.on("error", reject);
      child.on("close", (code) => (code === 0 ? resolve(stdout) : reject(new Error(stderr))));
    });
    expect(JSON.parse(out)).toEqual([{ n: 5 }]); // UInt64 unquoted: the engine's JSON default
  });

  it("forwards to an upstream ClickHouse with the upstream's credentials", async () => {
    const upstream = connectClickHouse({
      kind: "http",
      url: ep.url,
      username: USER,
      password: PASSWORD,
      database: "default",
      display: ep.url,
    });
    const proxy = await startEndpoint({
      engine: upstream,
      port: 0,
      user: "dev",
      password: "devpass",
    });
    try {
      const c = clientFor(proxy.url, { username: "dev", password: "devpass", database: "ep_a" });
      const rs = await c.query({
        query: "SELECT count() AS n, {s:String} AS s FROM events",
        query_params: { s: "a\tb'c" },
        format: "JSONEachRow",
      });
      expect(await rs.json()).toEqual([{ n: 5, s: "a\tb'c" }]);
      await c.insert({
        table: "events",
        values: [{ id: 6, name: "six", at: "2026-01-06 00:00:00" }],
        format: "JSONEachRow",
      });
      const e = await failure(c.query({ query: "SELEC 1" }));
      expect([e.code, e.type]).toEqual(["62", "SYNTAX_ERROR"]);
      const r = await fetch(`${proxy.url}/?query=SELECT%201`, {
        headers: { Authorization: basic(USER, PASSWORD) },
      });
      expect(r.status).toBe(403); // the proxy's own credentials, not the upstream's
      const get = await fetch(`${proxy.url}/?query=SELECT%203`, {
        headers: { Authorization: basic("dev", "devpass") },
      });
      expect([get.status, await get.text()]).toEqual([200, "3\n"]);
      expect(await conn.query("SELECT count() AS n FROM ep_a.events")).toEqual([{ n: 6 }]);
    } finally {
      await proxy.close();
      await upstream.close();
    }
  });

  it("answers 502 without an exception code when the upstream is unreachable", async () => {
    const gone = await startEndpoint({ engine: conn, port: 0, user: USER, password: PASSWORD });
    await gone.close();
    const upstream = connectClickHouse({
      kind: "http",
      url: gone.url,
      username: USER,
      password: PASSWORD,
      database: "default",
      display: gone.url,
    });
    const errors: unknown[] = [];
    const proxy = await startEndpoint({
      engine: upstream,
      port: 0,
      user: USER,
      password: PASSWORD,
      onError: (e) => errors.push(e),
    });
    try {
      const r = await fetch(`${proxy.url}/?query=SELECT%201`, {
        headers: { Authorization: basic(USER, PASSWORD) },
      });
      expect(r.status).toBe(502);
      expect(r.headers.get("x-clickhouse-exception-code")).toBeNull();
      const text = await r.text();
      expect(text).toContain("Cannot reach ClickHouse");
      expect(text).not.toContain(PASSWORD);
      expect(errors).toHaveLength(1);
    } finally {
      await proxy.close();
      await upstream.close();
    }
  });

  it("frees its port on close, even with keep-alive clients connected", async () => {
    const first = await startEndpoint({ engine: conn, port: 0, user: USER, password: PASSWORD });
    const c = createClient({ url: first.url, username: USER, password: PASSWORD });
    expect((await c.ping()).success).toBe(true);
    const started = Date.now();
    await first.close();
    expect(Date.now() - started).toBeLessThan(1500);
    const again = await startEndpoint({
      engine: conn,
      port: first.port,
      user: USER,
      password: PASSWORD,
    });
    expect(again.port).toBe(first.port);
    await again.close();
    await c.close();
  });

  it("names the port and the way out when it is taken", async () => {
    const e = await failure(
      startEndpoint({ engine: conn, port: ep.port, user: USER, password: PASSWORD }),
    );
    expect(e).toBeInstanceOf(MooseError);
    expect((e as unknown as MooseError).code).toBe("DEV_PORT_IN_USE");
    expect(e.message).toContain(String(ep.port));
    expect((e as unknown as MooseError).hint).toContain("--port");
  });
});
