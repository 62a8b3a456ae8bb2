import { describe, expect, it } from "vitest";
import { parseClickHouseUrl, maskUrl } from "../../src/config/url";
import { applyEnvOverrides } from "../../src/config/config";
import { diffMaps } from "../../src/core/diff";
import { orderDeltas } from "../../src/core/order";
import { foldFiles } from "../../src/core/fold";
import { EMPTY_STATE_HASH, engineParamsHash, tableSettingsHash } from "../../src/core/hash";
import { lifecycleViolation } from "../../src/core/lifecycle";
import { parseMigrationFile, serializeMigrationFile } from "../../src/core/migration-file";
import { normalizeTtl } from "../../src/core/normalize";
import { renderCreateTable, renderDelta } from "../../src/core/render-sql";
import { goldenRead } from "../support/golden";
import { col, mapOf, table } from "../support/fixtures";

describe("hashes", () => {
  it("reproduce Moose's empty-state, settings and engine hashes", () => {
    expect(EMPTY_STATE_HASH).toBe(
      "2cef55d3abf87fd8ab3e438898a908d7af537773c06e46ee692b6bd622e44901",
    );
    expect(
      tableSettingsHash({
        index_granularity: "8192",
        index_granularity_bytes: "10485760",
        enable_mixed_granularity_parts: "1",
      }),
    ).toBe("2a829df7aa4f8fc1b104ebeb310a3620e36ee055842b09814808045285ec62ee");
    expect(engineParamsHash({ ReplacingMergeTree: { ver: "ver", is_deleted: "isDeleted" } })).toBe(
      "51fa3ff1a3113cb6c7cf63be02c522a22161e7a32484a3622e6af9394324d2de",
    );
  });
});

describe("delta file format", () => {
  it("reads the reference tool's YAML-tagged enums and engines as plain maps", () => {
    const f = parseMigrationFile(
      goldenRead("e57-enum-create", "migrations/20261122_045020_089_migration.yaml"),
      "x.yaml",
    );
    const first = f.deltas[0]!;
    const t = first.type === "CreateTable" ? first.table : undefined;
    expect(t!.columns[1]!.data_type).toEqual({
      name: "Status",
      values: [
        { name: "Active", value: { String: "active" } },
        { name: "Inactive", value: { String: "inactive" } },
      ],
    });
    const e14 = parseMigrationFile(
      goldenRead("e14-feat-create", "migrations/20261122_044610_678_migration.yaml"),
      "y.yaml",
    );
    expect(
      e14.deltas.map((d) => (d.type === "CreateTable" ? d.table.engine : null)),
    ).toContainEqual({ ReplacingMergeTree: { ver: "ver", is_deleted: "isDeleted" } });
  });
  it("round-trips a file through the writer without tags", () => {
    const text = goldenRead("07-change-order-by", "migrations/20261122_042408_942_migration.yaml");
    const f = parseMigrationFile(text, "z.yaml");
    const out = serializeMigrationFile(f);
    expect(out).not.toContain("!");
    expect(parseMigrationFile(out, "z.yaml")).toEqual(f);
    expect(out.split("\n").slice(0, 4)).toEqual([
      "id: 20261122_042408_942_migration",
      "description: migration",
      "parent_state_hash: d9ef84ce5da7b92b98e5508618bc41b021a1a4cf293f0d35fcd7b0ba5b11b863",
      "deltas:",
    ]);
  });
});

describe("fold", () => {
  it("fails with the file, the delta and Moose's reason", () => {
    expect(() =>
      foldFiles(
        [{ id: "f1", deltas: [{ type: "DropTableColumn", table_id: "db_T", column_name: "x" }] }],
        "db",
      ),
    ).toThrow(
      "Migration 'f1' does not apply to the state before it: delta 1 (DropTableColumn): table 'db_T' not found in infrastructure map",
    );
  });
  it("inserts an added column after the named one, or first", () => {
    const m = foldFiles(
      [
        {
          id: "f",
          deltas: [
            { type: "CreateTable", table: table("T", [col("a"), col("c")]) },
            { type: "AddTableColumn", table_id: "db_T", column: col("b"), after_column: "a" },
            { type: "AddTableColumn", table_id: "db_T", column: col("z"), after_column: null },
          ],
        },
      ],
      "db",
    );
    expect(m.tables.db_T!.columns.map((c) => c.name)).toEqual(["z", "a", "b", "c"]);
  });
});

describe("diff", () => {
  it("emits drops before creates, by table id, and column changes in column order", () => {
    const base = mapOf(table("B", [col("id"), col("old")]), table("Z", [col("id")]));
    const target = mapOf(
      table("B", [col("id"), col("n1"), col("n2", { required: false })]),
      table("A", [col("id")]),
    );
    const d = orderDeltas(diffMaps(base, target), "db");
    expect(d.map((x) => x.type)).toEqual([
      "DropTableColumn",
      "DropTable",
      "CreateTable",
      "AddTableColumn",
      "AddTableColumn",
    ]);
    expect(d[3]).toMatchObject({ column: { name: "n1" }, after_column: "id" });
    expect(d[4]).toMatchObject({ column: { name: "n2" }, after_column: "n1" });
  });
  it("recreates on ORDER BY change and ignores ClickHouse's spellings", () => {
    const t = table("T", [col("id"), col("ts", { data_type: "DateTime" })], {
      table_ttl_setting: "ts + INTERVAL 30 DAY",
    });
    expect(diffMaps(mapOf(t), mapOf({ ...t, order_by: ["id", "ts"] }))[0]!.type).toBe(
      "RecreateTable",
    );
    expect(diffMaps(mapOf(t), mapOf({ ...t, order_by: "(id)" }))).toEqual([]);
    expect(normalizeTtl("ts + toIntervalDay(30)")).toBe(normalizeTtl("ts + INTERVAL 30 DAY"));
  });
});

