import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import YAML from "yaml";
import { chdbShell } from "../support/chdb-shell";
import { moose } from "../support/cli";
import { col } from "../support/fixtures";
import { makeProject } from "../support/golden";

/*
 * SQL injection through every free-form field of a model and of a hand-written migration file,
 * against a real project whose unrelated table `Orders` holds rows. Many attempts share one
 * CLI run (every finding is listed at once), so the file stays fast.
 */

const DIR = path.join(os.tmpdir(), `moose-e2e-inject-${process.pid}`);
const URL = `chdb://${DIR}`;
const DROP = "DROP TABLE local.Orders";

const ORDERS = `import { OlapTable, Key, MaterializedView, View, ClickHouseDefault, ClickHouseMaterialized,
  ClickHouseAlias, ClickHouseTTL, ClickHouseCodec } from "@514labs/moose-lib";
export interface Order { id: Key<string>; total: number }
export const Orders = new OlapTable<Order>("Orders", { orderByFields: ["id"] });
`;

/** One table and one view / MV per free-form field kind, each carrying an injection. */
const EVIL_MODEL = `${ORDERS}
export interface Evil {
  id: Key<string>;
  ts: Date;
  a: string & ClickHouseDefault<"'x'; ${DROP}">;
  b: string & ClickHouseMaterialized<"id; ${DROP}">;
  c: string & ClickHouseAlias<"id -- ${DROP}">;
  d: string & ClickHouseTTL<"ts + INTERVAL 1 DAY; ${DROP}">;
  e: string & ClickHouseCodec<"ZSTD(1)); ${DROP}; --">;
}
export const EvilT = new OlapTable<Evil>("Evil", {
  orderByExpression: "(id); ${DROP}",
  partitionBy: "toYYYYMM(ts); ${DROP}",
  primaryKeyExpression: "id /* ${DROP} */",
  sampleByExpression: "id # ${DROP}",
  ttl: "ts + INTERVAL 1 DAY; ${DROP}",
  settings: { "merge_with_ttl_timeout = 1 ; ${DROP}; --": "1" },
  indexes: [{ name: "i", expression: "id; ${DROP}", type: "minmax", granularity: 1 }],
  projections: [{ name: "p", body: "SELECT id) ; ${DROP}; (SELECT id" }],
});
export const EvilView = new View("EvilView", "SELECT 1 AS x; ${DROP}", []);
export interface T2 { id: string; total: number }
export const Target = new OlapTable<T2>("Target", { orderByFields: ["id"] });
export const EvilMV = new MaterializedView<T2>({
  materializedViewName: "EvilMV",
  selectStatement: "SELECT id, total FROM local.Orders INTO OUTFILE 'x'",
  selectTables: [Orders],
  targetTable: Target,
});
`;

const MODEL_FIELDS = [
  "OlapTable Evil, columns.a.default",
  "OlapTable Evil, columns.b.materialized",
  "OlapTable Evil, columns.c.alias",
  "OlapTable Evil, columns.d.ttl",
  "OlapTable Evil, columns.e.codec",
  `OlapTable Evil, settings["merge_with_ttl_timeout = 1 ; ${DROP}; --"]`,
  "OlapTable Evil, ttl",
  "OlapTable Evil, partitionBy",
  "OlapTable Evil, orderByExpression",
  "OlapTable Evil, primaryKeyExpression",
  "OlapTable Evil, sampleByExpression",
  "OlapTable Evil, indexes.i.expression",
  "OlapTable Evil, projections.p.body",
  "View EvilView, selectStatement",
  "MaterializedView EvilMV, selectStatement",
];

/** The database as a person would check it: tables, Orders' rows, journal rows, databases. */
const snapshot = () =>
  chdbShell(
    DIR,
    `SELECT
      (SELECT groupArray(name) FROM (SELECT name FROM system.tables WHERE database = 'local' ORDER BY name)) AS tables,
      (SELECT groupArray((id, total)) FROM (SELECT id, total FROM local.Orders ORDER BY id)) AS orders,
      (SELECT count() FROM local._moose_migrations) AS journal,
      (SELECT groupArray(name) FROM (SELECT name FROM system.databases ORDER BY name)) AS databases`,
  )[0];

