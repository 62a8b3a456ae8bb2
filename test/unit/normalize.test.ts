import { describe, expect, it } from "vitest";
import { parseColumnType } from "../../src/core/data-type";
import { diffTable, tablesSchemaEqual } from "../../src/core/diff";
import { engineKey } from "../../src/core/engines";
import { renderCreateTable } from "../../src/core/render-sql";
import {
  alterableSettingsKey,
  columnsEquivalent,
  indexKey,
  normalizeCodec,
  normalizeTtl,
  keyColumnNames,
  orderByKey,
  primaryKeyKey,
  projectionKey,
  readonlySettingsKey,
  sqlKeyOffline,
  unqualify,
} from "../../src/core/normalize";
import { parseCreateDetails, tableFromRows } from "../../src/introspect/parse-table";
import { col, table } from "../support/fixtures";

/** One test per normalization rule: what the code declares ≡ what ClickHouse reports. */
describe("normalization rules", () => {
  it("interval forms: INTERVAL n UNIT ≡ toIntervalUnit(n), plural units, spacing", () => {
    expect(normalizeTtl("ts + toIntervalDay(90)")).toBe(normalizeTtl("ts + INTERVAL 90 DAY"));
    expect(normalizeTtl("ts + INTERVAL 2 HOURS")).toBe(normalizeTtl("ts + toIntervalHour(2)"));
    expect(normalizeTtl("ts+INTERVAL 1 MONTH")).not.toBe(normalizeTtl("ts + INTERVAL 2 MONTH"));
  });
  it("codec defaults: ZSTD ≡ ZSTD(1), LZ4HC ≡ LZ4HC(9), CODEC(...) wrapper optional", () => {
    expect(normalizeCodec("ZSTD")).toBe(normalizeCodec("CODEC(ZSTD(1))"));
    expect(normalizeCodec("Delta, LZ4HC")).toBe(normalizeCodec("Delta, LZ4HC(9)"));
    expect(normalizeCodec("ZSTD(3)")).not.toBe(normalizeCodec("ZSTD(1)"));
  });
  it("Nullable/required: arrays, maps and nested are never Nullable, so `required` is moot", () => {
    const arr = { elementType: "String", elementNullable: false };
    expect(
      columnsEquivalent(
        col("a", { data_type: arr, required: false }),
        col("a", { data_type: arr }),
      ),
    ).toBe(true);
    expect(columnsEquivalent(col("s", { required: false }), col("s"))).toBe(false);
  });
  it("LowCardinality is an annotation; `false` means absent", () => {
    expect(
      columnsEquivalent(col("k", { annotations: [["LowCardinality", false]] }), col("k")),
    ).toBe(true);
    expect(columnsEquivalent(col("k", { annotations: [["LowCardinality", true]] }), col("k"))).toBe(
      false,
    );
  });
  it("enums: names of a TS enum are not part of the schema, values and order are", () => {
    const a = { name: "Status", values: [{ name: "A", value: { String: "a" } }] };
    const b = { name: "", values: [{ name: "a", value: { String: "a" } }] };
    expect(columnsEquivalent(col("e", { data_type: a }), col("e", { data_type: b }))).toBe(true);
  });
  it("expressions: backticks and whitespace do not count", () => {
    expect(columnsEquivalent(col("d", { default: "`x` + 1" }), col("d", { default: "x+1" }))).toBe(
      false,
    );
    expect(
      columnsEquivalent(col("d", { default: "`x` +  1" }), col("d", { default: "x + 1" })),
    ).toBe(true);
  });
  it("ORDER BY: field list ≡ expression `(a, b)`; empty falls back to the Key<> columns", () => {
    const fields = table("t", [col("a"), col("b")], { order_by: ["a", "b"] });
    expect(orderByKey(fields)).toBe(orderByKey({ ...fields, order_by: "(a, b)" }));
    const keyed = table("t", [col("a", { primary_key: true }), col("b")], { order_by: [] });
    expect(orderByKey(keyed)).toBe(orderByKey({ ...keyed, order_by: ["a"] }));
  });
  it("settings: read-only ones missing on one side mean ClickHouse's default; quotes do not count", () => {
    const implicit = table("t", [col("a")], { table_settings: { index_granularity: "8192" } });
    expect(readonlySettingsKey(implicit)).toBe(readonlySettingsKey(table("t", [col("a")])));
    expect(
      alterableSettingsKey(table("t", [col("a")], { table_settings: { storage_policy: "'x'" } })),
    ).toBe(
      alterableSettingsKey(table("t", [col("a")], { table_settings: { storage_policy: "x" } })),
    );
  });
  it("skip indexes: type case and argument quoting as ClickHouse spells them", () => {
    const code = {
      name: "i",
      expression: "val",
      type: "bloom_filter",
      arguments: ["0.01"],
      granularity: 4,
    };
    const live = parseCreateDetails(
      "CREATE TABLE d.t (`val` String, INDEX i val TYPE bloom_filter(0.01) GRANULARITY 4) ENGINE = MergeTree ORDER BY val",
    ).indexes[0]!;
    expect(indexKey(live)).toBe(indexKey(code));
  });
  it("projections: whitespace collapsed", () => {
    expect(projectionKey({ name: "p", body: "SELECT *\n  ORDER BY  amount" })).toBe(
      projectionKey({ name: "p", body: "SELECT * ORDER BY amount" }),
    );
  });
  it("view SELECTs: case outside literals, quoting and whitespace; database qualifiers dropped", () => {
    expect(sqlKeyOffline("select id,SUM(amount) from `Sale`")).toBe(
      sqlKeyOffline("SELECT id, sum(amount) FROM Sale"),
    );
    expect(sqlKeyOffline("SELECT 'A'")).not.toBe(sqlKeyOffline("SELECT 'a'"));
    expect(unqualify("SELECT id FROM viewdb.Sale JOIN `viewdb`.`x` USING id", ["viewdb"])).toBe(
      "SELECT id FROM Sale JOIN `x` USING id",
    );
  });
  it("engine parameter spelling: quoting does not count", () => {
    const live = tableFromRows(
      {
        database: "d",
        name: "t",
        engine: "ReplacingMergeTree",
        engine_full: "ReplacingMergeTree(ver) ORDER BY id SETTINGS index_granularity = 8192",
        sorting_key: "id",
        primary_key: "id",
        partition_key: "",
        sampling_key: "",
        create_table_query:
          "CREATE TABLE d.t (`id` String, `ver` UInt64) ENGINE = ReplacingMergeTree(ver) ORDER BY id",
        as_select: "",
      },
      [],
      "d",
    );
    expect("engine" in live && engineKey(live.engine)).toBe(
      engineKey({ ReplacingMergeTree: { ver: "ver", is_deleted: null } }),
    );
  });
  it("ClickHouse type spellings map back to Moose's types", () => {
    expect(parseColumnType("Date32").data_type).toBe("Date");
    expect(parseColumnType("Date").data_type).toBe("Date16");
    expect(parseColumnType("DateTime('UTC')").data_type).toBe("DateTime");
    expect(parseColumnType("DateTime64(3)").data_type).toBe("DateTime(3)");
    expect(parseColumnType("Bool").data_type).toBe("Boolean");
    expect(parseColumnType("Decimal64(2)").data_type).toBe("Decimal(18, 2)");
    expect(parseColumnType("LowCardinality(Nullable(String))")).toEqual({
      data_type: "String",
      required: false,
      annotations: [["LowCardinality", true]],
    });
    expect(parseColumnType("Nested(a String, b Nullable(Float64))").data_type).toMatchObject({
      columns: [
        { name: "a", required: true },
        { name: "b", required: false },
      ],
    });
    expect(parseColumnType("AggregateFunction(uniq, String)").annotations).toEqual([
      ["aggregationFunction", { functionName: "uniq", argumentTypes: ["String"] }],
    ]);
    expect(
      parseColumnType("JSON(max_dynamic_paths=10, `a.b` UInt32, SKIP c, SKIP REGEXP 'x.*')")
        .data_type,
    ).toEqual({
      typed_paths: [["a.b", "UInt32"]],
      skip_paths: ["c"],
      skip_regexps: ["x.*"],
      max_dynamic_paths: 10,
    });
  });
  it("JSON typed paths are order-insensitive", () => {
    const j = (paths: [string, string][]) =>
      col("j", { data_type: { typed_paths: paths, skip_paths: [], skip_regexps: [] } });
    expect(
      columnsEquivalent(
        j([
          ["a", "Int64"],
          ["b", "String"],
        ]),
        j([
          ["b", "String"],
          ["a", "Int64"],
        ]),
      ),
    ).toBe(true);
  });
  it("column order is not compared (a pure reorder is no change)", () => {
    const t = table("t", [col("a"), col("b"), col("c")]);
    expect(tablesSchemaEqual(t, { ...t, columns: [col("a"), col("c"), col("b")] })).toBe(true);
  });
  it("ignore_operations leave the named differences out", () => {
    const t = table("t", [col("a"), col("b", { ttl: "a + INTERVAL 1 DAY" })], {
      partition_by: "a",
      table_ttl_setting: "x",
    });
    const changed = table("t", [col("a"), col("b", { annotations: [] })], {
      partition_by: "b",
    });
    expect(diffTable("id", t, changed).length).toBeGreaterThan(0);
    expect(
      diffTable("id", t, changed, ["ModifyTableTtl", "ModifyPartitionBy", "ModifyColumnTtl"]),
    ).toEqual([]);
    const lc = table("t", [col("a"), col("s", { annotations: [["LowCardinality", true]] })]);
    expect(
      tablesSchemaEqual(lc, table("t", [col("a"), col("s")]), [
        "IgnoreStringLowCardinalityDifferences",
      ]),
    ).toBe(true);
  });
});

