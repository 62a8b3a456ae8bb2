import { describe, expect, it } from "vitest";
import { destructiveSummary, withPolicy, type Delta } from "../../src/core/deltas";
import { diffTable, recreateReason } from "../../src/core/diff";
import type { Column, Table } from "../../src/core/infra-map";
import { identifierTokens, isEnumExtension, keyColumns } from "../../src/core/key-columns";
import { recreateTableSql } from "../../src/core/render-sql";
import { summarizeJournal, type JournalRow } from "../../src/runtime/journal";
import { col, table } from "../support/fixtures";

const strEnum = (...labels: string[]) => ({
  name: "E",
  values: labels.map((l) => ({ name: l.toUpperCase(), value: { String: l } })),
});
const intEnum = (...members: [string, number][]) => ({
  name: "E",
  values: members.map(([n, v]) => ({ name: n, value: { Int: v } })),
});

/** The table with column `name` replaced by `change(column)`. */
const withColumn = (t: Table, name: string, change: (c: Column) => Column): Table => ({
  ...t,
  columns: t.columns.map((c) => (c.name === name ? change(c) : c)),
});

const types = (before: Table, after: Table) => diffTable("db_t", before, after).map((d) => d.type);

describe("identifier tokens of key expressions", () => {
  it("whole identifiers only, functions and literals left out", () => {
    expect([...identifierTokens("(id, intHash32(user_id), toYYYYMM(ts))")].sort()).toEqual([
      "id",
      "ts",
      "user_id",
    ]);
    expect(identifierTokens("intHash32(user_id)").has("id")).toBe(false);
    expect(identifierTokens("cityHash64('id') % 10").has("id")).toBe(false);
    expect(identifierTokens('`odd name`, "dq", n.a, 1e3').has("odd name")).toBe(true);
    expect([...identifierTokens('"dq", n.a, 1e3, 0x1F')].sort()).toEqual(["dq", "n", "n.a"]);
    expect(identifierTokens("tuple()").size).toBe(0);
  });

  it("key columns come from ORDER BY, PRIMARY KEY, PARTITION BY, SAMPLE BY and Key<> columns", () => {
    const t = table(
      "t",
      [col("k", { primary_key: true }), col("id"), col("user_id"), col("ts"), col("p"), col("s")],
      {
        order_by: "(id, intHash32(s))",
        partition_by: "toYYYYMM(ts)",
        primary_key_expression: "(id)",
        sample_by: "intHash32(s)",
      },
    );
    expect([...keyColumns(t)].sort()).toEqual(["id", "k", "s", "ts"]);
    expect(keyColumns(table("t", [col("a"), col("b")], { order_by: ["a", "b"] }))).toEqual(
      new Set(["a", "b"]),
    );
  });
});

