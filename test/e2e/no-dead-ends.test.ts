/*
 * The traps users fell into, each reproduced through the built CLI on the embedded engine and
 * shown gone: every file generate writes folds, validates and applies, and the loop ends with
 * generate and migrate agreeing.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import YAML from "yaml";
import { chdbShell } from "../support/chdb-shell";
import { moose } from "../support/cli";
import { makeProject } from "../support/golden";

const DIR = path.join(os.tmpdir(), `moose-e2e-dead-ends-${process.pid}`);
const URL = `chdb://${DIR}`;
const live = (cwd: string, ...args: string[]) => moose(cwd, ...args, "--clickhouse-url", URL);

const MODEL = `import { OlapTable, Key } from "@514labs/moose-lib";
export interface Row { id: Key<string>; name: string; n: number }
export const T = new OlapTable<Row>("T", { orderByFields: ["id"] });
`;

const files = (root: string) =>
  fs
    .readdirSync(path.join(root, "migrations"))
    .filter((f) => f.endsWith(".yaml"))
    .sort();
const lastFile = (root: string) => {
  const all = files(root);
  const text = fs.readFileSync(path.join(root, "migrations", all.at(-1)!), "utf8");
  return {
    name: all.at(-1)!,
    text,
    deltas: (YAML.parse(text) as { deltas: { type: string }[] }).deltas,
  };
};
const columns = (db: string, table = "T") =>
  chdbShell(
    DIR,
    `SELECT name, type FROM system.columns WHERE database = '${db}' AND table = '${table}' ORDER BY position`,
  ).map((r) => `${String(r.name)} ${String(r.type)}`);

/** Deployed project: one file generated and applied. */
const deployed = (db: string, model = MODEL) => {
  const root = makeProject({ dbName: db, model });
  expect(moose(root, "generate", "migration", "--save").code).toBe(0);
  expect(live(root, "migrate").code).toBe(0);
  return root;
};

/** The loop has converged: the files validate, migrate has nothing to do, generate nothing to write. */
const converged = (root: string) => {
  expect(moose(root, "migrate", "--validate").code).toBe(0);
  const status = live(root, "migrate", "--status");
  expect(status.out).toContain("Up to date");
  expect(status.code).toBe(0);
  expect(live(root, "generate", "migration").out).toContain("No changes detected");
};

describe("hand-made changes are answered by files that fold and apply", () => {
  it("a column added by hand: recorded, then dropped", () => {
    const db = "dead_added_col";
    const root = deployed(db);
    chdbShell(DIR, `ALTER TABLE ${db}.T ADD COLUMN extra String`);
    const g = live(root, "generate", "migration", "--save", "--yes-destructive");
    expect(g.code, g.err).toBe(0);
    expect(g.out).toContain("recorded: already so in the database");
    expect(lastFile(root).deltas.map((d) => d.type)).toEqual(["AddTableColumn", "DropTableColumn"]);
    const m = live(root, "migrate");
    expect(m.code, m.err).toBe(0);
    expect(columns(db)).toEqual(["id String", "name String", "n Float64"]);
    converged(root);
  });

  it("a column dropped by hand: recorded, then added back", () => {
    const db = "dead_dropped_col";
    const root = deployed(db);
    chdbShell(DIR, `ALTER TABLE ${db}.T DROP COLUMN n`);
    const g = live(root, "generate", "migration", "--save");
    expect(g.code, g.err).toBe(0);
    expect(lastFile(root).deltas.map((d) => d.type)).toEqual(["DropTableColumn", "AddTableColumn"]);
    expect(live(root, "migrate").code).toBe(0);
    expect(columns(db)).toEqual(["id String", "name String", "n Float64"]);
    converged(root);
  });

  it("a column changed by hand: recorded, then changed back", () => {
    const db = "dead_changed_col";
    const root = deployed(db);
    chdbShell(
      DIR,
      `INSERT INTO ${db}.T VALUES ('a', 'x', 1.5)`,
      `ALTER TABLE ${db}.T MODIFY COLUMN n Int64`,
    );
    const g = live(root, "generate", "migration", "--save");
    expect(g.code, g.err).toBe(0);
    expect(lastFile(root).deltas.map((d) => d.type)).toEqual([
      "ModifyTableColumn",
      "ModifyTableColumn",
    ]);
    expect(live(root, "migrate").code).toBe(0);
    expect(columns(db)).toEqual(["id String", "name String", "n Float64"]);
    converged(root);
  });

  it("a table dropped by hand: recorded, then created again", () => {
    const db = "dead_dropped_table";
    const root = deployed(db);
    chdbShell(DIR, `DROP TABLE ${db}.T`);
    const g = live(root, "generate", "migration", "--save");
    expect(g.code, g.err).toBe(0);
    expect(lastFile(root).deltas.map((d) => d.type)).toEqual(["DropTable", "CreateTable"]);
    expect(live(root, "migrate").code).toBe(0);
    expect(columns(db)).toEqual(["id String", "name String", "n Float64"]);
    converged(root);
  });

  it("a table the code declares, created by hand: adopted, and later changes fold", () => {
    const db = "dead_added_table";
    const root = deployed(db);
    chdbShell(DIR, `CREATE TABLE ${db}.U (id String) ENGINE = MergeTree ORDER BY id`);
    fs.writeFileSync(
      path.join(root, "app", "index.ts"),
      `${MODEL}export interface U { id: Key<string>; extra: string }\nexport const UT = new OlapTable<U>("U", { orderByFields: ["id"] });\n`,
    );
    const g = live(root, "generate", "migration", "--save");
    expect(g.code, g.err).toBe(0);
    expect(lastFile(root).deltas.map((d) => d.type)).toEqual(["CreateTable", "AddTableColumn"]);
    expect(live(root, "migrate").code).toBe(0);
    expect(columns(db, "U")).toEqual(["id String", "extra String"]);
    converged(root);
  });
});

