/*
 * Crash safety of `moose migrate`, through the built CLI: a 20-plus-operation file over tables
 * holding rows is applied to a shared ClickHouse (a `moose dev` endpoint in its own process)
 * through a proxy that kills migrate with SIGKILL at a chosen statement — before it reaches the
 * server, while the server runs it, or after the server finished it but before migrate heard
 * (done, never journaled) — at operation boundaries (a journaled `op_done`) and inside
 * operations (each statement of a multi-statement one, the row copy of a recreate included).
 * One plain rerun of `migrate` must converge: status clean, generate empty, the schema equal
 * to an uninterrupted run's, every row kept once, every delta journaled done exactly once.
 *
 * CI runs a spread of kill points; FAULT_TRIALS=all runs every point in every mode.
 */
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { ClickHouseLogLevel, createClient, type ClickHouseClient } from "@clickhouse/client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import YAML from "yaml";
import { chdbShell } from "../support/chdb-shell";
import { CLI, cleanEnv, moose } from "../support/cli";
import { startDev, type DevProcess } from "../support/dev";
import { makeProject } from "../support/golden";
import {
  migrateThrough,
  startKillProxy,
  type KillMode,
  type KillPoint,
  type KillProxy,
  type RecordedStatement,
} from "../support/kill-proxy";

const DB = "fault";
const JOURNAL = "_moose_migrations";
const ROWS = 2_000;
const COPY_ROWS = 40_000;
/** Every kill point in every mode (hours), instead of CI's spread. */
const FAULT_ALL = process.env.FAULT_TRIALS === "all";

const V1 = `import { OlapTable, Key } from "@514labs/moose-lib";
export interface A { id: Key<string>; n: number; s: string; gone: string }
export const TA = new OlapTable<A>("A", { orderByFields: ["id"] });
export interface B { id: Key<string>; v: number }
export const TB = new OlapTable<B>("B", { orderByFields: ["id"] });
export interface C { id: Key<string>; k: string; x: number }
export const TC = new OlapTable<C>("C", { orderByFields: ["id"] });
export interface D { id: Key<string>; a: string }
export const TD = new OlapTable<D>("D", { orderByFields: ["id"] });
`;

const V2 = `import { OlapTable, Key } from "@514labs/moose-lib";
export interface A { id: Key<string>; n: number; s: string; a1: string; a2: number; a3: boolean }
export const TA = new OlapTable<A>("A", { orderByFields: ["id"] });
export interface B { id: Key<string>; v: number; b1: string; b2: string; b3: number; b4: boolean; b5: string; b6: number }
export const TB = new OlapTable<B>("B", { orderByFields: ["id"] });
export interface C { id: Key<string>; k: string; x: number }
export const TC = new OlapTable<C>("C", { orderByFields: ["id", "k"] });
export interface D { id: Key<string>; a: string; d1: string; d2: string; d3: number; d4: number; d5: boolean; d6: string; d7: string }
export const TD = new OlapTable<D>("D", { orderByFields: ["id"] });
export interface E { id: Key<string>; e: string }
export const TE = new OlapTable<E>("E", { orderByFields: ["id"] });
export interface F { id: Key<string>; f: number }
export const TF = new OlapTable<F>("F", { orderByFields: ["id"] });
export interface G { id: Key<string>; g: string }
export const TG = new OlapTable<G>("G", { orderByFields: ["id"] });
`;

let server: DevProcess;
let proxy: KillProxy;
let ch: ClickHouseClient;
let base: string;
let evolved: string;
let direct: string;
let viaProxy: string;
let secondFile: { id: string; deltas: number };

const auth = (url: string, db: string) => {
  const u = new URL(url);
  u.username = "panda";
  u.password = "pandapass";
  u.pathname = `/${db}`;
  return u.toString();
};

const run = (root: string, ...args: string[]) => moose(root, ...args, "--clickhouse-url", direct);

const rows = async <T>(query: string): Promise<T[]> =>
  (await ch.query({ query, format: "JSONEachRow" })).json<T>();

