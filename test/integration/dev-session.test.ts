/*
 * moose dev's session, driven cycle by cycle (no watcher, no endpoint) on the embedded engine:
 * what each save does to the local database and to migrations/pending.yaml.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { PassThrough } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import YAML from "yaml";
import { connectClickHouse, type ClickHousePort } from "../../src/adapters/clickhouse";
import { loadProject } from "../../src/commands/context";
import { answerWith, type DecisionPort } from "../../src/commands/decisions";
import { generateMigration } from "../../src/commands/generate";
import { readAppliedState } from "../../src/commands/applied-state";
import { migrationStatus } from "../../src/commands/migrate";
import { everything, noChanges, type ChangeSet } from "../../src/dev/changes";
import { DevSession, type DevEvent } from "../../src/dev/session";
import { markDevDatabase } from "../../src/runtime/dev-record";
import { createDecisions } from "../../src/ui/decisions";
import { createOutput } from "../../src/ui/output";
import { makeProject } from "../support/golden";

const DIR = path.join(os.tmpdir(), `moose-dev-session-${process.pid}`);
let ch: ClickHousePort;

beforeAll(() => {
  ch = connectClickHouse({ kind: "chdb", path: DIR, database: "default", display: "" });
});
afterAll(async () => {
  await ch.close();
  fs.rmSync(DIR, { recursive: true, force: true });
});

const model = (fields: string, extra = "") => `import { OlapTable, Key } from "@514labs/moose-lib";
export interface Row { id: Key<string>; ${fields} }
export const T = new OlapTable<Row>("T", { orderByFields: ["id"] });
${extra}`;

const yes = answerWith(() => true);
const quiet = createOutput(false, new PassThrough(), new PassThrough());

/** A project, its dev session on database `db`, and what the session reported. */
const devProject = async (db: string, fields: string, decisions: DecisionPort = yes) => {
  const root = makeProject({ dbName: db, model: model(fields) });
  const opts = { root, env: {}, now: () => new Date("2026-12-02T10:00:00Z") };
  await markDevDatabase(ch, db);
  const events: DevEvent[] = [];
  const session = new DevSession(loadProject(opts), opts, ch, decisions, (e) => events.push(e));
  const save = async (text: string) => {
    fs.writeFileSync(path.join(root, "app", "index.ts"), text);
    await session.cycle({ ...noChanges(), models: [path.join(root, "app", "index.ts")] });
    return events.at(-1)!;
  };
  const cycle = async (c: ChangeSet) => {
    await session.cycle(c);
    return events.at(-1)!;
  };
  return { root, opts, events, session, save, cycle };
};

/** A dev project whose code (one table T) is committed: nothing pending. */
const committedProject = async (db: string) => {
  const p = await devProject(db, "name: string");
  await p.cycle(everything());
  await generateMigration({ root: p.root, env: {}, save: true }, yes);
  await p.cycle({ ...noChanges(), migrations: true });
  return p;
};

const pendingPath = (root: string) => path.join(root, "migrations", "pending.yaml");
const pending = (root: string) =>
  YAML.parse(fs.readFileSync(pendingPath(root), "utf8")) as {
    id: string;
    description: string;
    parent_state_hash: string;
    deltas: { type: string; column?: { name: string }; column_name?: string }[];
  };
const columns = async (db: string) =>
  (
    await ch.query<{ name: string; type: string }>(
      `SELECT name, type FROM system.columns WHERE database = {db:String} AND table = 'T' ORDER BY position`,
      { db },
    )
  ).map((r) => `${r.name} ${r.type}`);

