import { describe, expect, it } from "vitest";
import type { Delta } from "../../src/core/deltas";
import { DELTA_TYPES } from "../../src/core/deltas";
import { orderDeltas } from "../../src/core/order";
import { renderEngine } from "../../src/core/engines";
import type { Engine } from "../../src/core/infra-map";
import { recreateTableSql, renderCreateTable, renderDelta } from "../../src/core/render-sql";
import { col, mapOf, table, topic as topicOf } from "../support/fixtures";

const t = table("t", [col("id"), col("v", { data_type: "Int64" })], {
  table_settings: { index_granularity: "8192", merge_with_ttl_timeout: "3600" },
});
const state = mapOf(t);
const onCluster = mapOf({ ...t, cluster_name: "c1" });
const sql = (d: Delta, map = state) => renderDelta(d, map).map((s) => s.sql);
const topic = topicOf("events");
const view = { name: "v1", selectSql: "SELECT id FROM t", sourceTables: ["`t`"] };
const mv = { ...view, name: "mv1", targetTable: "t", lifeCycle: "FULLY_MANAGED" as const };

/** Golden SQL of every delta kind (what `migrate` runs). */
const CASES: [Delta, string[]][] = [
  [
    { type: "CreateTable", table: t },
    [
      "CREATE TABLE IF NOT EXISTS `db`.`t` ( `id` String NOT NULL, `v` Int64 NOT NULL ) ENGINE = MergeTree ORDER BY (`id`) SETTINGS index_granularity = 8192, merge_with_ttl_timeout = 3600",
    ],
  ],
  [{ type: "DropTable", table: t }, ["DROP TABLE IF EXISTS `db`.`t`"]],
  // Rows kept: new schema under a temporary name, copy with casts (`v` changes type, `n` is
  // new, `m` is computed), swap, drop the old table, clear the marker.
  [
    {
      type: "RecreateTable",
      before: t,
      after: {
        ...t,
        order_by: ["id", "v"],
        columns: [
          col("id"),
          col("v", { data_type: "Int32" }),
          col("n", { default: "'x'" }),
          col("m", { materialized: "upper(id)" }),
        ],
      },
    },
    [
      "CREATE TABLE IF NOT EXISTS `db`.`t__moose_recreate` ( `id` String NOT NULL, `v` Int32 NOT NULL, `n` String NOT NULL DEFAULT 'x', `m` String NOT NULL MATERIALIZED upper(id) ) ENGINE = MergeTree ORDER BY (`id`,`v`) SETTINGS index_granularity = 8192, merge_with_ttl_timeout = 3600 COMMENT '[MOOSE_RECREATE:DO_NOT_MODIFY] copy of a table being recreated'",
      "INSERT INTO `db`.`t__moose_recreate` (`id`,`v`) SETTINGS max_partitions_per_insert_block = 0 SELECT `id`, CAST(`v` AS Int32) AS `v` FROM `db`.`t`",
      "EXCHANGE TABLES `db`.`t` AND `db`.`t__moose_recreate`",
      "DROP TABLE IF EXISTS `db`.`t__moose_recreate`",
      "ALTER TABLE `db`.`t` MODIFY COMMENT ''",
    ],
  ],
  [
    {
      type: "AddTableColumn",
      table_id: "db_t",
      column: col("n", { required: false, default: "'x'" }),
      after_column: "id",
    },
    ["ALTER TABLE `db`.`t` ADD COLUMN IF NOT EXISTS `n` Nullable(String) DEFAULT 'x' AFTER `id`"],
  ],
  [
    { type: "DropTableColumn", table_id: "db_t", column_name: "v" },
    ["ALTER TABLE `db`.`t` DROP COLUMN IF EXISTS `v`"],
  ],
  [
    {
      type: "ModifyTableColumn",
      table_id: "db_t",
      before_column: col("v", { data_type: "Int64", codec: "ZSTD(3)" }),
      after_column: col("v", { data_type: "Int32" }),
    },
    [
      "ALTER TABLE `db`.`t` MODIFY COLUMN `v` REMOVE CODEC",
      "ALTER TABLE `db`.`t` MODIFY COLUMN IF EXISTS `v` Int32",
    ],
  ],
  [
    {
      type: "RenameTableColumn",
      table_id: "db_t",
      before_name: "v",
      after_name: "value",
    },
    ["ALTER TABLE `db`.`t` RENAME COLUMN IF EXISTS `v` TO `value`"],
  ],
  [
    {
      type: "ModifyTableSettings",
      table_id: "db_t",
      before: { index_granularity: "8192", merge_with_ttl_timeout: "3600", old: "1" },
      after: {
        index_granularity: "8192",
        merge_with_ttl_timeout: "7200",
        ttl_only_drop_parts: "1",
      },
    },
    [
      "ALTER TABLE `db`.`t` MODIFY SETTING merge_with_ttl_timeout = 7200, ttl_only_drop_parts = 1",
      "ALTER TABLE `db`.`t` RESET SETTING old",
    ],
  ],
  [
    { type: "ModifyTableTtl", table_id: "db_t", before: null, after: "ts + INTERVAL 30 DAY" },
    ["ALTER TABLE `db`.`t` MODIFY TTL ts + INTERVAL 30 DAY"],
  ],
  [
    { type: "ModifyTableTtl", table_id: "db_t", before: "x", after: null },
    ["ALTER TABLE `db`.`t` REMOVE TTL"],
  ],
  [
    {
      type: "AddTableIndex",
      table_id: "db_t",
      index: {
        name: "i",
        expression: "v",
        type: "bloom_filter",
        arguments: ["0.01"],
        granularity: 4,
      },
    },
    ["ALTER TABLE `db`.`t` ADD INDEX IF NOT EXISTS `i` v TYPE bloom_filter(0.01) GRANULARITY 4"],
  ],
  [
    { type: "DropTableIndex", table_id: "db_t", index_name: "i" },
    ["ALTER TABLE `db`.`t` DROP INDEX IF EXISTS `i`"],
  ],
  [
    {
      type: "AddTableProjection",
      table_id: "db_t",
      projection: { name: "p", body: "SELECT * ORDER BY v" },
    },
    ["ALTER TABLE `db`.`t` ADD PROJECTION IF NOT EXISTS `p` (SELECT * ORDER BY v)"],
  ],
  [
    { type: "DropTableProjection", table_id: "db_t", projection_name: "p" },
    ["ALTER TABLE `db`.`t` DROP PROJECTION IF EXISTS `p`"],
  ],
  [
    { type: "ModifySampleBy", table_id: "db_t", expression: "cityHash64(id)" },
    ["ALTER TABLE `db`.`t` MODIFY SAMPLE BY cityHash64(id)"],
  ],
  [{ type: "RemoveSampleBy", table_id: "db_t" }, ["ALTER TABLE `db`.`t` REMOVE SAMPLE BY"]],
  [{ type: "CreateView", view }, ["CREATE VIEW IF NOT EXISTS `db`.`v1` AS SELECT id FROM t"]],
  [{ type: "DropView", view }, ["DROP VIEW IF EXISTS `db`.`v1`"]],
  [
    { type: "CreateMaterializedView", mv },
    ["CREATE MATERIALIZED VIEW IF NOT EXISTS `db`.`mv1` TO `db`.`t` AS SELECT id FROM t"],
  ],
  [{ type: "DropMaterializedView", mv }, ["DROP VIEW IF EXISTS `db`.`mv1`"]],
  [
    {
      type: "BackfillTable",
      source_table: "t_1_0",
      target_table: "t_2_0",
      columns: [],
      sql: "INSERT INTO `db`.`t_2_0` (`id`) SELECT `id` FROM `db`.`t_1_0`",
    },
    ["INSERT INTO `db`.`t_2_0` (`id`) SELECT `id` FROM `db`.`t_1_0`"],
  ],
  [
    {
      type: "RawSql",
      sql: ["ALTER TABLE t UPDATE v = 0 WHERE 1", "  ", "OPTIMIZE TABLE t"],
      description: "fix",
    },
    ["ALTER TABLE t UPDATE v = 0 WHERE 1", "OPTIMIZE TABLE t"],
  ],
  // Topic deltas run against Kafka (topicAction, tested in core.test.ts): no SQL at all.
  [{ type: "CreateTopic", topic }, []],
  [{ type: "DeleteTopic", topic_id: "events" }, []],
  [{ type: "UpdateTopic", before: topic, after: { ...topic, partition_count: 2 } }, []],
];

