import { describe, expect, it } from "vitest";
import { connectClickHouse, countingPort } from "../../src/adapters/clickhouse";
import { checkModelSql } from "../../src/commands/check-model-sql";
import { emptyInfraMap, type InfraMap, type Table } from "../../src/core/infra-map";
import { MooseError } from "../../src/errors";
import { col } from "../support/fixtures";
import { ENGINE_DIR } from "../support/run";

/** The embedded engine, counted: the check must be one query whatever the project's size. */
const withCounted = async <T>(
  fn: (ch: ReturnType<typeof countingPort>) => Promise<T>,
): Promise<T> => {
  const inner = connectClickHouse({
    kind: "chdb",
    path: ENGINE_DIR,
    database: "default",
    display: "",
  });
  try {
    return await fn(countingPort(inner));
  } finally {
    await inner.close();
  }
};

/** A table using every free-form field, all of it legitimate. */
const richTable = (name: string): Table => ({
  name,
  columns: [
    col("id"),
    col("ts", { data_type: "DateTime", ttl: "ts + INTERVAL 90 DAY", codec: "Delta, ZSTD(1)" }),
    col("total", { data_type: "Float64", default: "if(1 > 0, 0.5, -1)" }),
    col("day", { data_type: "Date", materialized: "toDate(ts)" }),
    col("label", { alias: "concat(id, ';', '--')" }),
  ],
  order_by: "(id, ts)",
  partition_by: "toYYYYMM(ts)",
  sample_by: undefined,
  engine: "MergeTree",
  version: null,
  source_primitive: { name, primitive_type: "DataModel" },
  metadata: null,
  life_cycle: "FULLY_MANAGED",
  table_settings: { index_granularity: "8192", storage_policy: "default" },
  indexes: [
    {
      name: "i",
      expression: "lower(id)",
      type: "bloom_filter",
      arguments: ["0.01"],
      granularity: 1,
    },
  ],
  projections: [{ name: "p", body: "SELECT id, sum(total) GROUP BY id" }],
  constraints: [],
  table_ttl_setting: "ts + INTERVAL 1 YEAR DELETE",
});

const mapOf = (tables: Table[]): InfraMap => {
  const map = emptyInfraMap("local");
  for (const t of tables) map.tables[`local_${t.name}`] = t;
  map.views["v"] = {
    name: "v",
    selectSql: "SELECT id, 'a;b' AS s FROM local.T0",
    sourceTables: [],
  };
  map.materialized_views["m"] = {
    name: "m",
    selectSql: "WITH 1 AS one SELECT id, one FROM local.T0",
    sourceTables: [],
    targetTable: "T1",
    lifeCycle: "FULLY_MANAGED",
  };
  return map;
};

const refusal = async (p: Promise<unknown>): Promise<MooseError> => {
  const e = await p.then(
    () => undefined,
    (x: unknown) => x,
  );
  expect(e).toBeInstanceOf(MooseError);
  return e as MooseError;
};

describe("ClickHouse's parser over the model's SQL (real embedded engine)", () => {
  it("the engine has formatQuerySingleLineOrNull and it refuses a second statement", async () => {
    await withCounted(async (ch) => {
      const [r] = await ch.query<{ a: string | null; b: string | null }>(
        "SELECT formatQuerySingleLineOrNull('SELECT 1; DROP TABLE x') AS a, formatQuerySingleLineOrNull('SELECT 1 AS x') AS b",
      );
      expect(r).toEqual({ a: null, b: "SELECT 1 AS x" });
    });
  });

  it("accepts 200 legitimate tables, views and MVs in one query", async () => {
    const map = mapOf(Array.from({ length: 200 }, (_, i) => richTable(`T${i}`)));
    await withCounted(async (ch) => {
      const r = await checkModelSql(ch, map);
      expect(r.notRun).toBeUndefined();
      expect(r.parsed).toBeGreaterThan(200 * 10);
      expect(ch.counts).toEqual({ query: 1, command: 0 });
    });
  });

  it("refuses what the lexer lets through but ClickHouse cannot parse, naming object and field", async () => {
    const bad = richTable("Bad");
    bad.columns[2] = col("total", { default: "1 +" });
    bad.projections = [{ name: "p", body: "SELECT id GROUP" }];
    const map = mapOf([richTable("T0"), richTable("T1"), bad]);
    map.views["v"]!.selectSql = "SELECT FROM WHERE";
    await withCounted(async (ch) => {
      const e = await refusal(checkModelSql(ch, map));
      expect(e.code).toBe("MODEL_SQL_INVALID");
      expect(e.exitCode).toBe(1);
      expect(e.message).toContain("OlapTable Bad, columns.total.default");
      expect(e.message).toContain("OlapTable Bad, projections.p.body");
      expect(e.message).toContain("View v, selectStatement");
      // The whole CREATE fails too, but a named piece explains it.
      expect(e.message).not.toContain("the whole CREATE");
      expect(e.message).not.toContain("OlapTable T0");
      expect(ch.counts.query).toBe(1);
    });
  });
});

describe("the adapter sends exactly one statement", () => {
  it("refuses a text with a second statement before sending it; literals with ; still pass", async () => {
    await withCounted(async (ch) => {
      await ch.command("CREATE DATABASE IF NOT EXISTS inj_guard");
      await ch.command(
        "CREATE TABLE IF NOT EXISTS inj_guard.Orders (id String) ENGINE = MergeTree ORDER BY id",
      );
      await ch.command(
        "INSERT INTO inj_guard.Orders VALUES ('a;b'), ('-- c'), ('it\\'s; /* d */')",
      );
      const e = await refusal(ch.command("SELECT 1; DROP TABLE inj_guard.Orders"));
      expect(e.code).toBe("SQL_MULTI_STATEMENT");
      expect(e.exitCode).toBe(1);
      const q = await refusal(ch.query("SELECT 1; DROP TABLE inj_guard.Orders"));
      expect(q.code).toBe("SQL_MULTI_STATEMENT");
      const rows = await ch.query<{ id: string }>("SELECT id FROM inj_guard.Orders ORDER BY id");
      expect(rows.map((r) => r.id)).toEqual(["-- c", "a;b", "it's; /* d */"]);
    });
  });
});