describe("changes ClickHouse cannot ALTER become RecreateTable", () => {
  const base = table(
    "t",
    [
      col("id", { data_type: "Int32" }),
      col("user_id", { data_type: "Int32" }),
      col("ts", { data_type: "DateTime" }),
      col("e", { data_type: strEnum("a", "b") }),
      col("v", { data_type: "Int32" }),
      col("n", { data_type: "Int32", required: false }),
      col("s"),
    ],
    { order_by: ["id", "e"], partition_by: "toYYYYMM(ts)" },
  );

  it("a type change of an ORDER BY column, with the reason", () => {
    const after = withColumn(base, "id", (c) => ({ ...c, data_type: "Int64" }));
    expect(types(base, after)).toEqual(["RecreateTable"]);
    expect(recreateReason(base, after)).toBe("type of key column 'id' changed (Int32 → Int64)");
  });

  it("nullability and LowCardinality change the ClickHouse type of a key column too", () => {
    const keyed = { ...base, order_by: ["id", "s"] };
    expect(
      types(
        keyed,
        withColumn(keyed, "s", (c) => ({ ...c, required: false })),
      ),
    ).toEqual(["RecreateTable"]);
    const lc = withColumn(keyed, "s", (c) => ({ ...c, annotations: [["LowCardinality", true]] }));
    expect(types(keyed, lc)).toEqual(["RecreateTable"]);
    // …unless the project ignores LowCardinality differences: then there is no change at all.
    expect(diffTable("db_t", keyed, lc, ["IgnoreStringLowCardinalityDifferences"])).toEqual([]);
  });

  it("PARTITION BY, PRIMARY KEY, SAMPLE BY and expression keys count; other columns do not", () => {
    expect(
      types(
        base,
        withColumn(base, "ts", (c) => ({ ...c, data_type: "DateTime(3)" })),
      ),
    ).toEqual(["RecreateTable"]);
    const sampled = {
      ...base,
      order_by: "(id, intHash32(user_id))",
      sample_by: "intHash32(user_id)",
    };
    expect(
      types(
        sampled,
        withColumn(sampled, "user_id", (c) => ({ ...c, data_type: "Int64" })),
      ),
    ).toEqual(["RecreateTable"]);
    const pk = { ...base, order_by: ["v", "user_id"], primary_key_expression: "v" };
    expect(
      types(
        pk,
        withColumn(pk, "user_id", (c) => ({ ...c, data_type: "Int64" })),
      ),
    ).toEqual(["RecreateTable"]);
    // `user_id` is not `id`: only whole identifiers are key columns.
    expect(
      types(
        base,
        withColumn(base, "user_id", (c) => ({ ...c, data_type: "Int64" })),
      ),
    ).toEqual(["ModifyTableColumn"]);
    expect(
      types(
        base,
        withColumn(base, "v", (c) => ({ ...c, data_type: "Int64" })),
      ),
    ).toEqual(["ModifyTableColumn"]);
  });

  it("what stays an ALTER on a key column: a comment, a default, a codec, enum members appended", () => {
    for (const change of [
      (c: Column): Column => ({ ...c, comment: "the id" }),
      (c: Column): Column => ({ ...c, default: "0" }),
      (c: Column): Column => ({ ...c, codec: "ZSTD(3)" }),
    ])
      expect(types(base, withColumn(base, "id", change))).toEqual(["ModifyTableColumn"]);
    const appended = withColumn(base, "e", (c) => ({ ...c, data_type: strEnum("a", "b", "c") }));
    expect(types(base, appended)).toEqual(["ModifyTableColumn"]);
  });

  it("enum changes that rewrite data are recreates on a key column", () => {
    const e = (data_type: Column["data_type"]) => col("e", { data_type });
    expect(isEnumExtension(e(strEnum("a", "b")), e(strEnum("a", "b", "c")))).toBe(true);
    // Reordered: 'a' gets another number.
    expect(isEnumExtension(e(strEnum("a", "b")), e(strEnum("b", "a")))).toBe(false);
    // A member removed.
    expect(isEnumExtension(e(strEnum("a", "b")), e(strEnum("a")))).toBe(false);
    // Enum8 → Enum16.
    expect(
      isEnumExtension(e(intEnum(["a", 1], ["b", 2])), e(intEnum(["a", 1], ["b", 2], ["c", 300]))),
    ).toBe(false);
    expect(isEnumExtension(e(intEnum(["a", 1])), e(intEnum(["a", 1], ["b", 5])))).toBe(true);
    expect(isEnumExtension(e(strEnum("a")), { ...e(strEnum("a", "b")), required: false })).toBe(
      false,
    );
    expect(
      types(
        base,
        withColumn(base, "e", (c) => ({ ...c, data_type: strEnum("b", "a") })),
      ),
    ).toEqual(["RecreateTable"]);
  });

  it("a column an aggregate projection reads; a normal projection is rebuilt by the ALTER", () => {
    const agg = { ...base, projections: [{ name: "by_v", body: "SELECT v, count() GROUP BY v" }] };
    const changed = withColumn(agg, "v", (c) => ({ ...c, data_type: "Int64" }));
    expect(types(agg, changed)).toEqual(["RecreateTable"]);
    expect(recreateReason(agg, changed)).toBe(
      "type of column 'v' used by projection 'by_v' changed (Int32 → Int64)",
    );
    const sum = { ...base, projections: [{ name: "total", body: "SELECT sum(v)" }] };
    expect(
      types(
        sum,
        withColumn(sum, "v", (c) => ({ ...c, data_type: "Int64" })),
      ),
    ).toEqual(["RecreateTable"]);
    const normal = { ...base, projections: [{ name: "by_v", body: "SELECT * ORDER BY v" }] };
    expect(
      types(
        normal,
        withColumn(normal, "v", (c) => ({ ...c, data_type: "Int64" })),
      ),
    ).toEqual(["ModifyTableColumn"]);
  });

  it("Nullable → required without a default (ClickHouse wants a DEFAULT for the NULLs)", () => {
    const required = withColumn(base, "n", (c) => ({ ...c, required: true }));
    expect(recreateReason(base, required)).toBe(
      "column 'n' becomes non-nullable without a default (Nullable(Int32) → Int32)",
    );
    expect(
      types(
        base,
        withColumn(base, "n", (c) => ({ ...c, required: true, default: "0" })),
      ),
    ).toEqual(["ModifyTableColumn"]);
    // Required → Nullable is an ALTER.
    expect(
      types(
        required,
        withColumn(required, "n", (c) => ({ ...c, required: false })),
      ),
    ).toEqual(["ModifyTableColumn"]);
  });

  it("the approval line says why and that the rows are copied; the recorded policy keeps Moose's words", () => {
    const after = {
      ...withColumn(base, "id", (c) => ({ ...c, data_type: "Int64" })),
      order_by: ["id"],
    };
    const d: Delta = { type: "RecreateTable", before: base, after };
    expect(destructiveSummary(d)).toBe(
      "DROP + RECREATE `t` (schema change requires drop + recreate: ORDER BY changed; type of key column 'id' changed (Int32 → Int64); rows are copied into the new table)",
    );
    expect(withPolicy(d, "T")).toMatchObject({
      policy: {
        description:
          "User confirmed: DROP + RECREATE table 't' (schema change requires drop + recreate)",
      },
    });
  });
});