describe("SQL of each delta kind", () => {
  it("covers every delta kind", () => {
    expect(new Set(CASES.map(([d]) => d.type))).toEqual(new Set(DELTA_TYPES));
  });
  for (const [delta, expected] of CASES) {
    it(`${delta.type}${delta.type === "ModifyTableTtl" ? (delta.after ? " (modify)" : " (remove)") : ""}`, () => {
      expect(sql(delta)).toEqual(expected);
    });
  }
  it("views run with the project database current, so unqualified names resolve there", () => {
    expect(renderDelta({ type: "CreateView", view }, state)[0]!.database).toBe("db");
  });
  it("ON CLUSTER on CREATE, ALTER and DROP (with SYNC) of a cluster table", () => {
    const ct = onCluster.tables.db_t!;
    expect(renderCreateTable(ct, "db")).toContain(
      "CREATE TABLE IF NOT EXISTS `db`.`t` ON CLUSTER `c1` (",
    );
    expect(sql({ type: "DropTable", table: ct }, onCluster)).toEqual([
      "DROP TABLE IF EXISTS `db`.`t` ON CLUSTER `c1` SYNC",
    ]);
    expect(sql({ type: "DropTableColumn", table_id: "db_t", column_name: "v" }, onCluster)).toEqual(
      ["ALTER TABLE `db`.`t` ON CLUSTER `c1` DROP COLUMN IF EXISTS `v`"],
    );
    const recreate = recreateTableSql({ type: "RecreateTable", before: ct, after: ct }, "db");
    expect(recreate.exchange).toBe(
      "EXCHANGE TABLES `db`.`t` AND `db`.`t__moose_recreate` ON CLUSTER `c1`",
    );
    expect(recreate.clearMarker).toBe("ALTER TABLE `db`.`t` ON CLUSTER `c1` MODIFY COMMENT ''");
  });
  it("identifiers are quoted and literals escaped", () => {
    const odd = table("we`ird", [col("co`l", { comment: "it's" })]);
    expect(renderCreateTable(odd, "db")).toContain(
      "CREATE TABLE IF NOT EXISTS `db`.`we\\`ird` ( `co\\`l` String NOT NULL COMMENT 'it\\'s' )",
    );
  });
});

