/*
 * Tamper-evident history and a lock that needs no human when nobody holds it, through the
 * built CLI on the embedded engine: an applied file changed or deleted is refused by migrate,
 * --status and --validate with a target (and accepted only with --accept-changed); a
 * half-applied file changed since it started is refused before resuming; a lock whose holder
 * is provably dead or expired is taken over at once, a live one waits with --wait-lock, and a
 * clean run leaves no lock table behind.
 */
import { createHash } from "node:crypto";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeEach, describe, expect, it } from "vitest";
import { chdbShell } from "../support/chdb-shell";
import { CLI, cleanEnv, moose } from "../support/cli";
import { makeProject } from "../support/golden";
import { hostKey } from "../../src/runtime/process-identity";

const DB = "hist";
const JOURNAL = "_moose_migrations";
const MODEL_1 = `import { OlapTable, Key } from "@514labs/moose-lib";
export interface T { id: Key<string>; n: number }
export const TT = new OlapTable<T>("T", { orderByFields: ["id"] });
`;
const MODEL_2 = MODEL_1.replace("n: number }", "n: number; extra: string }");

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

/** A project with one applied file on a fresh embedded database; returns paths and the file. */
const appliedProject = () => {
  const root = makeProject({ dbName: DB, model: MODEL_1 });
  const data = fs.mkdtempSync(path.join(os.tmpdir(), "moose-hist-db-"));
  dirs.push(root, data);
  const url = `chdb://${data}`;
  const run = (...args: string[]) => moose(root, ...args, "--clickhouse-url", url);
  expect(run("generate", "migration", "--save").code).toBe(0);
  expect(run("migrate").code).toBe(0);
  const [name] = fs.readdirSync(path.join(root, "migrations"));
  const file = path.join(root, "migrations", name!);
  return {
    root,
    data,
    url,
    run,
    file,
    id: name!.replace(/\.yaml$/, ""),
    text: fs.readFileSync(file, "utf8"),
  };
};

/** T's columns in order, as the database holds them. */
const columnsOfT = (data: string) =>
  chdbShell(
    data,
    `SELECT name FROM system.columns WHERE database = '${DB}' AND table = 'T' ORDER BY position`,
  ).map((c) => c.name);

const lockTables = (data: string) =>
  chdbShell(
    data,
    `SELECT name FROM system.tables WHERE database = '${DB}' AND startsWith(name, '${JOURNAL}_lock_')`,
  ).map((r) => String(r.name));