/** The database as the file left it: every user table's engine, keys and columns (one query). */
const SCHEMA_QUERY = `SELECT t.name AS name, t.engine_full AS engine, t.sorting_key AS sorting,
            arrayStringConcat(groupArray(concat(c.name, ' ', c.type, ' ', c.default_kind, ' ', c.default_expression)), ', ') AS columns
     FROM system.tables t
     LEFT JOIN (SELECT table, name, type, default_kind, default_expression, position FROM system.columns WHERE database = '${DB}' ORDER BY position) c ON c.table = t.name
     WHERE t.database = '${DB}' AND NOT startsWith(t.name, '_moose')
     GROUP BY t.name, t.engine_full, t.sorting_key ORDER BY t.name`;
const schema = async () => rows<Record<string, string>>(SCHEMA_QUERY);

/** Each user table's row count and distinct ids. */
const counts = async () => {
  const names = (await schema()).map((t) => t.name!);
  const out: Record<string, string> = {};
  for (const n of names) {
    const [r] = await rows<{ c: string; u: string }>(
      `SELECT count() AS c, uniqExact(id) AS u FROM ${DB}.\`${n}\``,
    );
    out[n] = `${r!.c}/${r!.u}`;
  }
  return out;
};

/** How often the journal says each delta of `id` was done, and how often the file was applied. */
const journalOf = async (id: string) => {
  const done = await rows<{ op: number; n: string }>(
    `SELECT op_index AS op, count() AS n FROM ${DB}.${JOURNAL} WHERE migration_id = '${id}' AND event = 'op_done' GROUP BY op_index ORDER BY op_index`,
  );
  const [applied] = await rows<{ n: string }>(
    `SELECT count() AS n FROM ${DB}.${JOURNAL} WHERE migration_id = '${id}' AND event = 'applied'`,
  );
  return { done: done.map((d) => `${d.op}:${d.n}`), applied: Number(applied!.n) };
};

/** The database as the first file left it, with rows in every table. */
const resetToBase = async () => {
  await ch.command({ query: `DROP DATABASE IF EXISTS ${DB} SYNC` });
  const m = run(base, "migrate");
  expect(m.code, m.err).toBe(0);
  for (const t of ["A", "B", "D"])
    await ch.command({
      query: `INSERT INTO ${DB}.${t} (id) SELECT toString(number) FROM numbers(${ROWS})`,
    });
  await ch.command({
    query: `INSERT INTO ${DB}.C (id, k, x) SELECT toString(number), toString(number % 97), number FROM numbers(${COPY_ROWS})`,
  });
};

/** `moose migrate` of the evolved project through the proxy, killed at `point` when given. */
const migrateThroughProxy = (point?: KillPoint) => migrateThrough(proxy, evolved, viaProxy, point);

let reference: {
  schema: Record<string, string>[];
  counts: Record<string, string>;
  statements: RecordedStatement[];
};

beforeAll(async () => {
  const srv = makeProject({ dbName: "fault_server", model: "export {};\n" });
  server = await startDev(srv, "--port", "0");
  direct = auth(server.url, DB);
  proxy = await startKillProxy(server.url, JOURNAL);
  viaProxy = auth(proxy.url, DB);
  ch = createClient({
    url: server.url,
    username: "panda",
    password: "pandapass",
    log: { level: ClickHouseLogLevel.OFF },
  });

  base = makeProject({ dbName: DB, model: V1 });
  const g1 = moose(base, "generate", "migration", "--save");
  expect(g1.code, g1.err).toBe(0);
  evolved = makeProject({ dbName: DB, model: V2 });
  for (const f of fs.readdirSync(path.join(base, "migrations")))
    fs.copyFileSync(path.join(base, "migrations", f), path.join(evolved, "migrations", f));
  const g2 = moose(evolved, "generate", "migration", "--save", "--yes-all");
  expect(g2.code, g2.err).toBe(0);
  const files = fs.readdirSync(path.join(evolved, "migrations")).sort();
  const text = fs.readFileSync(path.join(evolved, "migrations", files.at(-1)!), "utf8");
  secondFile = {
    id: files.at(-1)!.replace(/\.yaml$/, ""),
    deltas: (YAML.parse(text) as { deltas: unknown[] }).deltas.length,
  };

  // The uninterrupted run everything is compared with; its statements give the kill points.
  await resetToBase();
  const r = await migrateThroughProxy();
  expect(r.code, r.out).toBe(0);
  reference = {
    schema: await schema(),
    counts: await counts(),
    statements: [...proxy.statements],
  };
}, 240_000);