const files = (root: string) => fs.readdirSync(path.join(root, "migrations")).sort();

/** A column as a hand-written file holds it (extra fields may be anything a file could say). */
const column = (name: string, extra: Record<string, unknown> = {}) => ({ ...col(name), ...extra });

/** A hand-written file carrying the same texts in every SQL-bearing delta field. */
const evilFile = (id: string) => {
  const table = {
    name: "Evil",
    columns: [
      column("id"),
      column("ts", { data_type: "DateTime" }),
      column("a", { default: `'x'; ${DROP}` }),
      column("b", { materialized: `id; ${DROP}` }),
      column("c", { alias: `id -- ${DROP}` }),
      column("d", { ttl: `ts + INTERVAL 1 DAY; ${DROP}` }),
      column("e", { codec: `ZSTD(1)); ${DROP}; --` }),
    ],
    order_by: `(id); ${DROP}`,
    partition_by: `toYYYYMM(ts); ${DROP}`,
    sample_by: `id # ${DROP}`,
    engine: "MergeTree",
    version: null,
    source_primitive: { name: "Evil", primitive_type: "DataModel" },
    metadata: null,
    life_cycle: "FULLY_MANAGED",
    table_settings: { [`merge_with_ttl_timeout = 1 ; ${DROP}; --`]: "1" },
    indexes: [
      { name: "i", expression: `id; ${DROP}`, type: "minmax", arguments: [], granularity: 1 },
    ],
    projections: [{ name: "p", body: `SELECT id) ; ${DROP}; (SELECT id` }],
    constraints: [],
    table_ttl_setting: `ts + INTERVAL 1 DAY; ${DROP}`,
    primary_key_expression: `id /* ${DROP} */`,
  };
  const orders = "local_Orders";
  return YAML.stringify({
    id,
    description: "hand-written",
    parent_state_hash: "0".repeat(64),
    deltas: [
      { type: "CreateTable", table },
      {
        type: "AddTableColumn",
        table_id: orders,
        column: column("z", { default: `1; ${DROP}` }),
        after_column: "total",
      },
      { type: "ModifyTableTtl", table_id: orders, before: null, after: `now(); ${DROP}` },
      {
        type: "AddTableIndex",
        table_id: orders,
        index: {
          name: "j",
          expression: `id -- ${DROP}`,
          type: "minmax",
          arguments: [],
          granularity: 1,
        },
      },
      {
        type: "AddTableProjection",
        table_id: orders,
        projection: { name: "q", body: `SELECT id; ${DROP}` },
      },
      { type: "ModifySampleBy", table_id: orders, expression: `id; ${DROP}` },
      {
        type: "ModifyTableSettings",
        table_id: orders,
        before: {},
        after: { [`x = 1; ${DROP}; --`]: "1" },
      },
      {
        type: "CreateView",
        view: { name: "EvilView", selectSql: `SELECT 1 AS x; ${DROP}`, sourceTables: [] },
      },
      {
        type: "CreateMaterializedView",
        mv: {
          name: "EvilMV",
          selectSql: `SELECT id FROM local.Orders FORMAT CSV`,
          sourceTables: [],
          targetTable: "Orders",
        },
      },
      { type: "RawSql", sql: [`SELECT 1; ${DROP}`], description: "" },
    ],
    created_at: "2030-01-01T00:00:00.000Z",
  });
};

