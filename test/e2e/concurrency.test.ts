/*
 * Eight `moose migrate` processes at once against one ClickHouse that several processes share
 * (the HTTP endpoint of a `moose dev` in its own process, or a real server named by
 * CLICKHOUSE_URL), repeated. Half of them wait for the lock (--wait-lock), half do not. Every
 * file must be applied exactly once (every delta journaled done once), waiters exit 0 with
 * nothing left to do, the others exit 0 or refuse with LOCK_HELD having applied nothing, and no
 * lock is left behind. CI runs 2 rounds; CONCURRENCY_ROUNDS=n runs more.
 */
import { spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { ClickHouseLogLevel, createClient, type ClickHouseClient } from "@clickhouse/client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CLI, cleanEnv, moose } from "../support/cli";
import { startDev, type DevProcess } from "../support/dev";
import { makeProject } from "../support/golden";

const DB = "concurrent";
const JOURNAL = "_moose_migrations";
const PROCESSES = 8;
const ROUNDS = Number(process.env.CONCURRENCY_ROUNDS ?? 2);

const MODELS = [
  `import { OlapTable, Key } from "@514labs/moose-lib";
export interface A { id: Key<string>; n: number }
export const TA = new OlapTable<A>("A", { orderByFields: ["id"] });
export interface B { id: Key<string>; s: string }
export const TB = new OlapTable<B>("B", { orderByFields: ["id"] });
`,
  `import { OlapTable, Key } from "@514labs/moose-lib";
export interface A { id: Key<string>; n: number; a1: string; a2: number }
export const TA = new OlapTable<A>("A", { orderByFields: ["id"] });
export interface B { id: Key<string>; s: string; b1: boolean }
export const TB = new OlapTable<B>("B", { orderByFields: ["id"] });
export interface C { id: Key<string>; c: string }
export const TC = new OlapTable<C>("C", { orderByFields: ["id"] });
`,
  `import { OlapTable, Key } from "@514labs/moose-lib";
export interface A { id: Key<string>; n: number; a1: string; a2: number; a3: string }
export const TA = new OlapTable<A>("A", { orderByFields: ["id"] });
export interface B { id: Key<string>; s: string; b1: boolean; b2: number }
export const TB = new OlapTable<B>("B", { orderByFields: ["id"] });
export interface C { id: Key<string>; c: string; c1: number }
export const TC = new OlapTable<C>("C", { orderByFields: ["id"] });
export interface D { id: Key<string>; d: string }
export const TD = new OlapTable<D>("D", { orderByFields: ["id"] });
`,
];

let server: DevProcess | undefined;
let ch: ClickHouseClient;
let url: string;
let project: string;
let files: { id: string; deltas: number }[];

beforeAll(async () => {
  const real = process.env.CLICKHOUSE_URL;
  let base: URL;
  if (real) {
    base = new URL(real);
  } else {
    server = await startDev(
      makeProject({ dbName: "concurrent_server", model: "export {};\n" }),
      "--port",
      "0",
    );
    base = new URL(server.url);
    base.username = "panda";
    base.password = "pandapass";
  }
  ch = createClient({
    url: `${base.protocol}//${base.host}`,
    username: decodeURIComponent(base.username) || "default",
    password: decodeURIComponent(base.password),
    log: { level: ClickHouseLogLevel.OFF },
  });
  const target = new URL(base.toString());
  target.pathname = `/${DB}`;
  url = target.toString();
  // One project whose history is three files, written as a team would: one change at a time.
  project = makeProject({ dbName: DB, model: MODELS[0] });
  for (const model of MODELS) {
    fs.writeFileSync(path.join(project, "app", "index.ts"), model);
    const g = moose(project, "generate", "migration", "--save");
    expect(g.code, g.err).toBe(0);
  }
  files = fs
    .readdirSync(path.join(project, "migrations"))
    .sort()
    .map((f) => ({
      id: f.replace(/\.yaml$/, ""),
      deltas: (
        fs.readFileSync(path.join(project, "migrations", f), "utf8").match(/^- type: /gm) ?? []
      ).length,
    }));
}, 180_000);

afterAll(async () => {
  await ch?.close();
  await server?.stop("SIGKILL");
});

const rows = async <T>(query: string): Promise<T[]> =>
  (await ch.query({ query, format: "JSONEachRow" })).json<T>();

const migrateProcess = (wait: boolean) =>
  new Promise<{ code: number | null; out: string; wait: boolean }>((resolve) => {
    const args = [CLI, "migrate", "--clickhouse-url", url, ...(wait ? ["--wait-lock", "240"] : [])];
    const child = spawn(process.execPath, args, { cwd: project, env: cleanEnv });
    let out = "";
    child.stdout.on("data", (b: Buffer) => (out += b.toString()));
    child.stderr.on("data", (b: Buffer) => (out += b.toString()));
    child.on("exit", (code) => resolve({ code, out, wait }));
  });

describe(`${PROCESSES} moose migrate processes at once on one shared ClickHouse`, () => {
  it(`apply every file exactly once, ${ROUNDS} round(s)`, async () => {
    expect(files).toHaveLength(3);
    let correct = 0;
    for (let round = 1; round <= ROUNDS; round++) {
      await ch.command({ query: `DROP DATABASE IF EXISTS ${DB} SYNC` });
      const results = await Promise.all(
        Array.from({ length: PROCESSES }, (_, i) => migrateProcess(i % 2 === 0)),
      );
      const label = (r: { code: number | null; out: string }) => `round ${round}:\n${r.out}`;
      for (const r of results) {
        if (r.wait || r.code === 0) {
          expect(r.code, label(r)).toBe(0);
          continue;
        }
        // Not waiting: a clean refusal that applied nothing.
        expect(r.code, label(r)).toBe(1);
        expect(r.out, label(r)).toContain("Error [LOCK_HELD]");
        expect(r.out, label(r)).toContain("Nothing was applied by this run");
        expect(r.out, label(r)).not.toMatch(/^\s+at /m);
      }
      // Exactly one run applied each file; the rest found it applied.
      for (const f of files)
        expect(
          results.filter((r) => r.out.includes(`Migration '${f.id}' applied successfully`)),
          `round ${round}: ${f.id}`,
        ).toHaveLength(1);
      const journal = await rows<{ id: string; applied: string; ops: string; done: string }>(
        `SELECT migration_id AS id, countIf(event = 'applied') AS applied,
                uniqExactIf(op_index, event = 'op_done') AS ops, countIf(event = 'op_done') AS done
         FROM ${DB}.${JOURNAL} GROUP BY migration_id ORDER BY migration_id`,
      );
      expect(
        journal.map((j) => [j.id, Number(j.applied), Number(j.ops), Number(j.done)]),
        `round ${round}`,
      ).toEqual(files.map((f) => [f.id, 1, f.deltas, f.deltas]));
      const locks = await rows<{ name: string }>(
        `SELECT name FROM system.tables WHERE database = '${DB}' AND startsWith(name, '${JOURNAL}_lock_')`,
      );
      expect(locks, `round ${round}: no lock left`).toEqual([]);
      const status = moose(project, "migrate", "--status", "--clickhouse-url", url);
      expect(status.code, status.out + status.err).toBe(0);
      correct += results.length;
    }
    process.stdout.write(
      `concurrency: ${correct}/${ROUNDS * PROCESSES} concurrent runs correct over ${ROUNDS} round(s)\n`,
    );
  }, 600_000);
});
