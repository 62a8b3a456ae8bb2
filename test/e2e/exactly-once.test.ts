/*
 * Steps that must not run twice, killed with SIGKILL through the built CLI: the server (a
 * `moose dev` endpoint in its own process, behind the kill proxy) finishes the dead client's
 * statement on its own. A version bump's BackfillTable over 1M rows ends with every row copied
 * once after one plain rerun; a RawSql INSERT stops the rerun (STEP_OUTCOME_UNKNOWN) until
 * `--resolve … done|rerun`, then the rows are there once. A 1,000-step batched file killed
 * mid-way on the embedded engine resumes and converges.
 */
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { ClickHouseLogLevel, createClient, type ClickHouseClient } from "@clickhouse/client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { foldFiles } from "../../src/core/fold";
import { olapStateHash } from "../../src/core/hash";
import { readMigrations } from "../../src/runtime/migration-store";
import { chdbShell } from "../support/chdb-shell";
import { CLI, cleanEnv, moose } from "../support/cli";
import { startDev, type DevProcess } from "../support/dev";
import { makeProject } from "../support/golden";
import {
  migrateThrough,
  startKillProxy,
  type KillPoint,
  type KillProxy,
} from "../support/kill-proxy";

const DB = "once";
const JOURNAL = "_moose_migrations";
const ROWS = 1_000_000;

const model = (version: string) => `import { OlapTable, Key } from "@514labs/moose-lib";
export interface Ev { id: Key<string>; n: number }
export const TEv = new OlapTable<Ev>("Ev", { orderByFields: ["id"], version: "${version}" });
`;

let server: DevProcess;
let proxy: KillProxy;
let ch: ClickHouseClient;
let direct: string;
let viaProxy: string;
let base: string;
let bumped: string;
let raw: string;
let rawId: string;

const auth = (url: string) => {
  const u = new URL(url);
  u.username = "panda";
  u.password = "pandapass";
  u.pathname = `/${DB}`;
  return u.toString();
};

const rows = async <T>(query: string): Promise<T[]> =>
  (await ch.query({ query, format: "JSONEachRow" })).json<T>();

const countOf = async (table: string) => {
  const [r] = await rows<{ c: string; u: string }>(
    `SELECT count() AS c, uniqExact(id) AS u FROM ${DB}.${table}`,
  );
  return `${r!.c}/${r!.u}`;
};

/** The first file applied, `Ev_1_0` holding ROWS rows. */
const reset = async () => {
  await ch.command({ query: `DROP DATABASE IF EXISTS ${DB} SYNC` });
  const m = moose(base, "migrate", "--clickhouse-url", direct);
  expect(m.code, m.out + m.err).toBe(0);
  await ch.command({
    query: `INSERT INTO ${DB}.Ev_1_0 (id, n) SELECT toString(number), number FROM numbers(${ROWS})`,
  });
};

/** `moose migrate` of `root` through the proxy, killed at `point` when given. */
const killedRun = (root: string, point?: KillPoint) => migrateThrough(proxy, root, viaProxy, point);

const clean = new Map<string, string[]>();

/** Index among the run's `change` statements of the first one matching `re` (from a clean run). */
const changeIndex = async (root: string, re: RegExp): Promise<number> => {
  const known = clean.get(root);
  if (known) return known.findIndex((t) => re.test(t));
  await reset();
  const r = await killedRun(root);
  expect(r.code, r.out).toBe(0);
  const changes = proxy.statements.filter((s) => s.cls === "change").map((s) => s.text);
  clean.set(root, changes);
  const i = changes.findIndex((t) => re.test(t));
  expect(i).toBeGreaterThanOrEqual(0);
  return i;
};

const copyFiles = (from: string, to: string) => {
  for (const f of fs.readdirSync(path.join(from, "migrations")))
    fs.copyFileSync(path.join(from, "migrations", f), path.join(to, "migrations", f));
};

