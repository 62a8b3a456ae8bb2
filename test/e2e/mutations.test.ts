/*
 * Mutations on tables holding rows, through the built CLI against a shared ClickHouse (a
 * `moose dev` endpoint in its own process): a type change whose mutation is slow — made slow
 * for real with `SYSTEM STOP MERGES` on the table, which holds its mutations until `START
 * MERGES` — is followed in system.mutations, never taken for a failure; `--mutation-timeout`
 * stops following with MUTATION_TIMEOUT and reverts nothing, and the next run finishes the
 * same mutation (the delta done exactly once); a cast ClickHouse refuses is reported with
 * ClickHouse's reason; a migrate started while someone else's mutation runs on its table is
 * refused; SIGINT / SIGTERM mid-file exit 130 / 143 with the lock released and the journal
 * resumable. A proxy in front of the endpoint records every statement sent.
 */
import fs from "node:fs";
import { ClickHouseLogLevel, createClient, type ClickHouseClient } from "@clickhouse/client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { moose } from "../support/cli";
import { startDev, waitUntil, type DevProcess } from "../support/dev";
import { makeProject } from "../support/golden";
import { spawnMigrate, startKillProxy, type KillProxy } from "../support/kill-proxy";

const JOURNAL = "_moose_migrations";

/** T and U, each with an integer column the second file widens. */
const model = (
  n: string,
  m = "Int32",
) => `import { OlapTable, Key, Int32, Int64 } from "@514labs/moose-lib";
export interface T { id: Key<string>; n: ${n}; s: string }
export const TT = new OlapTable<T>("T", { orderByFields: ["id"] });
export interface U { id: Key<string>; m: ${m} }
export const TU = new OlapTable<U>("U", { orderByFields: ["id"] });
`;

let server: DevProcess;
let proxy: KillProxy;
let ch: ClickHouseClient;

const url = (base: string, db: string) => {
  const u = new URL(base);
  u.username = "panda";
  u.password = "pandapass";
  u.pathname = `/${db}`;
  return u.toString();
};

const sql = (query: string) => ch.command({ query });
const rows = async <T>(query: string): Promise<T[]> =>
  (await ch.query({ query, format: "JSONEachRow" })).json<T>();
const columnType = async (db: string, col: string, table = "T") =>
  (
    await rows<{ type: string }>(
      `SELECT type FROM system.columns WHERE database = '${db}' AND table = '${table}' AND name = '${col}'`,
    )
  )[0]?.type;
const lockTables = (db: string) =>
  rows<{ name: string }>(
    `SELECT name FROM system.tables WHERE database = '${db}' AND startsWith(name, '${JOURNAL}_lock_')`,
  );
const journal = (db: string) =>
  rows<{ event: string; op: number }>(
    `SELECT event, op_index AS op FROM ${db}.${JOURNAL} WHERE migration_id != '' ORDER BY seq`,
  );

/**
 * A project on its own database with the first file applied and rows in five parts, merges
 * (so mutations) stopped on its table, and the next file (Int32 → Int64, `extra`) generated.
 */
const project = async (db: string, second = model("Int64")) => {
  const root = makeProject({ dbName: db, model: model("Int32") });
  const direct = url(server.url, db);
  expect(moose(root, "generate", "migration", "--save").code).toBe(0);
  const first = moose(root, "migrate", "--clickhouse-url", direct);
  expect(first.code, first.err).toBe(0);
  for (let i = 0; i < 5; i++) {
    await sql(
      `INSERT INTO ${db}.T SELECT toString(number), number, 'x' FROM numbers(${i * 1000}, 1000)`,
    );
    await sql(`INSERT INTO ${db}.U SELECT toString(number), number FROM numbers(${i * 10}, 10)`);
  }
  fs.writeFileSync(`${root}/app/index.ts`, second);
  const g = moose(root, "generate", "migration", "--save", "--yes-all");
  expect(g.code, g.err).toBe(0);
  await sql(`SYSTEM STOP MERGES ${db}.T`);
  await sql(`SYSTEM STOP MERGES ${db}.U`);
  return { root, direct, viaProxy: url(proxy.url, db) };
};

/** `moose migrate` in its own process; `until` lets the test act on its output while it runs. */
const migrate = (root: string, target: string, ...args: string[]) => {
  const { child, out: output, exited: ended } = spawnMigrate(root, target, ...args);
  const exited = ended.then((e) => e.code);
  return {
    child,
    out: output,
    exited,
    // A loaded machine takes a while to load the project: slow, not wrong.
    until: (re: RegExp) =>
      waitUntil(
        `${re} in migrate's output`,
        () => {
          if (child.exitCode !== null)
            throw new Error(`migrate exited ${child.exitCode}:\n${output()}`);
          return re.test(output());
        },
        90_000,
      ),
  };
};

/** Statements that would undo the type change: a kill, or the column put back to Int32. */
const reverts = () =>
  proxy.statements.filter((s) => /KILL\s+MUTATION|MODIFY COLUMN[^\n]*`n`\s+Int32/i.test(s.text));