describe("tamper-evident history", () => {
  it("refuses an applied file that was edited, everywhere with a target, and names both ways out", () => {
    const p = appliedProject();
    // A changed type, together with the matching model change: still history rewritten.
    fs.writeFileSync(p.file, p.text.replace(/data_type: Float64/, "data_type: Int64"));
    fs.writeFileSync(
      path.join(p.root, "app", "index.ts"),
      MODEL_1.replace("Key }", "Key, Int64 }").replace("n: number", "n: Int64"),
    );
    for (const args of [["migrate"], ["migrate", "--status"], ["migrate", "--validate"]]) {
      const r = p.run(...args);
      expect(r.code, `${args.join(" ")}: ${r.out}${r.err}`).toBe(1);
      expect(r.err).toContain("Error [APPLIED_FILE_CHANGED]");
      expect(r.err).toContain(`migrations/${p.id}.yaml was changed after it was applied`);
      expect(r.err).toContain("refused before anything ran");
      expect(r.err).toContain(`moose migrate --accept-changed ${p.id} --clickhouse-url chdb://`);
      expect(r.err).toContain("git checkout");
      expect(r.err).not.toMatch(/^\s+at /m);
    }
    // Offline --validate has no journal to hold the files to.
    expect(moose(p.root, "migrate", "--validate").code).toBe(0);
    // A URL only in the environment that answers nowhere leaves the offline lint offline.
    const envOnly = spawnSync(process.execPath, [CLI, "migrate", "--validate"], {
      cwd: p.root,
      encoding: "utf8",
      env: { ...cleanEnv, MOOSE_CLICKHOUSE_CONFIG__URL: "http://127.0.0.1:9" },
    });
    expect(envOnly.status, envOnly.stderr).toBe(0);
    expect(envOnly.stdout).toContain("History not checked (http://127.0.0.1:9 is unreachable");
    // Restored from version control: accepted again, and the validate with a target says so.
    fs.writeFileSync(p.file, p.text);
    fs.writeFileSync(path.join(p.root, "app", "index.ts"), MODEL_1);
    const v = p.run("migrate", "--validate");
    expect(v.code, v.err).toBe(0);
    expect(v.out).toContain("1 applied file(s) unchanged since they were applied");
    expect(p.run("migrate").code).toBe(0);
  });

  it("ignores a reformatting that changes no content, and refuses an appended delta", () => {
    const p = appliedProject();
    fs.writeFileSync(p.file, `# reviewed by the data team\n${p.text.replace(/\n/g, "\r\n")}`);
    const ok = p.run("migrate", "--status");
    expect(ok.code, ok.out + ok.err).toBe(0);
    // The next file's deltas appended to the applied one (and the model moved on to match).
    fs.writeFileSync(p.file, p.text);
    fs.writeFileSync(path.join(p.root, "app", "index.ts"), MODEL_2);
    expect(p.run("generate", "migration", "--save").code).toBe(0);
    const second = fs.readdirSync(path.join(p.root, "migrations")).sort().at(-1)!;
    const secondText = fs.readFileSync(path.join(p.root, "migrations", second), "utf8");
    const secondDeltas = secondText.slice(
      secondText.indexOf("deltas:\n") + "deltas:\n".length,
      secondText.indexOf("created_at:"),
    );
    const at = p.text.indexOf("created_at:");
    const appended = p.text.slice(0, at) + secondDeltas + p.text.slice(at);
    fs.rmSync(path.join(p.root, "migrations", second));
    fs.writeFileSync(p.file, appended);
    const r = p.run("migrate");
    expect(r.code, r.out + r.err).toBe(1);
    expect(r.err).toContain("APPLIED_FILE_CHANGED");
    expect(columnsOfT(p.data)).toEqual(["id", "n"]);
  });

  it("--accept-changed records the new content and who accepted it; a deleted file is refused", () => {
    const p = appliedProject();
    fs.writeFileSync(p.file, p.text.replace(/^description: .*$/m, "description: the first tables"));
    expect(p.run("migrate").code).toBe(1);
    const a = p.run("migrate", "--accept-changed", p.id);
    expect(a.code, a.out + a.err).toBe(0);
    expect(a.out).toContain(`Recorded the changed content of applied migration '${p.id}'`);
    const again = p.run("migrate");
    expect(again.code, again.err).toBe(0);
    expect(p.run("migrate", "--status").code).toBe(0);
    const [row] = chdbShell(
      p.data,
      `SELECT who, detail, file_checksum FROM ${DB}.${JOURNAL} WHERE event = 'accepted'`,
    );
    expect(String(row!.who)).toContain(os.hostname());
    expect(String(row!.detail)).toContain("--accept-changed");
    expect(row!.file_checksum).toBe(
      createHash("sha256").update(fs.readFileSync(p.file, "utf8")).digest("hex"),
    );

    const unknown = p.run("migrate", "--accept-changed", "20990101_000000_000_nope");
    expect(unknown.code).toBe(2);
    expect(unknown.err).toContain("is not an applied migration");

    fs.rmSync(p.file);
    const gone = p.run("migrate", "--status");
    expect(gone.code).toBe(1);
    expect(gone.err).toContain("Error [APPLIED_FILE_MISSING]");
    expect(gone.err).toContain(`migrations/${p.id}.yaml was applied but is not in migrations/`);
    // Nothing to record for a file that is not there: the same refusal, pointing at restoring it.
    const acceptGone = p.run("migrate", "--accept-changed", p.id);
    expect(acceptGone.code).toBe(1);
    expect(acceptGone.err).toContain("APPLIED_FILE_MISSING");
  });

  it("--accept-changed refuses an edit the database does not reflect", () => {
    const p = appliedProject();
    fs.writeFileSync(p.file, p.text.replace(/data_type: Float64/, "data_type: Int64"));
    const r = p.run("migrate", "--accept-changed", p.id);
    expect(r.code, r.out + r.err).toBe(1);
    expect(r.err).toContain(
      `The edited content of migrations/${p.id}.yaml does not match database '${DB}'; nothing was recorded`,
    );
    expect(r.err).toContain("Float64");
    expect(
      chdbShell(p.data, `SELECT count() AS n FROM ${DB}.${JOURNAL} WHERE event = 'accepted'`)[0]!.n,
    ).toBe(0);
    // An unchanged file: said, nothing recorded.
    fs.writeFileSync(p.file, p.text);
    const same = p.run("migrate", "--accept-changed", p.id);
    expect(same.code).toBe(0);
    expect(same.out).toContain(`Applied migration '${p.id}' is unchanged: nothing to accept`);
  });

  it("migrate refuses moose dev's database and a replicated table on the embedded engine, before anything runs", () => {
    const p = appliedProject();
    fs.writeFileSync(path.join(p.root, "app", "index.ts"), MODEL_2);
    expect(p.run("generate", "migration", "--save").code).toBe(0);
    chdbShell(p.data, `CREATE TABLE ${DB}._moose_dev (x UInt8) ENGINE = Memory`);
    const dev = p.run("migrate");
    expect(dev.code, dev.out + dev.err).toBe(1);
    expect(dev.err).toContain("Error [DEV_TARGET_IN_USE]");
    expect(dev.err).toContain("is moose dev's local database");
    chdbShell(p.data, `DROP TABLE ${DB}._moose_dev`);

    fs.writeFileSync(
      path.join(p.root, "app", "index.ts"),
      MODEL_2.replace(
        'Key } from "@514labs/moose-lib"',
        'Key, ClickHouseEngines } from "@514labs/moose-lib"',
      ) +
        `export interface R { id: Key<string> }\nexport const TR = new OlapTable<R>("R", { orderByFields: ["id"], engine: ClickHouseEngines.ReplicatedMergeTree });\n`,
    );
    const g = p.run("generate", "migration", "--save");
    expect(g.code, g.out + g.err).toBe(0);
    expect(g.out + g.err).toContain("the embedded engine cannot run it");
    const r = p.run("migrate");
    expect(r.code, r.out + r.err).toBe(1);
    expect(r.err).toContain("Error [ENGINE_UNSUPPORTED_LOCALLY]");
    expect(r.err).toContain(`'${DB}.R' (ReplicatedMergeTree)`);
    // Nothing of either file ran.
    expect(columnsOfT(p.data)).toEqual(["id", "n"]);
  });

  it("refuses to resume a half-applied file whose content changed since it started", () => {
    const p = appliedProject();
    fs.writeFileSync(path.join(p.root, "app", "index.ts"), MODEL_2);
    expect(p.run("generate", "migration", "--save").code).toBe(0);
    const name = fs.readdirSync(path.join(p.root, "migrations")).sort().at(-1)!;
    const second = path.join(p.root, "migrations", name);
    const text = fs.readFileSync(second, "utf8");
    const id = name.replace(/\.yaml$/, "");
    const sum = createHash("sha256").update(text).digest("hex");
    // What a run killed right after it started leaves in the journal.
    chdbShell(
      p.data,
      `INSERT INTO ${DB}.${JOURNAL} (seq, migration_id, event, op_index, parent_state_hash, state_hash, file_checksum, tool_version, who, at, detail) VALUES (toUInt64(toUnixTimestamp64Milli(now64(3))) * 1000, '${id}', 'started', -1, '', '', '${sum}', 'test', 'test', now64(3), '')`,
    );
    fs.writeFileSync(second, text.replace("data_type: String", "data_type: Int64"));
    expect(fs.readFileSync(second, "utf8")).not.toBe(text);
    const r = p.run("migrate");
    expect(r.code, r.out + r.err).toBe(1);
    expect(r.err).toContain(
      `migrations/${id}.yaml stopped part-way (0 of 1 delta(s) done) and was changed since it started`,
    );
    expect(r.err).toContain("delete it and run `moose generate migration --save");
    fs.writeFileSync(second, text);
    const resumed = p.run("migrate");
    expect(resumed.code, resumed.out + resumed.err).toBe(0);
    expect(resumed.out).toContain("applied successfully");
  });
});