beforeAll(async () => {
  const srv = makeProject({ dbName: "once_server", model: "export {};\n" });
  server = await startDev(srv, "--port", "0");
  direct = auth(server.url);
  proxy = await startKillProxy(server.url, JOURNAL);
  viaProxy = auth(proxy.url);
  ch = createClient({
    url: server.url,
    username: "panda",
    password: "pandapass",
    log: { level: ClickHouseLogLevel.OFF },
  });
  base = makeProject({ dbName: DB, model: model("1.0") });
  expect(moose(base, "generate", "migration", "--save").code).toBe(0);
  bumped = makeProject({ dbName: DB, model: model("2.0") });
  copyFiles(base, bumped);
  const g = moose(bumped, "generate", "migration", "--save", "--yes-all");
  expect(g.code, g.out + g.err).toBe(0);

  // A hand-written second file: one RawSql INSERT of ROWS more rows into Ev_1_0.
  raw = makeProject({ dbName: DB, model: model("1.0") });
  copyFiles(base, raw);
  const files = readMigrations(raw).map((m) => m.file);
  rawId = "29990101_000000_000_raw";
  fs.writeFileSync(
    path.join(raw, "migrations", `${rawId}.yaml`),
    [
      `id: ${rawId}`,
      "description: raw",
      `parent_state_hash: ${olapStateHash(foldFiles(files, DB))}`,
      "deltas:",
      "- type: RawSql",
      "  sql:",
      `  - INSERT INTO \`${DB}\`.\`Ev_1_0\` (id, n) SELECT toString(number + ${ROWS}), number FROM numbers(${ROWS})`,
      "  description: more rows",
      "created_at: 2999-01-01T00:00:00.000Z",
      "",
    ].join("\n"),
  );
}, 120_000);

afterAll(async () => {
  await ch?.close();
  await proxy?.close();
  await server?.stop("SIGKILL");
});

describe("a BackfillTable killed during its copy is copied once", () => {
  it("after the server ran the dead client's INSERT … SELECT (in flight, and finished)", async () => {
    const at = await changeIndex(bumped, /INSERT INTO `once`\.`Ev_2_0`/);
    for (const mode of ["inflight", "after"] as const) {
      await reset();
      const killed = await killedRun(bumped, { cls: "change", index: at, mode });
      expect(killed.signal, killed.out).toBe("SIGKILL");
      const rerun = moose(bumped, "migrate", "--clickhouse-url", direct);
      expect(rerun.code, `${mode}: ${rerun.out}${rerun.err}`).toBe(0);
      expect(await countOf("Ev_2_0"), mode).toBe(`${ROWS}/${ROWS}`);
      const [t] = await rows<{ comment: string }>(
        `SELECT comment FROM system.tables WHERE database = '${DB}' AND name = 'Ev_2_0'`,
      );
      expect(t!.comment, "the marker is cleared").toBe("");
      const status = moose(bumped, "migrate", "--status", "--clickhouse-url", direct);
      expect(status.code, status.out + status.err).toBe(0);
    }
  }, 120_000);

  it("refuses a target that already holds rows it did not copy", async () => {
    // Killed once the new version exists, before the backfill started; then written to early.
    const at = await changeIndex(bumped, /CREATE TABLE IF NOT EXISTS `once`\.`Ev_2_0`/);
    await reset();
    const killed = await killedRun(bumped, { cls: "change", index: at, mode: "after" });
    expect(killed.signal, killed.out).toBe("SIGKILL");
    await ch.command({ query: `INSERT INTO ${DB}.Ev_2_0 (id, n) VALUES ('x', 1)` });
    const r = moose(bumped, "migrate", "--clickhouse-url", direct);
    expect(r.code, r.out + r.err).toBe(1);
    expect(r.err).toContain("BACKFILL_TARGET_NOT_EMPTY");
    expect(await countOf("Ev_2_0")).toBe("1/1");
  }, 60_000);
});