const VIEW_MODEL = (select: string) => `${MODEL}
import { View } from "@514labs/moose-lib";
export const V = new View("V", { selectStatement: "${select}", baseTables: [T] });
`;

describe("what ClickHouse reads back in its own spelling is not drift", () => {
  it("a version column appended to the sorting key, a TTL's DELETE, a codec's width, string dates", () => {
    const root = deployed(
      "dead_read_back",
      `import { OlapTable, Key, Int8, UInt64, ClickHouseEngines, ClickHouseCodec, DateTime64String } from "@514labs/moose-lib";
export interface V { id: Key<string>; sign: Int8; ver: UInt64; x: number & ClickHouseCodec<"Delta, LZ4">; at: DateTime64String<6>; ts: Date }
export const VT = new OlapTable<V>("VC", { engine: ClickHouseEngines.VersionedCollapsingMergeTree, sign: "sign", ver: "ver", orderByFields: ["id"], ttl: "ts + INTERVAL 90 DAY DELETE" });
`,
    );
    converged(root);
  });
});

describe("nothing is written that cannot apply", () => {
  it("a SELECT ClickHouse rejects fails at generate with ClickHouse's reason; no file", () => {
    const db = "dead_bad_select";
    const root = deployed(db);
    fs.writeFileSync(path.join(root, "app", "index.ts"), VIEW_MODEL("SELECT nosuch FROM T"));
    const g = live(root, "generate", "migration", "--save");
    expect(g.code).toBe(1);
    expect(g.err).toContain("Error [DDL_REJECTED]");
    expect(g.err).toMatch(/V: UNKNOWN_IDENTIFIER \(code 47\): .*nosuch/);
    expect(g.err).not.toContain("_moose_check_");
    expect(files(root)).toHaveLength(1);
    // Nothing is left behind in the database either.
    expect(
      chdbShell(DIR, "SELECT name FROM system.databases WHERE name LIKE '_moose_check%'"),
    ).toEqual([]);
    fs.writeFileSync(path.join(root, "app", "index.ts"), VIEW_MODEL("SELECT id, name FROM T"));
    const ok = live(root, "generate", "migration", "--save");
    expect(ok.code, ok.err).toBe(0);
    expect(ok.out).toMatch(/ClickHouse accepts 1 new or changed object/);
    expect(live(root, "migrate").code).toBe(0);
    converged(root);
  });

  it("a doomed file is refused before anyone is asked a question about it", () => {
    const db = "dead_doomed_decisions";
    const root = deployed(db);
    // A column drop (a decision) together with a view ClickHouse rejects.
    fs.writeFileSync(
      path.join(root, "app", "index.ts"),
      VIEW_MODEL("SELECT nosuch FROM T").replace("name: string; ", ""),
    );
    const g = live(root, "generate", "migration", "--save");
    expect(g.code).toBe(1);
    expect(g.err).toContain("Error [DDL_REJECTED]");
    expect(g.err).not.toContain("DECISION_NEEDED");
  });

  it("a view reading a table the project does not manage is checked against that table's columns", () => {
    const db = "dead_unmanaged_source";
    const root = deployed(db);
    chdbShell(
      DIR,
      `CREATE TABLE ${db}.Ext (id String, score Int32) ENGINE = MergeTree ORDER BY id`,
    );
    fs.writeFileSync(path.join(root, "app", "index.ts"), VIEW_MODEL("SELECT id, score FROM Ext"));
    const ok = live(root, "generate", "migration", "--save");
    expect(ok.code, ok.err).toBe(0);
    expect(live(root, "migrate").code).toBe(0);
    // A column Ext does not have is still caught.
    fs.writeFileSync(path.join(root, "app", "index.ts"), VIEW_MODEL("SELECT id, nope FROM Ext"));
    const bad = live(root, "generate", "migration", "--save");
    expect(bad.code).toBe(1);
    expect(bad.err).toMatch(/V: UNKNOWN_IDENTIFIER \(code 47\): .*nope/);
  });

  it("offline, generate says what it could not check", () => {
    const root = makeProject({ dbName: "dead_offline", model: MODEL });
    const g = moose(root, "generate", "migration", "--save");
    expect(g.code).toBe(0);
    expect(g.out).toContain("ClickHouse checks not run: no target");
  });
});