beforeAll(async () => {
  const srv = makeProject({ dbName: "mut_server", model: "export {};\n" });
  server = await startDev(srv, "--port", "0");
  proxy = await startKillProxy(server.url, JOURNAL);
  ch = createClient({
    url: server.url,
    username: "panda",
    password: "pandapass",
    log: { level: ClickHouseLogLevel.OFF },
  });
}, 120_000);

afterAll(async () => {
  await ch?.close();
  await proxy?.close();
  await server?.stop("SIGKILL");
});

describe("a slow mutation", () => {
  it("--mutation-timeout stops with MUTATION_TIMEOUT and reverts nothing; the next run follows the same mutation to the end, then a new slow one, with progress", async () => {
    const db = "mut_slow";
    const p = await project(db, model("Int64", "Int64"));
    proxy.reset();
    const timedOut = migrate(p.root, p.viaProxy, "--mutation-timeout", "1");
    expect(await timedOut.exited, timedOut.out()).toBe(1);
    const out = timedOut.out();
    expect(out).toContain("Error [MUTATION_TIMEOUT]");
    expect(out).toMatch(/still running on the server: mutation_\d+\.txt on mut_slow\.T/);
    expect(out).toContain("Nothing was reverted");
    expect(out).toMatch(
      /KILL MUTATION WHERE database = 'mut_slow' AND table = 'T' AND mutation_id = 'mutation_\d+\.txt'/,
    );
    expect(reverts()).toEqual([]);
    expect(await columnType(db, "n")).toBe("Int64");
    expect(await lockTables(db)).toEqual([]);
    const j = await journal(db);
    expect(j.filter((r) => r.event === "mutation_started")).toHaveLength(1);
    expect(j.filter((r) => r.event === "applied")).toHaveLength(1); // the first file only

    // The rerun finds the journaled mutation, follows it (progress after 2 s) and ends with it;
    // then U's ALTER starts a mutation just as slow, followed the same way to its end.
    proxy.reset();
    const rerun = migrate(p.root, p.viaProxy);
    await rerun.until(
      /mutation mutation_\d+\.txt on 'mut_slow\.T': 5 part\(s\) to do, \d+ s elapsed/,
    );
    await sql(`SYSTEM START MERGES ${db}.T`);
    await rerun.until(
      /mutation mutation_\d+\.txt on 'mut_slow\.U': 5 part\(s\) to do, \d+ s elapsed/,
    );
    await sql(`SYSTEM START MERGES ${db}.U`);
    expect(await rerun.exited, rerun.out()).toBe(0);
    expect(reverts()).toEqual([]);
    const mutations = await rows<{ table: string; n: string; done: string }>(
      `SELECT table, toString(count()) AS n, toString(countIf(is_done)) AS done FROM system.mutations WHERE database = '${db}' GROUP BY table ORDER BY table`,
    );
    expect(mutations).toEqual([
      { table: "T", n: "1", done: "1" },
      { table: "U", n: "1", done: "1" },
    ]);
    expect(await columnType(db, "m", "U")).toBe("Int64");
    const after = await journal(db);
    expect(after.filter((r) => r.event === "op_done" && r.op === 0)).toHaveLength(2); // file 1 and file 2, once each
    expect(after.filter((r) => r.event === "applied")).toHaveLength(2);
    expect(await rows(`SELECT toString(sum(n)) AS s FROM ${db}.T`)).toEqual([{ s: "12497500" }]);
    const status = moose(p.root, "migrate", "--status", "--clickhouse-url", p.direct);
    expect(status.code, status.out + status.err).toBe(0);
  }, 120_000);

  it("kill -9 while a long mutation runs: one plain rerun follows the same mutation, the change lands once", async () => {
    const db = "mut_kill";
    const p = await project(db, model("Int64", "Int64"));
    const killed = migrate(p.root, p.direct);
    // Killed once T's mutation is started and journaled (it is held by the stopped merges).
    await waitUntil(
      "T's mutation to start",
      async () => (await journal(db)).some((r) => r.event === "mutation_started"),
      90_000,
    );
    killed.child.kill("SIGKILL");
    await killed.exited;
    // The mutation goes on without the client; merges resume.
    await sql(`SYSTEM START MERGES ${db}.T`);
    await sql(`SYSTEM START MERGES ${db}.U`);
    const rerun = migrate(p.root, p.direct);
    expect(await rerun.exited, rerun.out()).toBe(0);
    expect(rerun.out()).toContain("Took over the migration lock");
    const mutations = await rows<{ table: string; n: string; done: string }>(
      `SELECT table, toString(count()) AS n, toString(countIf(is_done)) AS done FROM system.mutations WHERE database = '${db}' GROUP BY table ORDER BY table`,
    );
    // One ALTER per table: the dead run's mutation on T was followed, not sent again.
    expect(mutations).toEqual([
      { table: "T", n: "1", done: "1" },
      { table: "U", n: "1", done: "1" },
    ]);
    expect(await columnType(db, "n")).toBe("Int64");
    expect(
      await rows(`SELECT toString(sum(n)) AS s, toString(uniqExact(id)) AS u FROM ${db}.T`),
    ).toEqual([{ s: "12497500", u: "5000" }]);
    const ops = (await journal(db)).filter((r) => r.event === "op_done" && r.op === 0);
    expect(ops).toHaveLength(2); // file 1 and file 2, once each
    expect(await lockTables(db)).toEqual([]);
    const status = moose(p.root, "migrate", "--status", "--clickhouse-url", p.direct);
    expect(status.code, status.out + status.err).toBe(0);
  }, 180_000);

  it("a cast ClickHouse refuses is reported with ClickHouse's reason, then the column is put back", async () => {
    const db = "mut_cast";
    const root = makeProject({ dbName: db, model: model("Int32") });
    const direct = url(server.url, db);
    expect(moose(root, "generate", "migration", "--save").code).toBe(0);
    expect(moose(root, "migrate", "--clickhouse-url", direct).code).toBe(0);
    await sql(`INSERT INTO ${db}.T VALUES ('a', 1, '12'), ('b', 2, 'abc')`);
    fs.writeFileSync(`${root}/app/index.ts`, model("Int32").replace("s: string", "s: Int64"));
    expect(moose(root, "generate", "migration", "--save", "--yes-all").code).toBe(0);
    const id = fs
      .readdirSync(`${root}/migrations`)
      .sort()
      .at(-1)!
      .replace(/\.yaml$/, "");
    const r = moose(root, "migrate", "--clickhouse-url", direct, "--accept-data-loss", id);
    expect(r.code, r.out + r.err).toBe(1);
    expect(r.err).toContain("Error [TYPE_CHANGE_FAILED]");
    expect(r.err).toMatch(/Cannot parse string 'abc' as Int64/);
    expect(r.err).toContain("column is back to its previous type");
    expect(await columnType(db, "s")).toBe("String");
    expect(await lockTables(db)).toEqual([]);
  }, 120_000);
});