describe("lifecycle", () => {
  const fm = table("T", [col("id"), col("x")]);
  const dp = { ...fm, life_cycle: "DELETION_PROTECTED" as const };
  const em = { ...fm, life_cycle: "EXTERNALLY_MANAGED" as const };
  it.each([
    ["drop of a FULLY_MANAGED table", { type: "DropTable", table: fm } as const, fm, null],
    [
      "drop of a DELETION_PROTECTED table",
      { type: "DropTable", table: dp } as const,
      dp,
      "removal blocked",
    ],
    [
      "column drop on DELETION_PROTECTED",
      { type: "DropTableColumn", table_id: "db_T", column_name: "x" } as const,
      dp,
      "column removal blocked",
    ],
    [
      "column add on DELETION_PROTECTED",
      { type: "AddTableColumn", table_id: "db_T", column: col("y"), after_column: "x" } as const,
      dp,
      null,
    ],
    [
      "column add on EXTERNALLY_MANAGED",
      { type: "AddTableColumn", table_id: "db_T", column: col("y"), after_column: "x" } as const,
      em,
      "addition blocked",
    ],
    [
      "create of EXTERNALLY_MANAGED",
      { type: "CreateTable", table: em } as const,
      em,
      "addition blocked",
    ],
    [
      "recreate of DELETION_PROTECTED",
      { type: "RecreateTable", before: fm, after: dp } as const,
      dp,
      "drop + recreate blocked",
    ],
  ])("%s", (_name, delta, codeTable, expected) => {
    const v = lifecycleViolation(delta, mapOf(fm), mapOf(codeTable));
    if (expected === null) expect(v).toBeNull();
    else expect(v).toContain(expected);
  });
});

describe("SQL rendering", () => {
  it("matches the reference tool's CREATE TABLE", () => {
    const f = parseMigrationFile(
      goldenRead("01-create-User", "migrations/20261122_042136_489_migration.yaml"),
      "a.yaml",
    );
    const first = f.deltas[0]!;
    const t = first.type === "CreateTable" ? first.table : undefined;
    expect(renderCreateTable(t!, "local")).toBe(
      "CREATE TABLE IF NOT EXISTS `local`.`User` ( `id` String NOT NULL, `name` String NOT NULL, `age` Float64 NOT NULL, `createdAt` DateTime('UTC') NOT NULL ) ENGINE = MergeTree PRIMARY KEY (`id`) ORDER BY (`id`) SETTINGS enable_mixed_granularity_parts = 1, index_granularity = 8192, index_granularity_bytes = 10485760",
    );
  });
  it("quotes identifiers and escapes literals", () => {
    const m = mapOf(table("T", [col("id")]));
    const sql = renderDelta(
      {
        type: "AddTableColumn",
        table_id: "db_T",
        column: col("we`ird", { comment: "it's" }),
        after_column: "id",
      },
      m,
    )[0]!.sql;
    expect(sql).toBe(
      "ALTER TABLE `db`.`T` ADD COLUMN IF NOT EXISTS `we\\`ird` String COMMENT 'it\\'s' AFTER `id`",
    );
  });
});

describe("config and URLs", () => {
  it("parses each URL form and masks passwords", () => {
    expect(parseClickHouseUrl("http://u:p@h:8123/db1", "/r", "local")).toMatchObject({
      kind: "http",
      url: "http://h:8123",
      username: "u",
      password: "p",
      database: "db1",
    });
    expect(parseClickHouseUrl("clickhouse://u:p@h:9440?database=x", "/r", "local")).toMatchObject({
      url: "https://h:8443",
      database: "x",
    });
    expect(parseClickHouseUrl("chdb://.moose/ch", "/r", "local")).toMatchObject({
      kind: "chdb",
      path: "/r/.moose/ch",
      database: "local",
    });
    expect(parseClickHouseUrl("chdb:///abs/ch?database=d", "/r", "local")).toMatchObject({
      path: "/abs/ch",
      database: "d",
    });
    expect(maskUrl("https://user:s3cret@host/db")).toBe("https://user:****@host/db");
  });
  it("applies MOOSE_<SECTION>__<KEY> environment overrides", () => {
    expect(
      applyEnvOverrides(
        { clickhouse_config: { db_name: "a" } },
        { MOOSE_CLICKHOUSE_CONFIG__DB_NAME: "b", MOOSE_CLICKHOUSE_CONFIG__URL: "chdb://x" },
      ),
    ).toEqual({
      clickhouse_config: { db_name: "b", url: "chdb://x" },
    });
  });
});