describe("a way out of every failure", () => {
  it("a failed migrate, its file deleted, and a regenerate: generate and migrate agree", () => {
    const db = "dead_failed_file";
    const root = deployed(db);
    // Written offline (no server to check the SELECT), so the failure shows at migrate.
    fs.writeFileSync(
      path.join(root, "app", "index.ts"),
      VIEW_MODEL("SELECT nosuch FROM T").replace("n: number }", "n: number; added: string }"),
    );
    expect(moose(root, "generate", "migration", "--save").code).toBe(0);
    const failed = lastFile(root).name;
    const m = live(root, "migrate");
    expect(m.code).toBe(1);
    expect(m.err).toContain("UNKNOWN_IDENTIFIER");
    // The column was added before the view failed: the database holds part of the file.
    expect(columns(db)).toContain("added String");
    fs.rmSync(path.join(root, "migrations", failed));
    fs.writeFileSync(
      path.join(root, "app", "index.ts"),
      VIEW_MODEL("SELECT id, added FROM T").replace("n: number }", "n: number; added: string }"),
    );
    const g = live(root, "generate", "migration", "--save");
    expect(g.code, g.err).toBe(0);
    // The half-applied column is recorded, the view created.
    expect(lastFile(root).deltas.map((d) => d.type)).toEqual(["AddTableColumn", "CreateView"]);
    const again = live(root, "migrate");
    expect(again.code, again.err).toBe(0);
    converged(root);
  });

  it("a file answering hand-made changes that fails part-way resumes once the cause is fixed", () => {
    const db = "dead_resume_records";
    const root = deployed(db);
    chdbShell(
      DIR,
      `INSERT INTO ${db}.T VALUES ('a', 'one', 1)`,
      `ALTER TABLE ${db}.T ADD COLUMN hand String`,
    );
    // name: String → Int32 cannot convert 'one'.
    fs.writeFileSync(
      path.join(root, "app", "index.ts"),
      MODEL.replace("name: string;", "name: Int32;").replace("Key }", "Key, Int32 }"),
    );
    expect(live(root, "generate", "migration", "--save", "--yes-destructive").code).toBe(0);
    // The precheck stops the file before anything runs; approved, the cast fails part-way.
    const stopped = live(root, "migrate");
    expect(stopped.err).toContain("Error [DATA_LOSS_RISK]");
    const id = lastFile(root).name.replace(/\.yaml$/, "");
    const failed = live(root, "migrate", "--accept-data-loss", id);
    expect(failed.code).toBe(1);
    expect(failed.err).toContain("it resumes at delta");
    chdbShell(
      DIR,
      `ALTER TABLE ${db}.T UPDATE name = '7' WHERE id = 'a' SETTINGS mutations_sync = 2`,
    );
    const resumed = live(root, "migrate");
    expect(resumed.code, resumed.err).toBe(0);
    expect(columns(db)).toEqual(["id String", "name Int32", "n Float64"]);
    converged(root);
  });

  it("keeping the old table at a version bump does not block the deploy", () => {
    const versioned = (v: string) =>
      MODEL.replace(`{ orderByFields: ["id"] }`, `{ orderByFields: ["id"], version: "${v}" }`);
    const root = deployed("dead_keep_old", versioned("1.0"));
    fs.writeFileSync(path.join(root, "app", "index.ts"), versioned("2.0"));
    const hints = JSON.stringify({
      decisions: { "version-bump:T_1_0@1.0->2.0": { backfill: true, drop_old: false } },
    });
    const g = live(root, "generate", "migration", "--save", "--hints", hints);
    expect(g.code, g.err).toBe(0);
    expect(lastFile(root).deltas.map((d) => d.type)).toEqual(["CreateTable", "BackfillTable"]);
    const m = live(root, "migrate");
    expect(m.code, m.err).toBe(0);
    // The drop is offered again, as a decision.
    expect(live(root, "generate", "migration", "--json").out).toContain("drop-table:T_1_0");
  });

  it("ignore_operations mean the same to generate and migrate", () => {
    const db = "dead_ignore";
    const config = `[clickhouse_config]\ndb_name = "${db}"\n\n[features]\nmigrate_with_deltas = true\n\n[migration_config]\nignore_operations = ["ModifyTableTtl"]\n`;
    const withTtl = (ttl: string) =>
      MODEL.replace(
        `{ orderByFields: ["id"] }`,
        `{ orderByFields: ["id"], ttl: "${ttl}" }`,
      ).replace("n: number }", "n: number; at: Date }");
    const root = makeProject({ config, model: withTtl("at + INTERVAL 30 DAY") });
    expect(moose(root, "generate", "migration", "--save").code).toBe(0);
    expect(live(root, "migrate").code).toBe(0);
    fs.writeFileSync(path.join(root, "app", "index.ts"), withTtl("at + INTERVAL 90 DAY"));
    expect(live(root, "generate", "migration").out).toContain("No changes detected");
    const m = live(root, "migrate");
    expect(m.code, m.err).toBe(0);
    expect(live(root, "migrate", "--status").code).toBe(0);
  });
});