const FILE_FIELDS = [
  "delta 1 (CreateTable), table.columns.a.default",
  "delta 1 (CreateTable), table.columns.b.materialized",
  "delta 1 (CreateTable), table.columns.c.alias",
  "delta 1 (CreateTable), table.columns.d.ttl",
  "delta 1 (CreateTable), table.columns.e.codec",
  "delta 1 (CreateTable), table.table_settings[",
  "delta 1 (CreateTable), table.table_ttl_setting",
  "delta 1 (CreateTable), table.partition_by",
  "delta 1 (CreateTable), table.order_by",
  "delta 1 (CreateTable), table.primary_key_expression",
  "delta 1 (CreateTable), table.sample_by",
  "delta 1 (CreateTable), table.indexes.i.expression",
  "delta 1 (CreateTable), table.projections.p.body",
  "delta 2 (AddTableColumn), column.z.default",
  "delta 3 (ModifyTableTtl), after",
  "delta 4 (AddTableIndex), indexes.j.expression",
  "delta 5 (AddTableProjection), projection.body",
  "delta 6 (ModifySampleBy), expression",
  "delta 7 (ModifyTableSettings), after[",
  "delta 8 (CreateView), view.selectSql",
  "delta 9 (CreateMaterializedView), mv.selectSql",
  "delta 10 (RawSql), sql[0]",
];

describe("injection through the model's and the files' SQL text", () => {
  let root: string;
  let before: Record<string, unknown> | undefined;

  beforeAll(() => {
    root = makeProject({ model: ORDERS });
    expect(moose(root, "generate", "migration", "--save", "--clickhouse-url", URL).code).toBe(0);
    expect(moose(root, "migrate", "--clickhouse-url", URL).code).toBe(0);
    chdbShell(DIR, "INSERT INTO local.Orders VALUES ('a', 1), ('b', 2)");
    before = snapshot();
    expect(before?.orders).toEqual([
      ["a", 1],
      ["b", 2],
    ]);
  });

  it("generate and plan refuse every field with MODEL_SQL_INVALID; nothing written or run", () => {
    fs.writeFileSync(path.join(root, "app", "index.ts"), EVIL_MODEL);
    const committed = files(root);
    for (const args of [["generate", "migration", "--save"], ["plan"]]) {
      const r = moose(root, ...args, "--clickhouse-url", URL);
      expect(r.code, r.err).toBe(1);
      expect(r.err).toContain("Error [MODEL_SQL_INVALID]");
      expect(r.err).toContain("Hint:");
      for (const f of MODEL_FIELDS) expect(r.err).toContain(f);
    }
    expect(files(root)).toEqual(committed);
    expect(snapshot()).toEqual(before);
  });

  it("a setting value stays a quoted literal: ClickHouse refuses it, Orders is untouched", () => {
    fs.writeFileSync(
      path.join(root, "app", "index.ts"),
      ORDERS.replace(
        'orderByFields: ["id"] }',
        `orderByFields: ["id"], settings: { merge_with_ttl_timeout: "1'; ${DROP}; --" } }`,
      ),
    );
    const committed = files(root);
    const r = moose(root, "generate", "migration", "--save", "--clickhouse-url", URL);
    expect(r.code, r.err).toBe(1);
    expect(r.err).toMatch(/Error \[(DDL_REJECTED|CLICKHOUSE_QUERY_FAILED)\]/);
    expect(files(root)).toEqual(committed);
    expect(snapshot()).toEqual(before);
  });

  it("migrate refuses a hand-written file carrying the same texts, before anything runs", () => {
    fs.writeFileSync(path.join(root, "app", "index.ts"), ORDERS);
    const id = "20300101_000000_000_evil";
    fs.writeFileSync(path.join(root, "migrations", `${id}.yaml`), evilFile(id));
    const r = moose(root, "migrate", "--clickhouse-url", URL);
    expect(r.code, r.err).toBe(1);
    expect(r.err).toContain("Error [MIGRATION_FILE_INVALID]");
    expect(r.err).toContain(`${id}.yaml`);
    for (const f of FILE_FIELDS) expect(r.err).toContain(f);
    expect(snapshot()).toEqual(before);
  });
});