describe("a RawSql INSERT killed mid-run needs an answer", () => {
  const rerunRaw = (...args: string[]) =>
    moose(raw, "migrate", ...args, "--clickhouse-url", direct);

  it("ran on the server: STEP_OUTCOME_UNKNOWN, then --resolve done; the rows are there once", async () => {
    const at = await changeIndex(raw, /moose-migrate .* step 1 \*\/ INSERT/);
    await reset();
    const killed = await killedRun(raw, { cls: "change", index: at, mode: "after" });
    expect(killed.signal, killed.out).toBe("SIGKILL");
    const stopped = rerunRaw();
    expect(stopped.code, stopped.out + stopped.err).toBe(1);
    expect(stopped.err).toContain("STEP_OUTCOME_UNKNOWN");
    expect(stopped.err).toContain(`SELECT toString(number + ${ROWS})`);
    expect(stopped.err).toContain(`--resolve ${rawId}:1 done`);
    expect(await countOf("Ev_1_0")).toBe(`${2 * ROWS}/${2 * ROWS}`);
    expect(rerunRaw("--resolve", `${rawId}:2`, "done").code).toBe(2);
    const resolved = rerunRaw("--resolve", `${rawId}:1`, "done");
    expect(resolved.code, resolved.out + resolved.err).toBe(0);
    expect(await countOf("Ev_1_0")).toBe(`${2 * ROWS}/${2 * ROWS}`);
    expect(rerunRaw("--status").code).toBe(0);
  }, 90_000);

  it("never reached the server: --resolve rerun runs it once", async () => {
    const at = await changeIndex(raw, /moose-migrate .* step 1 \*\/ INSERT/);
    await reset();
    const killed = await killedRun(raw, { cls: "change", index: at, mode: "before" });
    expect(killed.signal, killed.out).toBe("SIGKILL");
    expect(rerunRaw().code).toBe(1);
    expect(await countOf("Ev_1_0")).toBe(`${ROWS}/${ROWS}`);
    const resolved = rerunRaw("--resolve", `${rawId}:1`, "rerun");
    expect(resolved.code, resolved.out + resolved.err).toBe(0);
    expect(await countOf("Ev_1_0")).toBe(`${2 * ROWS}/${2 * ROWS}`);
    expect(rerunRaw("--status").code).toBe(0);
  }, 90_000);
});

describe("a 1,000-step batched file killed mid-way on the embedded engine", () => {
  it("resumes and converges: every step done once, status clean", async () => {
    const tables = 20;
    const cols = 50;
    const wide = (n: number) =>
      `import { OlapTable, Key } from "@514labs/moose-lib";\n` +
      Array.from(
        { length: tables },
        (_, t) =>
          `export interface W${t} { id: Key<string>;${Array.from({ length: n }, (_, c) => ` c${c}: string;`).join("")} }\n` +
          `export const X${t} = new OlapTable<W${t}>("W${t}", { orderByFields: ["id"] });\n`,
      ).join("");
    const root = makeProject({ dbName: "wide", model: wide(0) });
    expect(moose(root, "generate", "migration", "--save").code).toBe(0);
    fs.writeFileSync(path.join(root, "app", "index.ts"), wide(cols));
    expect(moose(root, "generate", "migration", "--save").code).toBe(0);
    const id = readMigrations(root).at(-1)!.file.id;
    const dir = path.join(os.tmpdir(), `moose-once-wide-${process.pid}`);
    fs.rmSync(dir, { recursive: true, force: true });
    const url = `chdb://${dir}`;
    // Killed mid-way through the groups (groups of 100 here, so some are journaled and some not).
    const killed = await new Promise<NodeJS.Signals | null>((resolve) => {
      const child = spawn(process.execPath, [CLI, "migrate", "--clickhouse-url", url], {
        cwd: root,
        env: { ...cleanEnv, MOOSE_JOURNAL_BATCH: "100" },
        stdio: ["ignore", "pipe", "pipe"],
      });
      let out = "";
      child.stdout.on("data", (b: Buffer) => {
        out += b.toString();
        if (/\[600\/1000\]/.test(out)) child.kill("SIGKILL");
      });
      child.on("exit", (_c, signal) => resolve(signal));
    });
    expect(killed).toBe("SIGKILL");
    const partial = chdbShell(
      dir,
      `SELECT count() AS n FROM wide.${JOURNAL} WHERE migration_id = '${id}' AND event = 'op_done'`,
    );
    expect(Number(partial[0]!.n)).toBeLessThan(tables * cols);
    const rerun = moose(root, "migrate", "--clickhouse-url", url);
    expect(rerun.code, rerun.out + rerun.err).toBe(0);
    const status = moose(root, "migrate", "--status", "--clickhouse-url", url);
    expect(status.code, status.out + status.err).toBe(0);
    const [j] = chdbShell(
      dir,
      `SELECT count() AS n, uniqExact(op_index) AS ops FROM wide.${JOURNAL} WHERE migration_id = '${id}' AND event = 'op_done'`,
    );
    expect({ n: Number(j!.n), ops: Number(j!.ops) }).toEqual({
      n: tables * cols,
      ops: tables * cols,
    });
    const [c] = chdbShell(dir, `SELECT count() AS n FROM system.columns WHERE database = 'wide'`);
    expect(Number(c!.n)).toBeGreaterThanOrEqual(tables * (cols + 1));
  }, 120_000);
});