describe("interrupting moose migrate", () => {
  it("SIGINT, then SIGTERM, each while a mutation runs: exit 130 / 143, lock released, nothing reverted; a plain rerun converges", async () => {
    const db = "mut_signals";
    const p = await project(db, model("Int64", "Int64"));
    // Someone else's mutation on a table of the file: the file does not start while it runs.
    await sql(`ALTER TABLE ${db}.T UPDATE s = 'y' WHERE 1 SETTINGS mutations_sync = 0`);
    const refused = moose(p.root, "migrate", "--clickhouse-url", p.direct);
    expect(refused.code, refused.out + refused.err).toBe(1);
    expect(refused.err).toContain("Error [MUTATION_RUNNING]");
    expect(refused.err).toMatch(
      /mutation_\d+\.txt on mut_signals\.T \(\(UPDATE s = 'y' WHERE 1\); 5 part\(s\) to do\)/,
    );
    expect(refused.err).toMatch(/KILL MUTATION WHERE database = 'mut_signals' AND table = 'T'/);
    await sql(`KILL MUTATION WHERE database = '${db}' AND table = 'T' AND NOT is_done`);

    /** Runs migrate until it shows a mutation of `table` held, then sends `signal`. */
    const interrupted = async (signal: NodeJS.Signals, table: string) => {
      const run = migrate(p.root, p.direct);
      await run.until(new RegExp(`on '${db}\\.${table}': \\d+ part\\(s\\) to do`));
      run.child.kill(signal);
      const code = await run.exited;
      expect(run.out()).toContain("Error [INTERRUPTED]");
      expect(run.out()).toContain(`Stopped by ${signal}`);
      expect(run.out()).toContain("was not reverted");
      expect(await lockTables(db)).toEqual([]);
      return code;
    };
    expect(await interrupted("SIGINT", "T")).toBe(130);
    // Only T's mutation may go on: the next run finishes it, then is held on U's.
    await sql(`SYSTEM START MERGES ${db}.T`);
    expect(await interrupted("SIGTERM", "U")).toBe(143);
    const j = await journal(db);
    expect(j.filter((r) => r.event === "applied")).toHaveLength(1); // the first file only
    expect(j.filter((r) => r.event === "mutation_started")).toHaveLength(2);
    expect(await columnType(db, "n")).toBe("Int64");

    await sql(`SYSTEM START MERGES ${db}.U`);
    const rerun = moose(p.root, "migrate", "--clickhouse-url", p.direct);
    expect(rerun.code, rerun.out + rerun.err).toBe(0);
    const status = moose(p.root, "migrate", "--status", "--clickhouse-url", p.direct);
    expect(status.code, status.out + status.err).toBe(0);
    expect(status.out).toContain("Up to date");
    expect(moose(p.root, "generate", "migration", "--clickhouse-url", p.direct).out).toContain(
      "No changes detected",
    );
    expect(await columnType(db, "m", "U")).toBe("Int64");
    const done = (await journal(db)).filter((r) => r.event === "op_done");
    expect(done.map((r) => r.op).sort()).toEqual([0, 0, 1, 1]); // each delta of each file once
    expect(await lockTables(db)).toEqual([]);
  }, 150_000);
});