describe("engine clauses", () => {
  it.each([
    ["MergeTree", "MergeTree"],
    [{ ReplacingMergeTree: { ver: "v", is_deleted: null } }, "ReplacingMergeTree(`v`)"],
    [{ ReplacingMergeTree: { ver: null, is_deleted: null } }, "ReplacingMergeTree"],
    [{ SummingMergeTree: { columns: ["a", "b"] } }, "SummingMergeTree((`a`, `b`))"],
    [
      { VersionedCollapsingMergeTree: { sign: "s", version: "v" } },
      "VersionedCollapsingMergeTree(`s`, `v`)",
    ],
    [{ ReplicatedMergeTree: { keeper_path: null, replica_name: null } }, "ReplicatedMergeTree()"],
    [
      {
        ReplicatedReplacingMergeTree: {
          keeper_path: "/clickhouse/tables/{shard}/t",
          replica_name: "{replica}",
          ver: "v",
          is_deleted: null,
        },
      },
      "ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/t', '{replica}', `v`)",
    ],
  ] as [Engine, string][])("%j → %s", (engine, expected) => {
    expect(renderEngine(engine)).toBe(expected);
  });
});

describe("ordering of views", () => {
  it("a view reading another view is created after it and dropped before it", () => {
    const a = { name: "a_top", selectSql: "SELECT * FROM z_base", sourceTables: ["`z_base`"] };
    const z = { name: "z_base", selectSql: "SELECT 1", sourceTables: [] };
    const created = orderDeltas(
      [
        { type: "CreateView", view: a },
        { type: "CreateView", view: z },
      ],
      "db",
    );
    expect(created.map((d) => (d.type === "CreateView" ? d.view.name : ""))).toEqual([
      "z_base",
      "a_top",
    ]);
    const dropped = orderDeltas(
      [
        { type: "DropView", view: z },
        { type: "DropView", view: a },
      ],
      "db",
    );
    expect(dropped.map((d) => (d.type === "DropView" ? d.view.name : ""))).toEqual([
      "a_top",
      "z_base",
    ]);
  });
});