describe("recreate statements", () => {
  it("copies the columns both tables have, casting the ones whose type changes", () => {
    const before = table("t", [col("id"), col("old"), col("n", { required: false })]);
    const after = table("t", [
      col("id", { data_type: "Int32" }),
      col("n"),
      col("added", { default: "1" }),
      col("alias", { alias: "id + 1", data_type: "Int32" }),
    ]);
    const r = recreateTableSql({ type: "RecreateTable", before, after }, "db");
    expect(r.copied).toEqual(["id", "n"]);
    expect(r.copy).toBe(
      "INSERT INTO `db`.`t__moose_recreate` (`id`,`n`) SETTINGS max_partitions_per_insert_block = 0 SELECT CAST(`id` AS Int32) AS `id`, CAST(`n` AS String) AS `n` FROM `db`.`t`",
    );
    expect(r.casts).toEqual([
      { column: "id", from: "String", to: "Int32", scalar: "Int32", becomesRequired: false },
      {
        column: "n",
        from: "Nullable(String)",
        to: "String",
        scalar: "String",
        becomesRequired: true,
      },
    ]);
    expect(r.renameSwap).toBe(
      "RENAME TABLE `db`.`t` TO `db`.`t__moose_recreate_old`, `db`.`t__moose_recreate` TO `db`.`t`",
    );
    const disjoint = recreateTableSql(
      { type: "RecreateTable", before, after: table("t", [col("other")]) },
      "db",
    );
    expect(disjoint.copy).toBeNull();
  });
});

describe("journal", () => {
  const row = (event: JournalRow["event"], op_index: number): JournalRow => ({
    migration_id: "m",
    event,
    op_index,
    parent_state_hash: "P",
    state_hash: "",
    file_checksum: "",
    tool_version: "",
    who: "",
    at: "",
    detail: "",
  });
  it("a reverted op runs again on resume; journaled again, it is done", () => {
    const rows = [row("started", -1), row("op_done", 0), row("op_done", 1), row("op_reverted", 0)];
    expect([...summarizeJournal(rows).incomplete.get("m")!.opsDone]).toEqual([1]);
    const resumed = [...rows, row("started", -1), row("op_done", 0)];
    expect([...summarizeJournal(resumed).incomplete.get("m")!.opsDone].sort()).toEqual([0, 1]);
  });
});