/** A lock record as another `moose migrate` would leave it (chDB's SQL string escaping). */
const lockRecord = (data: string, n: number, info: Record<string, unknown>) =>
  chdbShell(
    data,
    `CREATE TABLE ${DB}.${JOURNAL}_lock_${n} (token UInt64) ENGINE = Memory COMMENT '${JSON.stringify(info).replace(/\\/g, "\\\\").replace(/'/g, "\\'")}'`,
  );

const inMinutes = (m: number) => new Date(Date.now() + m * 60_000).toISOString();

describe("the migration lock", () => {
  let sleeper: ChildProcess | undefined;
  beforeEach(() => {
    sleeper?.kill("SIGKILL");
    sleeper = undefined;
  });
  afterAll(() => sleeper?.kill("SIGKILL"));

  /** A project with a pending file (so migrate has work to lock for). */
  const pendingProject = () => {
    const p = appliedProject();
    fs.writeFileSync(path.join(p.root, "app", "index.ts"), MODEL_2);
    expect(p.run("generate", "migration", "--save").code).toBe(0);
    return p;
  };

  it("takes over at once from a holder on this host whose process is gone, leaving no lock", () => {
    const p = pendingProject();
    // A pid that existed and exited: what a kill -9'd run leaves.
    const dead = spawn(process.execPath, ["-e", ""]);
    const pid = dead.pid!;
    lockRecord(p.data, 7, {
      holder: `ci@${os.hostname()}:${pid}`,
      host: hostKey(),
      pid,
      nonce: "x",
      acquired_at: new Date().toISOString(),
      expires_at: inMinutes(10),
    });
    return new Promise<void>((resolve) =>
      dead.on("exit", () => {
        const r = p.run("migrate");
        expect(r.code, r.out + r.err).toBe(0);
        expect(r.out).toContain(
          `Took over the migration lock from ci@${os.hostname()}:${pid} (its process ${pid} is gone)`,
        );
        expect(lockTables(p.data)).toEqual([]);
        resolve();
      }),
    );
  });

  it("refuses a live holder at once, waits for it with --wait-lock, and takes over when it dies", async () => {
    const p = pendingProject();
    sleeper = spawn(process.execPath, ["-e", "setTimeout(() => {}, 60000)"]);
    const pid = sleeper.pid!;
    lockRecord(p.data, 3, {
      holder: `ci@${os.hostname()}:${pid}`,
      host: hostKey(),
      pid,
      nonce: "y",
      acquired_at: new Date().toISOString(),
      expires_at: inMinutes(10),
    });
    const status = p.run("migrate", "--status");
    expect(status.out).toContain(
      `A migration is running now (lock held by ci@${os.hostname()}:${pid})`,
    );
    const busy = p.run("migrate");
    expect(busy.code).toBe(1);
    expect(busy.err).toContain(
      `Error [LOCK_HELD]: Another migration holds the lock (ci@${os.hostname()}:${pid}`,
    );
    expect(busy.err).toContain("Nothing was applied by this run");
    expect(busy.err).toContain("--wait-lock");
    const started = Date.now();
    const waited = p.run("migrate", "--wait-lock", "2");
    expect(waited.code).toBe(1);
    expect(waited.err).toContain("waited 2 s");
    expect(Date.now() - started).toBeGreaterThanOrEqual(2000);
    // A waiter, and the holder dying while it waits.
    const waiter = spawn(
      process.execPath,
      [CLI, "migrate", "--wait-lock", "60", "--clickhouse-url", p.url],
      {
        cwd: p.root,
        env: cleanEnv,
      },
    );
    let out = "";
    waiter.stdout.on("data", (b: Buffer) => {
      out += b.toString();
      if (out.includes("Waiting up to 60 s for the migration lock")) sleeper?.kill("SIGKILL");
    });
    waiter.stderr.on("data", (b: Buffer) => (out += b.toString()));
    const code = await new Promise<number | null>((r) => waiter.on("exit", r));
    expect(code, out).toBe(0);
    expect(out).toContain("Took over the migration lock");
    expect(out).toContain("applied successfully");
    expect(lockTables(p.data)).toEqual([]);
  });

  it("trusts another host's holder until its heartbeat expires; --break-lock frees it at once", () => {
    const p = pendingProject();
    const elsewhere = {
      holder: "deploy@build-7:4242",
      host: "build-7|pid:[1]",
      pid: 4242,
      nonce: "z",
      acquired_at: new Date().toISOString(),
    };
    lockRecord(p.data, 1, { ...elsewhere, expires_at: inMinutes(1) });
    const busy = p.run("migrate");
    expect(busy.code).toBe(1);
    expect(busy.err).toContain("deploy@build-7:4242");
    expect(busy.err).toContain("--break-lock");
    const broke = p.run("migrate", "--break-lock");
    expect(broke.code).toBe(0);
    expect(broke.out).toContain("Released the lock held by deploy@build-7:4242");
    expect(p.run("migrate").code).toBe(0);
    expect(lockTables(p.data)).toEqual([]);

    // An expired heartbeat: taken over without asking.
    const q = pendingProjectAfter(p);
    lockRecord(p.data, 4, { ...elsewhere, expires_at: inMinutes(-1) });
    const r = q.run("migrate");
    expect(r.code, r.out + r.err).toBe(0);
    expect(r.out).toContain(
      "Took over the migration lock from deploy@build-7:4242 (its lock expired",
    );
    expect(lockTables(p.data)).toEqual([]);
  });
});

/** The same project with one more pending change. */
const pendingProjectAfter = (p: ReturnType<typeof appliedProject>) => {
  fs.writeFileSync(
    path.join(p.root, "app", "index.ts"),
    MODEL_2.replace("extra: string }", "extra: string; more: string }"),
  );
  expect(p.run("generate", "migration", "--save").code).toBe(0);
  return p;
};