describe("decisions for people and agents", () => {
  const BEFORE = `import { OlapTable, Key } from "@514labs/moose-lib";
export interface Row { id: Key<string>; user_id: string; first_name: string; obsolete: number }
export const T = new OlapTable<Row>("T", { orderByFields: ["id"] });
`;
  const AFTER = `import { OlapTable, Key } from "@514labs/moose-lib";
export interface Row { id: Key<string>; uid: string; firstname: string }
export const T = new OlapTable<Row>("T", { orderByFields: ["id"] });
`;

  it("--json lists every decision in one run; --hints answers each one by id", () => {
    const root = makeProject({ dbName: "dead_decisions", model: BEFORE });
    expect(moose(root, "generate", "migration", "--save").code).toBe(0);
    fs.writeFileSync(path.join(root, "app", "index.ts"), AFTER);
    const plan = moose(root, "generate", "migration", "--json");
    expect(plan.code).toBe(3);
    const ids = (
      JSON.parse(plan.out) as { error: { details: { decisions: { id: string }[] } } }
    ).error.details.decisions.map((d) => d.id);
    expect(ids.sort()).toEqual([
      "drop-column:T.first_name",
      "drop-column:T.obsolete",
      "drop-column:T.user_id",
      "rename:T.first_name->firstname",
      "rename:T.user_id->uid",
    ]);
    const hints = JSON.stringify({
      decisions: {
        "rename:T.user_id->uid": true,
        "rename:T.first_name->firstname": false,
        "drop-column:T.first_name": true,
        "drop-column:T.obsolete": true,
      },
    });
    const g = moose(root, "generate", "migration", "--save", "--hints", hints);
    expect(g.code, g.err).toBe(0);
    const file = lastFile(root);
    expect(file.deltas.map((d) => d.type).sort()).toEqual(
      ["AddTableColumn", "DropTableColumn", "DropTableColumn", "RenameTableColumn"].sort(),
    );
    expect(file.text).not.toMatch(/[&*]a\d/);
  });

  it("an answer the tool does not understand is a usage error, never ignored", () => {
    const root = makeProject({ dbName: "dead_bad_hints", model: BEFORE });
    const r = moose(root, "generate", "migration", "--hints", '{"destructive": "yes"}');
    expect(r.code).toBe(2);
    expect(r.err).toContain('"destructive" must be true or false');
    const typo = moose(root, "generate", "migration", "--hints", '{"decision": {}}');
    expect(typo.code).toBe(2);
    expect(typo.err).toContain('unknown key "decision"');
  });
});