afterAll(async () => {
  await ch?.close();
  await proxy?.close();
  await server?.stop("SIGKILL");
});

/** The kill points of a run: CI's spread, or every one in every mode with FAULT_TRIALS=all. */
const killPoints = (statements: readonly RecordedStatement[]): KillPoint[] => {
  const changes = statements.filter((s) => s.cls === "change");
  const opsDone = statements.filter((s) => s.cls === "op_done").length;
  const copyAt = changes.findIndex((s) => /^\s*insert\s+into\s+\S*__moose_recreate/i.test(s.text));
  if (FAULT_ALL) {
    const modes: KillMode[] = ["before", "inflight", "after"];
    return [
      ...changes.flatMap((_, index) =>
        modes.map((mode) => ({ cls: "change" as const, index, mode })),
      ),
      ...Array.from({ length: opsDone }, (_, index) => ({
        cls: "op_done" as const,
        index,
        mode: "after" as const,
      })),
    ];
  }
  const c = changes.length;
  return [
    { cls: "change", index: Math.floor(c / 3), mode: "before" },
    { cls: "change", index: copyAt, mode: "inflight" },
    { cls: "change", index: copyAt, mode: "after" },
    { cls: "change", index: c - 1, mode: "after" },
    { cls: "op_done", index: Math.floor(opsDone / 2), mode: "after" },
  ];
};

describe("kill -9 during moose migrate, then one plain rerun", () => {
  it("the file under test is a 20-plus-operation file with a data-keeping recreate", () => {
    expect(secondFile.deltas).toBeGreaterThanOrEqual(20);
    expect(reference.statements.some((s) => /__moose_recreate/.test(s.text))).toBe(true);
    expect(reference.counts.C).toBe(`${COPY_ROWS}/${COPY_ROWS}`);
    expect(reference.counts.A).toBe(`${ROWS}/${ROWS}`);
  });

  it(
    "converges from every kill point",
    async () => {
      const points = killPoints(reference.statements);
      const converged: string[] = [];
      for (const point of points) {
        const label = `${point.mode} ${point.cls} #${point.index}`;
        await resetToBase();
        const killed = await migrateThroughProxy(point);
        expect(killed.signal, `${label}: the run was not killed:\n${killed.out}`).toBe("SIGKILL");

        const rerun = run(evolved, "migrate");
        expect(rerun.code, `${label}: rerun\n${rerun.out}${rerun.err}`).toBe(0);
        const status = run(evolved, "migrate", "--status");
        expect(status.code, `${label}: status\n${status.out}${status.err}`).toBe(0);
        expect(status.out).toContain("Up to date");
        const gen = run(evolved, "generate", "migration");
        expect(gen.out, `${label}: generate\n${gen.err}`).toContain("No changes detected");
        expect(await schema(), label).toEqual(reference.schema);
        expect(await counts(), label).toEqual(reference.counts);
        const locks = await rows<{ name: string }>(
          `SELECT name FROM system.tables WHERE database = '${DB}' AND startsWith(name, '${JOURNAL}_lock_')`,
        );
        expect(locks, `${label}: the rerun took the dead run's lock over and left none`).toEqual(
          [],
        );
        const j = await journalOf(secondFile.id);
        expect(j.applied, label).toBe(1);
        expect(j.done, label).toEqual(
          Array.from({ length: secondFile.deltas }, (_, i) => `${i}:1`),
        );
        converged.push(label);
      }
      // The figure the issue asks for: trials converged / total.
      process.stdout.write(
        `fault injection: ${converged.length}/${points.length} kill points converged\n`,
      );
      expect(converged).toHaveLength(points.length);
    },
    FAULT_ALL ? 4 * 3_600_000 : 900_000,
  );
});