describe("moose dev session", () => {
  it("boot applies the code and writes pending.yaml as generate would; a committed file empties it", async () => {
    const db = "dev_boot";
    const p = await devProject(db, "name: string");
    const boot = await p.cycle(everything());
    expect(boot.kind).toBe("cycle");
    expect(await columns(db)).toEqual(["id String", "name String"]);
    const file = pending(p.root);
    expect(file.id).toBe("pending");
    expect(file.description).toBe("Auto-generated during dev mode");
    expect(file.deltas.map((d) => d.type)).toEqual(["CreateTable"]);

    // Exactly what an offline `generate` writes now.
    const g = await generateMigration({ root: p.root, env: {}, save: false }, yes);
    expect(g.file?.deltas).toEqual(YAML.parse(fs.readFileSync(pendingPath(p.root), "utf8")).deltas);
    expect(file.parent_state_hash).toBe(g.parentStateHash);

    // `generate --save` (offline) in another terminal: the pending change is committed.
    const saved = await generateMigration({ root: p.root, env: {}, save: true }, yes);
    expect(saved.status).toBe("written");
    const after = await p.cycle({ ...noChanges(), migrations: true });
    expect(after).toMatchObject({ kind: "cycle", pending: "removed", pendingDeltas: 0 });
    expect(fs.existsSync(pendingPath(p.root))).toBe(false);

    // The dev database's journal lists the committed file, and it is marked as dev's.
    const applied = await readAppliedState(loadProject(p.opts), ch, false);
    expect(applied.devManaged).toBe(true);
    expect(applied.journalState.applied.map((a) => a.id)).toEqual([saved.file!.id]);
  });

  it("add, change and remove fields: pending.yaml holds the net change; add-then-remove leaves none", async () => {
    const db = "dev_fields";
    const p = await committedProject(db);
    expect(fs.existsSync(pendingPath(p.root))).toBe(false);

    const added = await p.save(model("name: string; note: string"));
    expect(added).toMatchObject({ kind: "cycle", pending: "written", pendingDeltas: 1 });
    expect(await columns(db)).toEqual(["id String", "name String", "note String"]);
    expect(pending(p.root).deltas).toMatchObject([
      { type: "AddTableColumn", column: { name: "note" } },
    ]);

    const changed = await p.save(model("name: string; note: number"));
    expect(changed.kind).toBe("cycle");
    expect(await columns(db)).toEqual(["id String", "name String", "note Float64"]);
    // Net change from the committed state: still one added column, now a number.
    expect(pending(p.root).deltas).toMatchObject([
      { type: "AddTableColumn", column: { name: "note" } },
    ]);
    expect(fs.readFileSync(pendingPath(p.root), "utf8")).toContain("Float64");

    const removed = await p.save(model("name: string"));
    expect(removed).toMatchObject({ kind: "cycle", pending: "removed" });
    expect(await columns(db)).toEqual(["id String", "name String"]);
    expect(fs.existsSync(pendingPath(p.root))).toBe(false);

    // Removing a committed field is a drop in pending.yaml, with its approval recorded.
    await p.save(model("id2: string"));
    expect(
      pending(p.root)
        .deltas.map((d) => d.type)
        .sort(),
    ).toEqual(["AddTableColumn", "DropTableColumn"].sort());
    expect(await columns(db)).toEqual(["id String", "id2 String"]);
  });

  it("a syntax error is survived: reported with file:line, pending.yaml unchanged, the fix goes on", async () => {
    const db = "dev_syntax";
    const p = await devProject(db, "name: string");
    await p.cycle(everything());
    const before = fs.readFileSync(pendingPath(p.root), "utf8");
    const broken = await p.save(model("name: string; note: strin g"));
    expect(broken.kind).toBe("failed");
    if (broken.kind !== "failed") return;
    expect(broken.phase).toBe("load");
    expect(broken.error.message).toMatch(/app\/index\.ts:2:\d+/);
    expect(fs.readFileSync(pendingPath(p.root), "utf8")).toBe(before);
    const fixed = await p.save(model("name: string; note: string"));
    expect(fixed).toMatchObject({ kind: "cycle", pending: "written" });
    expect(await columns(db)).toContain("note String");
  });

  it("a config change that needs a restart says so, without the values", async () => {
    const db = "dev_config";
    const p = await devProject(db, "name: string");
    await p.cycle(everything());
    const config = path.join(p.root, "moose.config.toml");
    fs.writeFileSync(
      config,
      fs
        .readFileSync(config, "utf8")
        .replace(`db_name = "${db}"`, `db_name = "${db}"\nhost_port = 18999\npassword = "s3cret"`),
    );
    await p.cycle({ ...noChanges(), config: true });
    const notice = p.events.find((e) => e.kind === "notice");
    expect(notice).toBeDefined();
    if (notice?.kind !== "notice") return;
    expect(notice.message).toContain("[clickhouse_config] host_port");
    expect(notice.message).toContain("[clickhouse_config] password");
    expect(notice.message).not.toContain("s3cret");
    expect(p.events.at(-1)).toMatchObject({ kind: "cycle" });
  });

  it("a corrupt committed file is reported, pending.yaml kept, and the repair picked up", async () => {
    const db = "dev_corrupt";
    const p = await devProject(db, "name: string");
    await p.cycle(everything());
    const saved = await generateMigration({ root: p.root, env: {}, save: true }, yes);
    await p.cycle({ ...noChanges(), migrations: true });
    const good = fs.readFileSync(saved.path!, "utf8");
    fs.writeFileSync(saved.path!, "id: [not yaml");
    const bad = await p.cycle({ ...noChanges(), migrations: true });
    expect(bad).toMatchObject({ kind: "failed", phase: "files" });
    if (bad.kind === "failed") expect(bad.error.message).toContain(path.basename(saved.path!));
    // A model save while the file is still broken reports it again rather than planning
    // against no committed files.
    const again = await p.save(model("name: string; x: string"));
    expect(again).toMatchObject({ kind: "failed", phase: "files" });
    expect(fs.existsSync(pendingPath(p.root))).toBe(false);
    fs.writeFileSync(saved.path!, good);
    const fixed = await p.cycle({ ...noChanges(), migrations: true });
    expect(fixed).toMatchObject({ kind: "cycle", pendingDeltas: 1 });
    expect(pending(p.root).deltas).toMatchObject([
      { type: "AddTableColumn", column: { name: "x" } },
    ]);
  });

  it("without a terminal or --yes flags a drop skips the cycle; the next save asks again", async () => {
    const db = "dev_decide";
    const noTerminal = createDecisions({}, {}, quiet, false);
    const p = await devProject(db, "name: string; note: string", noTerminal);
    await p.cycle(everything());
    const before = fs.readFileSync(pendingPath(p.root), "utf8");
    const skipped = await p.save(model("name: string"));
    expect(skipped).toMatchObject({ kind: "skipped", reason: "unanswered" });
    if (skipped.kind !== "skipped") return;
    expect(skipped.decisions.map((d) => d.id)).toEqual(["drop-column:T.note"]);
    expect(await columns(db)).toEqual(["id String", "name String", "note String"]);
    // pending.yaml follows the code all the same: what generate would write now.
    expect(fs.readFileSync(pendingPath(p.root), "utf8")).not.toBe(before);
    expect(fs.readFileSync(pendingPath(p.root), "utf8")).not.toContain("note");
    // Undoing the change is a clean cycle.
    const undone = await p.save(model("name: string; note: string"));
    expect(undone).toMatchObject({ kind: "cycle", changes: [] });
  });

  it("replicated tables: plain engines in the embedded database, the code's engines in pending.yaml", async () => {
    const db = "dev_replicated";
    const p = await devProject(db, "name: string");
    const first = await p.save(
      model(
        "name: string",
        `import { ClickHouseEngines } from "@514labs/moose-lib";
export const R = new OlapTable<Row>("R", { orderByFields: ["id"], engine: ClickHouseEngines.ReplicatedReplacingMergeTree, keeperPath: "/clickhouse/tables/{shard}/r", replicaName: "{replica}" });
`,
      ),
    );
    expect(first, first.kind === "failed" ? first.error.message : "").toMatchObject({
      kind: "cycle",
    });
    const engines = await ch.query<{ name: string; engine_full: string }>(
      "SELECT name, engine_full FROM system.tables WHERE database = {db:String} AND name = 'R'",
      { db },
    );
    expect(engines[0]?.engine_full).toMatch(/^ReplacingMergeTree /);
    expect(fs.readFileSync(pendingPath(p.root), "utf8")).toContain("ReplicatedReplacingMergeTree");
    // The next save plans no change for it: the local form is what dev compares with.
    const again = await p.save(
      `${fs.readFileSync(path.join(p.root, "app", "index.ts"), "utf8")}\n`,
    );
    expect(again).toMatchObject({ kind: "cycle", changes: [] });
  });

  it("a destructive answer holds for its cycle only: the same drop later is asked again", async () => {
    const db = "dev_ask_again";
    let asked = 0;
    const counting: DecisionPort = {
      known: () => ({}),
      ask: (pending) => {
        asked++;
        return Promise.resolve(Object.fromEntries(pending.map((d) => [d.id, true])));
      },
    };
    const p = await devProject(db, "name: string; note: string", counting);
    await p.cycle(everything());
    await p.save(model("name: string"));
    expect(asked).toBe(1);
    await p.save(model("name: string; note: string"));
    await ch.command(`INSERT INTO ${db}.T VALUES ('a', 'b', 'keep me')`);
    const again = await p.save(model("name: string"));
    expect(asked).toBe(2);
    expect(again).toMatchObject({ kind: "cycle" });
  });

  it("a table on a cluster: created without ON CLUSTER, and altered after the database is read again", async () => {
    const db = "dev_cluster";
    const root = makeProject({
      dbName: db,
      model: model("name: string").replace(
        '{ orderByFields: ["id"] }',
        '{ orderByFields: ["id"], cluster: "c1" }',
      ),
      config: `[clickhouse_config]\ndb_name = "${db}"\n\n[[clickhouse_config.clusters]]\nname = "c1"\n`,
    });
    const opts = { root, env: {} };
    await markDevDatabase(ch, db);
    const events: DevEvent[] = [];
    const session = new DevSession(loadProject(opts), opts, ch, yes, (e) => events.push(e));
    await session.cycle(everything());
    expect(events.at(-1)).toMatchObject({ kind: "cycle" });
    expect(fs.readFileSync(pendingPath(root), "utf8")).toContain("cluster_name: c1");
    // As after a restart or a change through the endpoint: the state comes from ClickHouse.
    session.localChanged();
    fs.writeFileSync(
      path.join(root, "app", "index.ts"),
      model("name: string; extra: string").replace(
        '{ orderByFields: ["id"] }',
        '{ orderByFields: ["id"], cluster: "c1" }',
      ),
    );
    await session.cycle({ ...noChanges(), models: [path.join(root, "app", "index.ts")] });
    const last = events.at(-1)!;
    expect(last, last.kind === "failed" ? last.error.message : "").toMatchObject({ kind: "cycle" });
    expect(await columns(db)).toEqual(["id String", "name String", "extra String"]);
  });

  it("a change ClickHouse refuses is reported and retried on the next save", async () => {
    const db = "dev_refused";
    const p = await devProject(db, "name: string");
    await p.cycle(everything());
    const bad = await p.save(
      model(
        "name: string",
        `import { View, sql } from "@514labs/moose-lib";\nexport const V = new View("V", sql\`SELECT no_such_function(id) FROM \${T}\`, [T]);\n`,
      ),
    );
    expect(bad.kind).toBe("failed");
    if (bad.kind !== "failed") return;
    expect(bad.phase).toBe("apply");
    expect(bad.error.message).toMatch(/UNKNOWN_FUNCTION|no_such_function/);
    const good = await p.save(
      model(
        "name: string",
        `import { View, sql } from "@514labs/moose-lib";\nexport const V = new View("V", sql\`SELECT upper(id) AS u FROM \${T}\`, [T]);\n`,
      ),
    );
    expect(good).toMatchObject({ kind: "cycle" });
    const views = await ch.query<{ name: string }>(
      "SELECT name FROM system.tables WHERE database = {db:String} AND engine = 'View'",
      { db },
    );
    expect(views.map((v) => v.name)).toEqual(["V"]);
  });

  it("status against dev's database reports the pending change as unmigrated, not as drift", async () => {
    const db = "dev_status";
    const p = await committedProject(db);
    await p.save(model("name: string; extra: string"));
    const status = await migrationStatus({
      root: p.root,
      env: {},
      clickhouseUrl: `chdb://${DIR}`,
      connect: () => ({ ...ch, close: () => Promise.resolve() }),
    });
    expect(status.pending).toEqual([]);
    expect(status.drift).toEqual([]);
    expect(status.unmigrated).toEqual(["Add column 'extra' to 'T'"]);
    // And generate against it writes exactly pending.yaml's change.
    const g = await generateMigration(
      {
        root: p.root,
        env: {},
        save: false,
        clickhouseUrl: `chdb://${DIR}`,
        connect: () => ({ ...ch, close: () => Promise.resolve() }),
      },
      yes,
    );
    expect(g.base).toBe("committed-files");
    expect(g.file?.deltas).toEqual(YAML.parse(fs.readFileSync(pendingPath(p.root), "utf8")).deltas);
  });
});