describe("key columns follow the ORDER BY, not the declaration order", () => {
  it("a table read back with both ORDER BY columns flagged as key equals the code's implicit key", () => {
    const code = table("PageViews", [col("ts", { data_type: "DateTime" }), col("userId")], {
      order_by: ["userId", "ts"],
    });
    const live = table(
      "PageViews",
      [
        col("ts", { data_type: "DateTime", primary_key: true }),
        col("userId", { primary_key: true }),
      ],
      { order_by: ["userId", "ts"] },
    );
    expect(keyColumnNames(live)).toEqual(["userId", "ts"]);
    expect(primaryKeyKey(live)).toBe(primaryKeyKey(code));
    expect(renderCreateTable(live, "db")).toContain("PRIMARY KEY (`userId`,`ts`)");
  });
});

describe("what ClickHouse reads back differently is not a change", () => {
  it("a TTL's default DELETE, a codec's type width, a runtime-only annotation", () => {
    expect(normalizeTtl("ts + INTERVAL 90 DAY DELETE")).toBe(
      normalizeTtl("ts + toIntervalDay(90)"),
    );
    expect(normalizeTtl("ts + INTERVAL 1 DAY TO VOLUME 'cold'")).not.toBe(
      normalizeTtl("ts + INTERVAL 1 DAY"),
    );
    expect(normalizeCodec("Delta, LZ4")).toBe(normalizeCodec("CODEC(Delta(4), LZ4)"));
    const code = col("at", { data_type: "DateTime64(6)", annotations: [["stringDate", true]] });
    const live = col("at", { data_type: "DateTime64(6)" });
    expect(columnsEquivalent(code, live)).toBe(true);
  });
});