/*
 * The embedded engine: migrate owns the data directory, so nothing can sit between it and the
 * engine. It is killed when its own progress shows it inside an operation — the row copy of the
 * recreate running, or a given delta started — and rerun on the same directory.
 */
describe("kill -9 of moose migrate on the embedded engine", () => {
  const dir = path.join(os.tmpdir(), `moose-fault-embedded-${process.pid}`);
  const url = `chdb://${dir}`;
  const q = (sql: string) => chdbShell(dir, sql);
  const embeddedSchema = () => q(SCHEMA_QUERY);
  const embeddedCounts = () =>
    Object.fromEntries(
      embeddedSchema().map((t) => {
        const [r] = q(`SELECT count() AS c, uniqExact(id) AS u FROM ${DB}.\`${String(t.name)}\``);
        return [String(t.name), `${String(r!.c)}/${String(r!.u)}`];
      }),
    );

  /** Runs migrate of the evolved project and kills it once its output matches `at`. */
  const killedAt = (at: RegExp) =>
    new Promise<{ signal: NodeJS.Signals | null; out: string }>((resolve) => {
      const child = spawn(process.execPath, [CLI, "migrate", "--clickhouse-url", url], {
        cwd: evolved,
        env: cleanEnv,
        stdio: ["ignore", "pipe", "pipe"],
      });
      let out = "";
      const seen = (b: Buffer) => {
        out += b.toString();
        if (at.test(out)) child.kill("SIGKILL");
      };
      child.stdout.on("data", seen);
      child.stderr.on("data", seen);
      child.on("exit", (_code, signal) => resolve({ signal, out }));
    });

  it.each([
    ["while the recreate copies its rows", /copying \d+ row/],
    ["as the middle delta starts", /\[11\/\d+\]/],
  ])(
    "converges after a kill %s",
    async (_label, at) => {
      fs.rmSync(dir, { recursive: true, force: true });
      expect(moose(base, "migrate", "--clickhouse-url", url).code).toBe(0);
      chdbShell(
        dir,
        ...["A", "B", "D"].map(
          (t) => `INSERT INTO ${DB}.${t} (id) SELECT toString(number) FROM numbers(${ROWS})`,
        ),
        `INSERT INTO ${DB}.C (id, k, x) SELECT toString(number), toString(number % 97), number FROM numbers(${COPY_ROWS})`,
      );
      const killed = await killedAt(at);
      expect(killed.signal, killed.out).toBe("SIGKILL");
      const rerun = moose(evolved, "migrate", "--clickhouse-url", url);
      expect(rerun.code, rerun.out + rerun.err).toBe(0);
      const status = moose(evolved, "migrate", "--status", "--clickhouse-url", url);
      expect(status.code, status.out + status.err).toBe(0);
      expect(moose(evolved, "generate", "migration", "--clickhouse-url", url).out).toContain(
        "No changes detected",
      );
      expect(embeddedSchema()).toEqual(reference.schema);
      expect(
        q(
          `SELECT name FROM system.tables WHERE database = '${DB}' AND startsWith(name, '${JOURNAL}_lock_')`,
        ),
      ).toEqual([]);
      expect(embeddedCounts()).toEqual(reference.counts);
      const [applied] = q(
        `SELECT count() AS n, uniqExact(op_index) AS ops, countIf(event = 'op_done') AS done FROM ${DB}.${JOURNAL} WHERE migration_id = '${secondFile.id}' AND event IN ('applied', 'op_done')`,
      );
      expect({
        n: Number(applied!.n),
        ops: Number(applied!.ops),
        done: Number(applied!.done),
      }).toEqual({
        n: secondFile.deltas + 1,
        ops: secondFile.deltas + 1,
        done: secondFile.deltas,
      });
    },
    180_000,
  );
});
